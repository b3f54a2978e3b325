"""The channel-economics page: one self-contained HTML file (plotly.js inlined once, no CDN),
a chart and a table for each grouping, and the budget recommendation with its figures."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from zhudai.acquisition.channel_economics import GROUPS, TOTAL, BudgetMove
from zhudai.html_report import PAGE_CSS, html_table


def economics_figure(frame: pl.DataFrame, by: str) -> go.Figure:
    part = frame.filter(pl.col(by) != TOTAL)
    fig = go.Figure()
    for col in ("revenue", "expected_loss", "acquisition_cost", "profit"):
        fig.add_trace(go.Bar(x=part[by].to_list(), y=part[col].to_list(), name=col))
    fig.update_layout(title=f"Economics by {by} (CNY)", barmode="group")
    return fig


def write_report(
    tables: dict[str, pl.DataFrame], moves: list[BudgetMove], as_of: date, path: Path
) -> Path:
    """Write the page for ``tables`` (by grouping name) and the budget ``moves``."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>zhudai channel economics</title><style>{PAGE_CSS}</style></head><body>",
        f"<h1>Channel economics as of {as_of.isoformat()}</h1>",
        "<p class='note'>Acquisition cost by each channel's cost model; revenue is the service "
        "fee (APR less the funder's price on the average balance); expected loss is the "
        "facilitator's share of LGD x principal on loans judged bad (ever 30+ in the first six "
        "installments), young loans at their group's bad rate; blank where no loan of the "
        "group can be judged yet. ROI = profit / acquisition cost.</p>",
    ]
    first = True
    for by in GROUPS:
        if by not in tables:
            continue
        parts.append(f"<h2>By {html.escape(by)}</h2>")
        fig = economics_figure(tables[by], by)
        parts.append(fig.to_html(full_html=False, include_plotlyjs=first))
        first = False
        parts.append(html_table(tables[by]))
    if moves:
        parts.append("<h2>Budget recommendation</h2>")
        parts.append(
            "<p class='note'>Channels below the median ROI give part of their spend to those "
            "above it, in proportion to their spend; the projection assumes the next CNY earns "
            "the channel's average ROI (an upper bound where returns diminish).</p>"
        )
        parts.append(
            html_table(
                pl.DataFrame(
                    [m.__dict__ for m in moves],
                    schema={
                        "channel": pl.Utf8,
                        "spend": pl.Float64,
                        "roi": pl.Float64,
                        "change": pl.Float64,
                        "projected_profit_change": pl.Float64,
                    },
                )
            )
        )
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
