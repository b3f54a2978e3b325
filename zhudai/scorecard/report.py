"""The model report: a self-contained HTML page with charts, and an Excel workbook.

The HTML embeds plotly.js from the installed plotly package (no CDN, opens offline) and shows
ROC and KS curves, the score (or PD) distribution of every sample, lift by decile, PSI/CSI
against the training sample, and WOE bars with bad rates for each model feature. The Excel
workbook holds the scorecard (or binning) table, the metrics, the lift table, the
selection log and the score (or PD) distribution per sample, for risk teams that review cards in Excel.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from zhudai.scorecard import metrics
from zhudai.scorecard.runtime import ScorecardModel

if TYPE_CHECKING:
    from zhudai.scorecard.training import TrainResult

MAX_FEATURE_CHARTS = 30  # WOE charts for the highest-IV features; every feature is in the table

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f0f3f7}h2{border-bottom:2px solid #4a78b0;padding-bottom:4px}
"""


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{digits}f}", border=0)


def evaluation_sample(result: TrainResult) -> str:
    """The sample the lift table and KS curve describe: out-of-time, else test, else train."""
    return next(p for p in ("oot", "test", "train") if p in result.samples)


def _no_test_note(result: TrainResult) -> str:
    if "test" in result.samples:
        return ""
    return (
        "<p><b>No test sample</b>: the model was fitted on every development row "
        "(test size 0), so the train figures are in-sample.</p>"
    )


def _value(result: TrainResult, part: str) -> np.ndarray:
    s = result.samples[part]
    return s.score if s.score is not None else s.pd


def roc_figure(curves: Iterable[tuple[str, ArrayLike, ArrayLike]], title: str) -> go.Figure:
    """ROC curves (``name, fpr, tpr`` each) on one chart with the random diagonal: the card
    report's, and the dashboard's of a model's development samples and of the book."""
    fig = go.Figure()
    for name, fpr, tpr in curves:
        fig.add_trace(go.Scatter(x=fpr, y=tpr, name=name))
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], name="random", line={"dash": "dot", "color": "grey"})
    )
    fig.update_layout(
        title=title,
        xaxis_title="false positive rate (goods)",
        yaxis_title="true positive rate (bads)",
    )
    return fig


def _figures(result: TrainResult) -> list[tuple[str, go.Figure]]:
    figs = []
    curves = []
    for part, s in result.samples.items():
        fpr, tpr = metrics.roc_curve(s.y, s.pd)
        curves.append((f"{part} AUC {metrics.auc(s.y, s.pd):.3f}", fpr, tpr))
    figs.append(("roc", roc_figure(curves, "ROC")))

    ks_fig = go.Figure()
    part = evaluation_sample(result)
    s = result.samples[part]
    fpr, tpr = metrics.roc_curve(s.y, s.pd)
    n_bad = float(s.y.sum())
    share = (tpr * n_bad + fpr * (len(s.y) - n_bad)) / len(s.y)  # population above each cut-off
    ks_fig.add_trace(go.Scatter(x=share, y=tpr, name="cumulative bads"))
    ks_fig.add_trace(go.Scatter(x=share, y=fpr, name="cumulative goods"))
    ks_fig.add_trace(
        go.Scatter(x=share, y=tpr - fpr, name=f"difference (KS {metrics.ks(s.y, s.pd):.3f})")
    )
    ks_fig.update_layout(
        title=f"KS curve ({part})",
        xaxis_title="share of applicants above the cut-off (riskiest first)",
    )
    figs.append(("ks", ks_fig))

    dist = go.Figure()
    label = "score" if result.samples["train"].score is not None else "PD"
    for part, _ in result.samples.items():
        dist.add_trace(
            go.Histogram(
                x=_value(result, part), name=part, histnorm="probability", opacity=0.6, nbinsx=40
            )
        )
    dist.update_layout(title=f"{label} distribution", barmode="overlay", xaxis_title=label)
    figs.append(("distribution", dist))

    model = result.model
    charted = sorted(model.features, key=lambda f: -model.bins[f].iv)[:MAX_FEATURE_CHARTS]
    for f in charted:
        t = model.bins[f].table()
        t = t[t["count"] > 0]
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        fig.add_trace(go.Bar(x=t["bin"], y=t["woe"], name="WOE"), secondary_y=False)
        fig.add_trace(
            go.Scatter(x=t["bin"], y=t["bad_rate"], name="bad rate", mode="lines+markers"),
            secondary_y=True,
        )
        fig.update_layout(
            title=f"{f}: WOE and bad rate by bin (IV {model.bins[f].iv:.3f})", height=320
        )
        figs.append((f"woe-{f}", fig))
    return figs


def stability(result: TrainResult) -> pd.DataFrame:
    """CSI of each model feature: train against every other sample."""
    model = result.model
    train = result.samples["train"].X
    idx_train = pd.DataFrame({f: model.bins[f].indices(train[f]) for f in model.features})
    cols = {}
    for part, s in result.samples.items():
        if part == "train":
            continue
        idx = pd.DataFrame({f: model.bins[f].indices(s.X[f]) for f in model.features})
        cols[f"csi_train_{part}"] = metrics.csi(idx_train, idx)
    return pd.DataFrame(cols).rename_axis("feature").reset_index()


def monthly_psi(result: TrainResult) -> pd.DataFrame | None:
    """PSI of the PD per application month against the first month (with a time column)."""
    window = result.meta.get("training_window")
    if not window:
        return None
    col = window["time_column"]
    parts = [s for s in result.samples.values() if col in s.X.columns]  # a test table may lack it
    when = pd.to_datetime(pd.concat([s.X[col] for s in parts]), errors="coerce")
    pd_all = np.concatenate([s.pd for s in parts])
    month = when.dt.strftime("%Y-%m").to_numpy()
    keep = ~pd.isna(when.to_numpy())
    series = metrics.psi_by_period(pd_all[keep], month[keep])
    return series.rename_axis("month").reset_index()


def write_html_report(result: TrainResult, path: str | Path) -> Path:
    """Write the self-contained HTML report and return its path."""
    m = result.metrics
    rows = [{"sample": p, **m[p]} for p in result.samples]
    parts = [
        f"<html><head><meta charset='utf-8'><title>{html.escape(result.meta['name'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Model report: {html.escape(result.meta['name'])} v{html.escape(str(result.meta['version']))}</h1>",
        f"<p>model <b>{m['model']}</b>, card kind <b>{m['kind']}</b>, {m['n_features']} features, "
        f"data hash <code>{result.meta['data_hash'][:16]}</code></p>",
        "<h2>Discrimination</h2>",
        _table(pd.DataFrame(rows)),
        _no_test_note(result),
        "<h2>Stability (PSI of the PD)</h2>",
        _table(pd.DataFrame([m["psi"]])) if m["psi"] else "<p>single sample</p>",
    ]
    csi = stability(result)
    if not csi.empty:
        parts += ["<h2>Characteristic stability (CSI)</h2>", _table(csi)]
    monthly = monthly_psi(result)
    if monthly is not None:
        parts += ["<h2>PSI of the PD by month (against the first month)</h2>", _table(monthly)]
    eval_part = evaluation_sample(result)
    s = result.samples[eval_part]
    parts += [
        f"<h2>Lift and gain by decile ({eval_part})</h2>",
        _table(metrics.lift_table(s.y, s.pd)),
    ]
    for i, (key, fig) in enumerate(_figures(result)):
        parts.append(f"<div id='{html.escape(key)}'>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
        parts.append("</div>")
    table = (
        result.model.table() if isinstance(result.model, ScorecardModel) else _bins_table(result)
    )
    parts += ["<h2>Scorecard / binning table</h2>", _table(table)]
    dropped = pd.DataFrame(
        sorted(result.meta["selection"]["dropped"].items()), columns=["feature", "reason"]
    )
    parts += [
        "<h2>Features not used</h2>",
        dropped.to_html(index=False, border=0),
        "</body></html>",
    ]
    out = Path(path)
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def _bins_table(result: TrainResult) -> pd.DataFrame:
    model = result.model
    return pd.concat([model.bins[f].table() for f in model.features], ignore_index=True)


def write_excel(result: TrainResult, path: str | Path) -> Path:
    """Write the scorecard workbook (scorecard, metrics, lift, selection sheets)."""
    out = Path(path)
    table = (
        result.model.table() if isinstance(result.model, ScorecardModel) else _bins_table(result)
    )
    m = result.metrics
    metric_rows = pd.DataFrame([{"sample": p, **m[p]} for p in result.samples])
    eval_part = evaluation_sample(result)
    s = result.samples[eval_part]
    selection = pd.DataFrame(
        [
            {
                "feature": f,
                "iv": iv,
                "used": f in result.model.features,
                "reason": result.meta["selection"]["dropped"].get(f, ""),
            }
            for f, iv in result.meta["selection"]["iv"].items()
        ]
    )
    with pd.ExcelWriter(out, engine="openpyxl") as xl:
        table.to_excel(xl, sheet_name="scorecard", index=False)
        metric_rows.to_excel(xl, sheet_name="metrics", index=False)
        metrics.lift_table(s.y, s.pd).to_excel(xl, sheet_name=f"lift_{eval_part}", index=False)
        selection.to_excel(xl, sheet_name="selection", index=False)
        dist = pd.concat(
            [
                metrics.score_distribution(_value(result, part)).assign(sample=part)
                for part in result.samples
            ],
            ignore_index=True,
        )
        dist.to_excel(xl, sheet_name="distribution", index=False)
        if isinstance(result.model, ScorecardModel):
            scaling = pd.DataFrame(
                [{**result.model.scaling.to_dict(), "base_points": result.model.base_points}]
            )
            scaling.to_excel(xl, sheet_name="scaling", index=False)
        for ws in xl.book.worksheets:
            for col in ws.iter_cols(max_row=min(ws.max_row, 200)):  # widths from the top rows
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
                ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width + 2))
    return out
