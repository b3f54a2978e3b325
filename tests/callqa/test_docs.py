"""docs/callqa.md shows what ``zhudai callqa inspect`` prints on the example file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from zhudai.callqa.cli import app

ROOT = Path(__file__).parents[2]


def test_docs_example_output_is_what_the_command_prints() -> None:
    doc = (ROOT / "docs" / "callqa.md").read_text(encoding="utf-8")
    block = doc.split("<!-- callqa-example-output -->\n```json\n", 1)[1].split("\n```", 1)[0]
    result = CliRunner().invoke(app, ["inspect", str(ROOT / "docs" / "examples" / "calls.jsonl")])
    assert result.exit_code == 1
    assert result.stdout.rstrip("\n") == block
