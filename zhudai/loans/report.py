"""The portfolio report: CSV tables and one self-contained HTML page with charts.

The page embeds plotly.js from the installed plotly package once (no CDN: it opens offline),
like the scorecard and fraud-trend reports, and shows the vintage curves (ever and current
DPD30+, by count and by amount), the roll-rate matrix (by count and by balance), the flow
chain month by month and FPD7/FPD30 by channel and product, each chart followed by its table.
The definitions are those of :mod:`zhudai.loans.analytics`, repeated on the page.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from zhudai.html_report import PAGE_CSS, html_table
from zhudai.loans.analytics import (
    BUCKETS,
    FPD_DAYS,
    ROLL_TO,
    BookFrames,
    PortfolioAnalytics,
    analyse,
    matrix_wide,
    vintage_curves,
)

#: The vintage charts: (column, title).
VINTAGE_CHARTS = (
    ("ever_count_share", "Ever DPD{t}+ by count (loans ever {t}+ / loans booked)"),
    ("ever_amount_share", "Ever DPD{t}+ by amount (principal of loans ever {t}+ / booked)"),
    ("current_count_share", "Current DPD{t}+ by count (loans {t}+ at the month-end / booked)"),
    (
        "current_amount_share",
        "Current DPD{t}+ by amount (their outstanding principal / principal booked)",
    ),
)

#: The CSV files written, by name (without ``.csv``).
TABLES = (
    "vintage",
    "roll_rates",
    "roll_rates_monthly",
    "flow_rates",
    "fpd_total",
    "fpd_by_channel",
    "fpd_by_product",
    "fpd_by_channel_product",
    "bucket_mismatches",
)

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def vintage_figure(result: PortfolioAnalytics, metric: str, title: str) -> go.Figure:
    fig = go.Figure()
    curves = vintage_curves(result.vintage, metric) if result.vintage.height else None
    if curves is not None:
        mobs = [int(c[4:]) for c in curves.columns[1:]]
        for row in curves.iter_rows():
            fig.add_trace(go.Scatter(x=mobs, y=list(row[1:]), mode="lines+markers", name=row[0]))
    fig.update_layout(
        title=title.format(t=result.threshold),
        xaxis_title="MOB (month-ends after the booking month)",
        yaxis_title=metric,
        yaxis_tickformat=".1%",
        legend_title="booking month",
    )
    return fig


def roll_figure(result: PortfolioAnalytics, values: str, title: str) -> go.Figure:
    wide = matrix_wide(result.roll_rates, values) if result.roll_rates.height else None
    fig = go.Figure()
    if wide is not None:
        z = [list(r[1:]) for r in wide.iter_rows()]
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=list(wide.columns[1:]),
                y=wide["from_bucket"].to_list(),
                colorscale="Reds",
                zmin=0,
                zmax=1,
                text=[["" if v is None else f"{v:.1%}" for v in r] for r in z],
                texttemplate="%{text}",
                name=values,
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="bucket at the next month-end",
        yaxis_title="bucket at the month-end",
        yaxis_autorange="reversed",
    )
    return fig


def flow_figure(result: PortfolioAnalytics) -> go.Figure:
    fig = go.Figure()
    monthly = result.flow_rates.filter(pl.col("month") != "all")
    for flow in [f"{a}->{b}" for a, b in zip(BUCKETS[:-1], BUCKETS[1:], strict=True)]:
        part = monthly.filter(pl.col("flow") == flow)
        if part["balance_rate"].drop_nulls().len():
            fig.add_trace(
                go.Scatter(
                    x=part["month"].to_list(),
                    y=part["balance_rate"].to_list(),
                    mode="lines+markers",
                    name=flow,
                )
            )
    fig.update_layout(
        title="Flow rates by balance (share of the Mk balance rolling to Mk+1 in the month)",
        xaxis_title="month",
        yaxis_tickformat=".1%",
    )
    return fig


def fpd_figure(frame: pl.DataFrame, key: str) -> go.Figure:
    fig = go.Figure()
    for k in FPD_DAYS:
        fig.add_trace(
            go.Bar(x=frame[key].to_list(), y=frame[f"fpd{k}_rate"].to_list(), name=f"FPD{k}")
        )
    fig.update_layout(
        title=f"FPD by {key} (by count, over loans old enough to observe it)",
        barmode="group",
        yaxis_tickformat=".1%",
    )
    return fig


def _chain(result: PortfolioAnalytics) -> str:
    pooled = result.flow_rates.filter(pl.col("month") == "all")
    product = 1.0
    parts = []
    for flow, rate in zip(pooled["flow"], pooled["balance_rate"], strict=True):
        if rate is None:
            parts.append(f"{flow} n/a")
            product = float("nan")
            continue
        product *= rate
        parts.append(f"{flow} {rate:.2%}")
    tail = f"; product (M0 balance reaching M6+) {product:.4%}" if product == product else ""
    return "<p>Pooled flow chain by balance: " + html.escape(", ".join(parts) + tail) + "</p>"


def write_tables(result: PortfolioAnalytics, out: Path) -> list[Path]:
    """Write the CSV tables of ``TABLES`` into ``out``."""
    frames = {
        "vintage": result.vintage,
        "roll_rates": result.roll_rates,
        "roll_rates_monthly": result.transitions.group_by("month_end", "from_bucket", "to_bucket")
        .agg(loans=pl.len(), balance=pl.col("balance").sum().round(2))
        .sort("month_end", "from_bucket", "to_bucket"),
        "flow_rates": result.flow_rates,
        "fpd_total": result.fpd_total,
        "fpd_by_channel": result.fpd_by_channel,
        "fpd_by_product": result.fpd_by_product,
        "fpd_by_channel_product": result.fpd_by_channel_product,
        "bucket_mismatches": result.bucket_mismatches,
    }
    paths = []
    for name in TABLES:
        path = out / f"{name}.csv"
        frames[name].write_csv(path)
        paths.append(path)
    return paths


def write_html(result: PortfolioAnalytics, path: Path, title: str = "zhudai portfolio") -> Path:
    """Write the report page (plotly.js inlined once)."""
    t = result.threshold
    sections: list[tuple[str, str, list[go.Figure], str]] = [
        (
            "vintage",
            f"Vintage: DPD{t}+ by booking month and MOB",
            [vintage_figure(result, m, title) for m, title in VINTAGE_CHARTS],
            html_table(result.vintage),
        ),
        (
            "roll",
            "Roll rates: bucket at a month-end to the next (pooled over every month)",
            [
                roll_figure(result, "share", "Roll-rate matrix by count (row shares)"),
                roll_figure(result, "balance_share", "Roll-rate matrix by balance (row shares)"),
            ],
            html_table(matrix_wide(result.roll_rates, "loans"))
            if result.roll_rates.height
            else "<p>no loan on book at two month-ends yet</p>",
        ),
        (
            "flow",
            "Flow rates",
            [flow_figure(result)],
            _chain(result) + html_table(result.flow_rates),
        ),
        (
            "fpd",
            "First payment default: FPD7 and FPD30",
            [
                fpd_figure(result.fpd_by_channel, "channel"),
                fpd_figure(result.fpd_by_product, "product"),
            ],
            html_table(result.fpd_total)
            + html_table(result.fpd_by_channel)
            + html_table(result.fpd_by_product)
            + html_table(result.fpd_by_channel_product),
        ),
    ]
    mismatches = result.bucket_mismatches.height
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body>",
        f"<h1>{html.escape(title)} as of {result.as_of.isoformat()}</h1>",
        f"<p>{result.loans:,} loans booked by then, principal {result.principal:,.2f}. "
        "Days past due from the installments' due and paid dates (every loan has them); "
        f"month-end snapshots up to the last month-end on or before {result.as_of}. "
        f"DPD{t}+ means DPD &gt;= {t}. Of {result.loans_with_changes:,} loans with stored bucket "
        f"changes, {mismatches:,} month-end snapshots disagree with them "
        "(bucket_mismatches.csv).</p>",
        "<p class='note'>Ever: reached DPD{t}+ on any day up to the month-end. Current: "
        "DPD{t}+ on the month-end. By count: loans / loans booked. By amount: ever uses the "
        "booked principal of those loans, current their outstanding principal, both over the "
        "principal booked. Roll rates: loans not paid off at a month-end, by their bucket there, "
        "to the next month-end (paid_off if settled by then), by count and by outstanding "
        "principal at the first month-end. FPD k: first installment unpaid at the end of day "
        "due + k, over loans whose due + k is on or before the as-of day.</p>".replace(
            "{t}", str(t)
        ),
    ]
    first = True
    for key, heading, figures, table in sections:
        parts.append(f"<h2 id='{key}'>{html.escape(heading)}</h2>")
        for fig in figures:
            parts.append(
                fig.to_html(full_html=False, include_plotlyjs=first, config=_PLOTLY_CONFIG)
            )
            first = False
        parts.append(table)
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_report(
    book: BookFrames, as_of: date, out: str | Path, title: str = "zhudai portfolio"
) -> Path:
    """Compute every table for ``as_of`` and write ``out/report.html`` and the CSV tables;
    returns ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result = analyse(book, as_of)
    write_tables(result, folder)
    write_html(result, folder / "report.html", title)
    return folder


__all__ = ["ROLL_TO", "TABLES", "write_html", "write_report", "write_tables"]
