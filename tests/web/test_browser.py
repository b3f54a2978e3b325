"""End to end in Debian's Chromium (headless, driven by Playwright; nothing downloads a
browser): a real uvicorn server on a free port over a copy of the demo's home, an analyst logs
in and opens every page, the key figures equal the API's answers for the same store, the
charts are drawn by the package's own plotly.js with no request leaving 127.0.0.1, and a
channel key gets 403 from the server on the fraud page. Screenshots go to
``test-artifacts/web/`` (or ``$ZHUDAI_TEST_ARTIFACTS``)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from zhudai.api.app import create_app
from zhudai.api.keys import ApiKeys
from zhudai.loans.analytics import analyse, read_book
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.settings import Settings

CHROMIUM, CHROMIUM_PACKAGE = "/usr/bin/chromium", "chromium"
#: Without a CJK font the screenshots draw the Chinese labels and transcripts as boxes.
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = (
    "overview",
    "acquisition",
    "portfolio",
    "fraud",
    "models",
    "policies",
    "monitoring",
    "collections",
    "callqa",
)
ARTIFACTS = Path(
    os.environ.get("ZHUDAI_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts" / "web")
)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, and a Chinese font for the screenshots' labels, installed first if
    missing (root and apt-get); skips without the browser."""
    wanted = [pkg for pkg, path in ((CHROMIUM_PACKAGE, CHROMIUM), (CJK_FONT_PACKAGE, CJK_FONT))
              if not Path(path).exists()]  # fmt: skip
    if wanted and os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *wanted]):
            if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
                break
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium and it cannot be installed here (needs root, apt-get)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    """One headless Chromium for the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(home: Settings) -> Iterator[str]:
    """``zhudai serve``'s app under uvicorn in a thread; yields its base URL."""
    service = build_service(home, fraud=fraud_engine_from_home(home.home))
    port = _free_port()
    config = uvicorn.Config(
        create_app(home, service), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(30)


def _figures(page: Any) -> dict[str, float | None]:
    out = {}
    for el in page.locator(".kf").all():
        raw = el.get_attribute("data-value")
        out[el.get_attribute("data-key")] = float(raw) if raw else None
    return out


def _login(browser: Any, base: str, key: str) -> tuple[Any, list[str]]:
    """A fresh browser context signed in with ``key``; the list collects every request that
    tried to leave the server (each is aborted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(f"{base}/web/login")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page, outside


def test_analyst_sees_every_page_with_the_api_figures(
    browser: Any, server: str, home: Settings
) -> None:
    keys = ApiKeys(home.database_url)
    analyst = keys.create("web-analyst", "analyst")[1]
    api = httpx.Client(base_url=server, headers={"X-API-Key": analyst}, timeout=60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, outside = _login(browser, server, analyst)
    assert page.url.endswith("/web/overview")
    shown: dict[str, dict[str, float | None]] = {}
    for name in PAGES:
        response = page.goto(f"{server}/web/{name}")
        assert response is not None and response.status == 200, name
        page.wait_for_load_state("networkidle")
        shown[name] = _figures(page)
        if page.locator(".plotly-graph-div").count():  # drawn, by the package's plotly.js
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert outside == []

    channels = api.get("/v1/reports/channels").json()
    total = next(r for r in channels["rows"] if r["group"] == "all")
    for key in ("applications", "approval_rate", "principal", "bad_rate", "fpd30_rate"):
        assert shown["overview"][key] == pytest.approx(total[key], rel=1e-9), key
    assert not any(k.startswith("channel:all:") for k in shown["acquisition"])  # not a channel
    for row in channels["rows"]:
        group = "total" if row["group"] == "all" else row["group"]
        for col in ("applications", "approval_rate", "principal", "profit"):
            got = shown["acquisition"][f"channel:{group}:{col}"]
            assert got == pytest.approx(row[col], rel=1e-9), (row["group"], col)
    funders = api.get("/v1/reports/funders").json()["rows"]
    for row in funders:
        group = "total" if row["group"] == "all" else row["group"]
        assert shown["acquisition"][f"funder:{group}:profit"] == pytest.approx(
            row["profit"], rel=1e-9
        )
    book = analyse(read_book(home.database_url), date.fromisoformat(channels["as_of"]))
    assert shown["portfolio"]["loans"] == book.loans
    assert shown["portfolio"]["loan_principal"] == pytest.approx(book.principal)
    assert shown["policies"]["policy_versions"] == len(api.get("/v1/policies").json())
    page.goto(f"{server}/web/models")
    listed = page.locator("table").first.inner_text()
    for m in api.get("/v1/models").json():  # every registered version is listed
        assert f"{m['name']}@v{m['version']}" in listed
    assert shown["fraud"]["ring_members"] and shown["fraud"]["ring_members"] >= 2
    assert shown["collections"]["live_cases"] == len(api.get("/v1/collections/cases").json())
    assert shown["callqa"]["queued"] == len(api.get("/v1/calls/queue?limit=50").json())

    page.goto(f"{server}/web/fraud")
    ring = page.locator("h2:has-text('Ring') ~ table").last.inner_text()
    phones = re.findall(r"\d{3}\*{4}\d{4}", ring)
    assert len(phones) == shown["fraud"]["ring_members"]  # masked, as the store keeps them
    assert not re.search(r"\b1\d{10}\b", page.content())  # no full phone anywhere

    app_id = api.get("/v1/applications/W10").json()["application_id"]
    page.goto(f"{server}/web/policies")
    page.fill("#application", app_id)
    page.click("form.lookup button[type=submit]")
    page.wait_for_load_state("networkidle")
    trace = api.get(f"/v1/applications/{app_id}").json()["decision"]["trace"]
    assert _figures(page)["trace_steps"] == len(trace)
    page.screenshot(path=str(ARTIFACTS / "policies-trace.png"), full_page=True)

    response = page.goto(f"{server}/web/applications?page=2&size=100")
    assert response is not None and response.status == 200
    paging = page.locator(".paging")
    assert int(paging.get_attribute("data-total") or 0) == shown["overview"]["applications"]
    assert page.locator("#applications tr").count() == 101  # header and 100 rows
    page.screenshot(path=str(ARTIFACTS / "applications.png"), full_page=True)
    page.context.close()


def test_channel_key_gets_403_from_the_server_and_its_own_channel_only(
    browser: Any, server: str, home: Settings
) -> None:
    key = ApiKeys(home.database_url).create("web-shop", "channel", "app_store")[1]
    page, _ = _login(browser, server, key)
    assert page.url.endswith("/web/acquisition")
    own = _figures(page)
    assert own and all(k.startswith("channel:app_store:") for k in own)
    api = httpx.get(f"{server}/v1/reports/channels", headers={"X-API-Key": key}).json()
    assert own["channel:app_store:profit"] == pytest.approx(api["rows"][0]["profit"], rel=1e-9)
    for name in ("fraud", "overview", "models", "applications"):
        response = page.goto(f"{server}/web/{name}")
        assert response is not None and response.status == 403, name
    assert "Fraud" not in page.locator("nav").inner_text()  # and no link to it either
    page.screenshot(path=str(ARTIFACTS / "channel-403.png"), full_page=True)
    page.context.close()


def test_a_reviewer_clicks_a_verdict_and_the_call_leaves_the_queue(
    browser: Any, server: str, home: Settings
) -> None:
    analyst = ApiKeys(home.database_url).create("web-reviewer", "analyst")[1]
    api = httpx.Client(base_url=server, headers={"X-API-Key": analyst}, timeout=60)
    first = api.get("/v1/calls/queue", params={"limit": 1}).json()[0]
    page, outside = _login(browser, server, analyst)
    page.goto(f"{server}/web/callqa")
    call = page.locator(f"article[data-call='{first['call_id']}']")
    if first["flags"]:  # the flagged evidence is marked in the transcript
        assert call.locator("mark.flag").count() >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    call.screenshot(path=str(ARTIFACTS / "callqa-call.png"))
    call.locator("button[value=confirm]").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/web/callqa")
    assert page.locator(f"article[data-call='{first['call_id']}']").count() == 0
    queued = [c["call_id"] for c in api.get("/v1/calls/queue", params={"limit": 500}).json()]
    assert first["call_id"] not in queued  # the verdict was kept by the API's queue
    assert outside == []
    page.context.close()


def test_the_report_file_opens_offline_and_draws_its_charts(
    browser: Any, home: Settings, tmp_path: Path
) -> None:
    from zhudai.web.report import write_report

    path = write_report(tmp_path / "risk.html", home)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    asked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            asked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15_000)
    assert page.locator("section.page").count() >= 9
    assert asked == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"))
    context.close()
