"""The CLI as a user meets it: help on every command, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import zhudai
from zhudai.store.migrate import head_revision


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from zhudai.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_version() -> None:
    out = run("version")
    assert out.returncode == 0 and out.stdout.strip() == zhudai.__version__


def test_every_command_has_help() -> None:
    from zhudai.cli import _mount, app

    _mount()
    import typer.main

    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert {"version", "demo", "db"} <= set(names)
    for name in names:
        out = run(name, "--help")
        assert out.returncode == 0, (name, out.stderr)
        assert "Usage" in out.stdout


def test_db_upgrade_on_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    out = run("db", "upgrade", "--url", url)
    assert out.returncode == 0, out.stderr
    assert f"revision {head_revision()}" in out.stdout
    assert run("db", "current", "--url", url).stdout.strip() == head_revision()


def test_zhudai_error_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    out = run("db", "load-world", str(tmp_path), "--url", f"sqlite:///{tmp_path / 'x.db'}")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: world_dir:")


@pytest.mark.parametrize("args", [["no-such-command"], ["db", "upgrade", "--no-such-option"]])
def test_usage_errors_exit_non_zero(args: list[str]) -> None:
    out = run(*args)
    assert out.returncode != 0 and "Traceback" not in out.stderr


def _application_file(tmp_path: Path, **changes: object) -> Path:
    import json

    from zhudai.privacy import id_check_char

    id17 = "11010519900307123"
    data: dict[str, object] = {
        "customer": {"id_number": id17 + id_check_char(id17), "phone": "13912345678"},
        "applied_at": "2026-11-01T10:30:00",
        "product_code": "cash_installment",
        "amount_requested": 8000,
        "term_months": 12,
    }
    for key, value in changes.items():
        if key in ("id_number", "phone"):
            data["customer"][key] = value  # type: ignore[index]
        else:
            data[key] = value
    path = tmp_path / "app.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "110105199003071230"}, "id_number"),
        ({"phone": "1391234567"}, "phone"),
        ({"product_code": "moon_loan"}, "product_code"),
        ({"amount_requested": -1}, "amount_requested"),
    ],
)
def test_application_submit_bad_input(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    from zhudai.privacy import id_check_char

    if field == "id_number":
        assert id_check_char("11010519900307123") != "0"  # so the planted check digit is wrong
    url = f"sqlite:///{tmp_path / 'x.db'}"
    out = run("application", "submit", str(_application_file(tmp_path, **change)), "--url", url)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:"), out.stderr
    assert "Traceback" not in out.stderr
