"""What the self-contained HTML reports share: the page style and tables of frames."""

from __future__ import annotations

import html

import polars as pl

PAGE_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:12px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f0f3f7}h2{border-bottom:2px solid #4a78b0;padding-bottom:4px}
.note{color:#555;font-size:13px}
"""


def html_table(frame: pl.DataFrame, limit: int = 200, *, total: bool = False) -> str:
    """``frame``'s first ``limit`` rows as an HTML table (floats to 4 decimals), with a note
    when rows were left out; with ``total``, the frame's last row is its total row, always
    shown, last, as ``<tr class="total">``."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body, last = (frame.head(frame.height - 1), frame.tail(1)) if total else (frame, frame.head(0))
    rows = [_row(row) for row in body.head(limit).iter_rows()]
    rows += [_row(row, " class='total'") for row in last.iter_rows()]
    more = (
        f"<p class='note'>first {limit} of {body.height} rows; all in the CSV</p>"
        if body.height > limit
        else ""
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"


def _row(values: tuple[object, ...], attrs: str = "") -> str:
    cells = ("" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v) for v in values)
    return f"<tr{attrs}>{''.join(f'<td>{html.escape(c)}</td>' for c in cells)}</tr>"
