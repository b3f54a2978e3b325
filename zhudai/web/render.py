"""Jinja2 rendering of the pages (templates ship in the package) and the charts' HTML.

The server pages load plotly.js from ``/web/static/plotly.min.js`` (served from the installed
plotly package); the report file inlines it once. Neither asks any other host for anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from zhudai.html_report import PAGE_CSS

LANGS = ("en", "zh")
PLOTLY_PATH = "/web/static/plotly.min.js"
CSS = (
    PAGE_CSS
    + """
nav{margin:0 0 1em;display:flex;gap:1em;flex-wrap:wrap;align-items:baseline}
nav a.current{font-weight:bold}.who{margin-left:auto;color:#555}
.figures{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}
.kf{border:1px solid #ccd;border-radius:6px;padding:8px 12px;min-width:10em}
.kf .label{display:block;color:#555;font-size:12px}.kf .num{font-size:22px}
.error{color:#b00}.call{border-top:1px solid #ddd;margin:1em 0}
.transcript{white-space:pre-wrap}mark.flag{background:#fdd;border-bottom:2px solid #c00}
.verdict label{margin-right:.8em}
tr.total td{font-weight:bold;border-top:2px solid #333}pre.diff{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}
"""
)
_CONFIG = {"displaylogo": False, "responsive": True}


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("zhudai.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def plotly_js() -> str:
    """plotly.js as the installed plotly package bundles it."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def chart_html(fig: go.Figure) -> Markup:
    """A chart's ``<div>`` and its drawing script (plotly.js itself comes from the page head)."""
    return Markup(fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG))


def translator(lang: str) -> Callable[[str, str], str]:
    """``t(en, zh)``: the label in ``lang``."""
    return (lambda en, zh: zh or en) if lang == "zh" else (lambda en, zh: en)


def render(template: str, *, lang: str = "en", inline_plotly: bool = False, **context: Any) -> str:
    """Render ``template`` with the page's language, style and plotly.js (linked or inlined)."""
    tag = (
        f"<script>{plotly_js()}</script>"
        if inline_plotly
        else f'<script src="{PLOTLY_PATH}"></script>'
    )
    return (
        environment()
        .get_template(template)
        .render(
            lang=lang,
            t=translator(lang),
            css=Markup(CSS),
            plotly_tag=Markup(tag),
            chart_html=chart_html,
            **context,
        )
    )
