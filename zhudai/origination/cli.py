"""``zhudai application ...``: decide applications through the live pipeline, show one, record
a funder's decision, or only store one (``submit``).

``decide`` uses the store, policies, models and providers installed under ``ZHUDAI_HOME``
(``make demo`` installs the demo's there), the same service the HTTP API serves.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

import typer

from zhudai.exceptions import InvalidInputError

app = typer.Typer(
    help="Applications: decide them through the live pipeline, show one, record a funder's decision.",
    no_args_is_help=True,
)


def decide_lines(lines: TextIO, out: TextIO) -> Counter[str]:
    """Decide each JSON line of ``lines``; one answer (or error) per line of ``out``, in order."""
    from zhudai.json_lines import run_json_lines
    from zhudai.origination.factory import build_service

    service = build_service()

    def decide(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
        answer = service.decide(raw)
        return answer.model_dump(mode="json"), answer.decision

    return run_json_lines(lines, out, decide, "application_id", "application")


@app.command("decide")
def decide_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON Lines: one application per line."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write answers here (default: stdout)."),
) -> None:
    """Decide every application of FILE; one answer per line, in order, then a summary on stderr."""
    import time

    started = time.perf_counter()
    with file.open(encoding="utf-8") as lines:
        if out is None:
            counts = decide_lines(lines, sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as sink:
                counts = decide_lines(lines, sink)
    n = sum(counts.values())
    seconds = time.perf_counter() - started
    parts = ", ".join(f"{k} {counts[k]}" for k in ("approve", "reject", "review", "error"))
    typer.echo(f"decided {n} lines in {seconds:.1f}s: {parts}", err=True)


@app.command("show")
def show_cmd(
    application_id: str = typer.Argument(..., help="The partner's application id."),
) -> None:
    """Print the stored application (masked), its answer, provider answers and decision trace."""
    from zhudai.origination.lookup import stored_application

    typer.echo(json.dumps(stored_application(application_id), ensure_ascii=False, indent=2))


@app.command("funder-decision")
def funder_decision_cmd(
    application_id: str = typer.Argument(..., help="The partner's application id."),
    accept: bool = typer.Option(..., "--accept/--refuse", help="The funder's own decision."),
) -> None:
    """Record the recommended funder's decision: books (accept) or releases (refuse) its quota."""
    from zhudai.origination.factory import build_service

    status = build_service().record_funder_decision(application_id, accept)
    typer.echo(f"application {application_id}: funder {status}")


@app.command("submit")
def submit_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON object: customer, product_code, amount ..."
    ),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL."),
) -> None:
    """Only validate and store one application (no decision); prints its id."""
    from zhudai.store import migrate
    from zhudai.store.applications import submit_application

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            "file", f"{file} is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    migrate.upgrade(url)
    typer.echo(f"application {submit_application(data, url)} stored")
