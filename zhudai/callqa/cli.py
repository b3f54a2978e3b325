"""``zhudai callqa``: call quality inspection as commands, for checks from outside."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    name="callqa",
    help="Call quality inspection: flag collection calls that break the rules; measure it.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Call quality inspection (质检) of collection calls."""


_MODEL = typer.Option(None, "--model", help="Paraphrase model JSON (zhudai callqa train).")


@app.command("inspect")
def inspect_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON Lines: {call_id, started_at, debtor_tz, text}."
    ),
    model: Path | None = _MODEL,
    lexicon: Path | None = typer.Option(None, "--lexicon", help="Lexicon YAML (default: shipped)."),
    explain: bool = typer.Option(False, "--explain", help="Add each flag's rule and why."),
) -> None:
    """Inspect every call of FILE; print one line each ({call_id, flags, score}), a summary on
    stderr; a bad line gets {call_id, error: {field, message}}; exit 1 if a line was bad."""
    from zhudai.callqa.inspector import Inspector
    from zhudai.callqa.lexicon import Lexicon
    from zhudai.callqa.model import ParaphraseModel
    from zhudai.json_lines import run_json_lines

    inspector = Inspector(
        lexicon=Lexicon.load(lexicon) if lexicon else None,
        model=ParaphraseModel.load(model) if model else None,
    )

    def handle(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
        found = inspector.inspect(raw)
        line = found.contract()
        if explain:
            line["flags"] = [
                {**f.contract(), "rule": f.rule, "explanation": f.explanation} for f in found.flags
            ]
        return line, "flagged" if found.flags else "clean"

    with file.open(encoding="utf-8-sig") as lines:  # a byte-order mark (Windows tools) is skipped
        counts = run_json_lines(lines, sys.stdout, handle, "call_id", "call")
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    typer.echo(f"inspected {sum(counts.values())} calls: {summary or 'none'}", err=True)
    if counts["error"]:
        raise typer.Exit(code=1)
