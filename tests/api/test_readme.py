"""The README's API example, run as written (its port swapped for a free one) against a copy
of the demo's home: the key it creates, ``zhudai serve`` and the ``curl`` call."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from zhudai.demo import DemoContext

ROOT = Path(__file__).resolve().parents[2]


def _example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- api-example[^>]*-->\n```sh\n(.*?)```", text, re.S)
    assert found, "README.md has no api-example block"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_example_works_after_the_demo(
    demo_run: DemoContext, tmp_path: Path, keyed_env: Any
) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_run.settings.home, home)
    work = tmp_path / "work"
    (work / "docs" / "examples").mkdir(parents=True)
    shutil.copy(ROOT / "docs/examples/applications.jsonl", work / "docs/examples")
    (work / ".venv").symlink_to(ROOT / ".venv")
    port = str(_free_port())
    script = _example().replace("8000", port)
    script = f"set -e\n{script}\nkill %1\nwait %1 || true\n"
    with keyed_env(home):
        env = dict(os.environ)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        start_new_session=True,
    )
    assert done.returncode in (0, -signal.SIGTERM), done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["application_id"] == "EXAMPLE-1", done.stdout
    assert answer["decision"] in ("approve", "reject", "review")
