"""``zhudai loans bcard-train | bcard-score | strategies`` on the demo's book (mounted here on
a local app the way ``zhudai/loans/cli.py`` mounts them)."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from zhudai.loans.bcard_cli import bcard_score_cmd, bcard_train_cmd, strategies_run_cmd
from zhudai.settings import Settings

app = typer.Typer()
app.command("bcard-train")(bcard_train_cmd)
app.command("bcard-score")(bcard_score_cmd)
app.command("strategies")(strategies_run_cmd)


def test_train_score_and_run_the_strategies_twice(home: Settings) -> None:
    runner = CliRunner()
    trained = runner.invoke(app, ["bcard-train"])
    assert trained.exit_code == 0, trained.output
    assert "oot n" in trained.output and (home.home / "models" / "bcard").is_dir()
    day = "2025-08-31"
    scored = runner.invoke(app, ["bcard-score", "--month-end", day])
    assert scored.exit_code == 0, scored.output
    first = runner.invoke(app, ["strategies", "--month-end", day])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["strategies", "--month-end", day])
    assert again.exit_code == 0, again.output
    assert "  applied: {}" in again.output
    applied = first.output.split("  applied: ")[1].splitlines()[0]
    assert again.output.split("  already applied: ")[1].splitlines()[0] == applied
