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
_URL = typer.Option(None, "--url", help="SQLAlchemy URL of the store (default: settings).")


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


@app.command("train")
def train_cmd(
    world: list[Path] = typer.Option([], "--world", help="World folder(s) with labelled calls."),
    verdicts: bool = typer.Option(
        False, "--verdicts", help="Also train on the reviewers' verdicts kept in the store."
    ),
    out: Path = typer.Option(Path("callqa-model.json"), "--out", help="Model JSON to write."),
    url: str | None = _URL,
) -> None:
    """Train the paraphrase model on worlds' labelled transcripts and reviewers' verdicts."""
    from zhudai.callqa.evaluation import train
    from zhudai.callqa.review import ReviewQueue

    examples = ReviewQueue(url=url).training_examples() if verdicts else ([], [])
    typer.echo(str(train(world, examples).save(out)))


@app.command("submit")
def submit_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON Lines of calls."),
    model: Path | None = _MODEL,
    url: str | None = _URL,
) -> None:
    """Inspect the calls of FILE and keep them in the review queue; print each inspection."""
    from zhudai.callqa.inspector import Inspector
    from zhudai.callqa.model import ParaphraseModel
    from zhudai.callqa.review import ReviewQueue
    from zhudai.json_lines import run_json_lines

    queue = ReviewQueue(Inspector(model=ParaphraseModel.load(model) if model else None), url)

    def handle(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
        (found,) = queue.submit([raw])
        return found.contract(), "flagged" if found.flags else "clean"

    with file.open(encoding="utf-8-sig") as lines:
        counts = run_json_lines(lines, sys.stdout, handle, "call_id", "call")
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    typer.echo(f"submitted {sum(counts.values())} calls: {summary or 'none'}", err=True)
    if counts["error"]:
        raise typer.Exit(code=1)


@app.command("queue")
def queue_cmd(
    limit: int = typer.Option(20, "--limit", help="How many calls to list."),
    url: str | None = _URL,
) -> None:
    """The next calls to review: most severe first, then by score; the audit sample last."""
    from zhudai.callqa.review import ReviewQueue

    for item in ReviewQueue(url=url).next(limit):
        typer.echo(item.model_dump_json())


@app.command("verdict")
def verdict_cmd(
    call_id: str = typer.Argument(..., help="The reviewed call."),
    violations: str = typer.Option(
        "", "--violations", help="Comma-separated types heard (empty: the call is clean)."
    ),
    reviewer: str = typer.Option(..., "--reviewer", help="Who reviewed it."),
    url: str | None = _URL,
) -> None:
    """Keep a reviewer's verdict on a call; it trains the next model (train --verdicts)."""
    from zhudai.callqa.review import ReviewQueue

    kinds = [v.strip() for v in violations.split(",") if v.strip()]
    ReviewQueue(url=url).record_verdict(call_id, kinds, reviewer)
    typer.echo(f"{call_id}: {', '.join(kinds) or 'clean'} ({reviewer})")


@app.command("evaluate")
def evaluate_cmd(
    world: Path = typer.Option(..., "--world", help="World folder to measure on."),
    model: Path | None = _MODEL,
) -> None:
    """Precision and recall per type on a world's labelled transcripts, the reviewer workload;
    a table, then one JSON line."""
    import json

    from zhudai.callqa.evaluation import SEVERE_TYPES, evaluate
    from zhudai.callqa.inspector import Inspector
    from zhudai.callqa.model import ParaphraseModel

    result = evaluate(world, Inspector(model=ParaphraseModel.load(model) if model else None))
    typer.echo(f"{'type':<24}{'support':>8}{'flagged':>8}{'tp':>6}{'precision':>11}{'recall':>8}")
    for s in result.scores:
        mark = " *" if s.type in SEVERE_TYPES else ""
        typer.echo(
            f"{s.type.value:<24}{s.support:>8}{s.flagged:>8}{s.true_positives:>6}"
            f"{s.precision:>11.3f}{s.recall:>8.3f}{mark}"
        )
    w = result.workload
    typer.echo(
        f"calls {w.calls}, flagged {w.flagged}, audit {w.audited:g}: reviewer-minutes "
        f"{w.full_minutes:g} by hand vs {w.inspected_minutes:g} (cut {w.cut:.1%}); "
        f"{w.reviewers_per_claim_50} reviewers where full review needs 50; catch rate "
        f"{w.catch_rate:.3f}"
    )
    typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))


@app.command("listen")
def listen_cmd(
    audio: Path = typer.Argument(..., exists=True, dir_okay=False, help="WAV recording of a call."),
    call_id: str = typer.Option(..., "--call-id"),
    started_at: str = typer.Option(..., "--started-at", help="ISO 8601 with a UTC offset."),
    debtor_tz: str = typer.Option(..., "--debtor-tz", help="IANA zone of the debtor."),
    backend: str = typer.Option(
        "pocketsphinx", "--backend", help="pocketsphinx (English, offline) or funasr."
    ),
    model_dir: Path | None = typer.Option(
        None, "--model-dir", help="Speech model folder (required for funasr)."
    ),
) -> None:
    """Transcribe a recorded call and inspect it: the contract's line plus the heard text."""
    import json

    from zhudai.callqa.speech import FunAsrSpeech, PocketSphinxSpeech, SpeechToText
    from zhudai.exceptions import InvalidInputError

    stt: SpeechToText
    if backend == "pocketsphinx":
        stt = PocketSphinxSpeech(model_dir)
    elif backend == "funasr":
        if model_dir is None:
            raise InvalidInputError("--model-dir", "funasr needs the deployed model's folder")
        stt = FunAsrSpeech(model_dir)
    else:
        raise InvalidInputError("--backend", f"must be pocketsphinx or funasr; got {backend!r}")
    from zhudai.callqa.inspector import Inspector

    text = stt.transcribe(audio)
    found = Inspector().inspect(
        {"call_id": call_id, "started_at": started_at, "debtor_tz": debtor_tz, "text": text}
    )
    typer.echo(json.dumps(found.contract() | {"text": text}, ensure_ascii=False))
