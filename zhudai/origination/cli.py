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

from zhudai.exceptions import InvalidInputError, ZhudaiError

app = typer.Typer(
    help="Applications: decide them through the live pipeline, show one, record a funder's decision.",
    no_args_is_help=True,
)


def _error_line(raw: Any, exc: ZhudaiError) -> dict[str, Any]:
    field = getattr(exc, "field", None) or "application"
    problem = getattr(exc, "problem", None)
    if problem is None:
        problem = str(exc).removeprefix(f"{field}: ")
    app_id = raw.get("application_id") if isinstance(raw, dict) else None
    return {"application_id": app_id, "error": {"field": field, "message": problem}}


def decide_lines(lines: TextIO, out: TextIO) -> Counter[str]:
    """Decide each JSON line of ``lines``; one answer (or error) per line of ``out``, in order."""
    from zhudai.origination.factory import build_service

    service = build_service()
    counts: Counter[str] = Counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw: Any = None
        try:
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(
                    "line", f"line {number} is not valid JSON ({exc.msg} at column {exc.colno})"
                ) from None
            if not isinstance(raw, dict):
                raise InvalidInputError("line", f"line {number} is not a JSON object")
            answer = service.decide(raw)
            result: dict[str, Any] = answer.model_dump(mode="json")
            counts[answer.decision] += 1
        except ZhudaiError as exc:
            result = _error_line(raw, exc)
            counts["error"] += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return counts


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
