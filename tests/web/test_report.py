"""``zhudai report --out FILE.html``: one file that asks no host for anything when opened and
holds every page's key figures, the same numbers the server's pages show an admin."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from zhudai.api.keys import ApiKeys
from zhudai.cli import app
from zhudai.settings import Settings
from zhudai.web.render import plotly_js
from zhudai.web.views import BUILDERS

#: An attribute or CSS reference that would fetch something from another host.
OUTSIDE = re.compile(
    r"""(?:\bsrc|\bhref|\baction)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|<link\b|<iframe\b""",
    re.I,
)
FIGURE = re.compile(r'class="kf" data-key="([^"]*)" data-value="([^"]*)"')


def _sections(text: str) -> dict[str, str]:
    """Each page's part of a report (or the one page of a server answer), by page name."""
    parts = re.split(r'<section class="page" id="page-([a-z]+)">', text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_report_is_self_contained_with_every_pages_figures(
    home: Settings, client: TestClient, tmp_path: Path
) -> None:
    out = tmp_path / "mail" / "risk.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert text.count(plotly_js()) == 1 and "<script src" not in text  # plotly.js inlined once
    # the library's own strings (logo and map attribution links, followed only on a click)
    # aside, nothing in the file refers to another host; test_browser opens it offline
    page = text.replace(plotly_js(), "")
    assert not OUTSIDE.search(page), OUTSIDE.search(page)
    assert not re.search(r"(?<![\d.])1[3-9]\d{9}(?![\d.])", page)  # phones only masked
    sections = _sections(text)
    assert set(sections) == set(BUILDERS)

    admin = ApiKeys(home.database_url).create("web-admin", "admin")[1]
    client.post("/web/login", data={"key": admin})
    for name in BUILDERS:
        in_report = FIGURE.findall(sections[name])
        on_server = FIGURE.findall(_sections(client.get(f"/web/{name}").text)[name])
        assert in_report, name  # each page has its key figures in the file
        assert in_report == on_server, name


def test_report_refuses_a_file_that_is_not_html(home: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "risk.pdf")])
    assert result.exit_code != 0
    assert not (tmp_path / "risk.pdf").exists()
