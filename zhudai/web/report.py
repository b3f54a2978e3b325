"""``zhudai report --out FILE.html``: every page's view in one self-contained file (plotly.js
inlined once, no ``src=`` script, no link to any host), as an admin sees them."""

from __future__ import annotations

from pathlib import Path

from zhudai.acquisition.channel_economics import book_as_of
from zhudai.api.keys import Principal
from zhudai.decision.service import installed_decisions
from zhudai.exceptions import InvalidInputError
from zhudai.settings import Settings, get_settings
from zhudai.store.models import ApiRole
from zhudai.times import utc_now
from zhudai.web import views
from zhudai.web.render import LANGS, render

#: The reader of the file: it holds what an admin's pages show (personal data masked).
REPORT_CALLER = Principal(0, "zhudai report", ApiRole.ADMIN, None)


def write_report(out: str | Path, settings: Settings | None = None, lang: str = "en") -> Path:
    """Write the views of every page (but the applications list) for the store of
    ``settings`` into the one file ``out``; returns its path."""
    if lang not in LANGS:
        raise InvalidInputError("lang", f"must be one of {', '.join(LANGS)}; got {lang!r}")
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InvalidInputError("out", f"must name an .html file; got {str(out)!r}")
    s = settings or get_settings()
    url = s.database_url
    ctx = views.Context(url, installed_decisions(s), REPORT_CALLER, book_as_of(url), s.home)
    pages = [build(ctx) for build in views.BUILDERS.values()]
    text = render(
        "report.html",
        lang=lang,
        inline_plotly=True,
        title="zhudai report",
        views=pages,
        written=utc_now().isoformat(timespec="seconds"),
        as_of=ctx.as_of,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
