"""``zhudai demo``: every capability's stage, in the order of a loan's life, on one machine.

A stage is a function ``run_stage(ctx: DemoContext) -> list[str]`` in its own package; it reads
what earlier stages left in ``ctx.artifacts``, adds its own outputs there, and returns the
lines to print. Stages share no other state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from zhudai.imports import import_target
from zhudai.settings import Settings, get_settings

# (stage name, "module:function"), in the order they run.
STAGES: tuple[tuple[str, str], ...] = (
    ("world", "zhudai.world.demo_stage:run_stage"),
    ("store", "zhudai.store.demo_stage:run_stage"),
    # the bank's existing book taken over: the cards' labels come from it
    ("book", "zhudai.loans.demo_stage:onboard_stage"),
    ("features", "zhudai.features.demo_stage:run_stage"),
    ("graph", "zhudai.graph.demo_stage:run_stage"),
    ("cards", "zhudai.scorecard.demo_stage:run_stage"),
    # fraud runs before decisions so the policy's fraud checks see real signals
    ("fraud", "zhudai.fraud.demo_stage:run_stage"),
    ("decisions", "zhudai.origination.demo_stage:run_stage"),
    ("loans", "zhudai.loans.demo_stage:run_stage"),
    ("bcard", "zhudai.loans.bcard_demo_stage:run_stage"),
    ("collections", "zhudai.collections.demo_stage:run_stage"),
    # every collection call inspected: the review queue and the measured workload
    ("callqa", "zhudai.callqa.demo_stage:run_stage"),
    ("monitoring", "zhudai.monitoring.demo_stage:run_stage"),
    # acquisition reads everything above: the book's economics and a day of funder allocation
    ("acquisition", "zhudai.acquisition.demo_stage:run_stage"),
)


@dataclass
class DemoContext:
    """What the stages share: settings, the output folder, the world size and artefacts."""

    settings: Settings
    out_dir: Path
    customers: int
    seed: int
    console: Console
    artifacts: dict[str, Any] = field(default_factory=dict)


def fresh_embedded_store(settings: Settings) -> None:
    """Remove the embedded SQLite store under ``settings.home`` (and its WAL files), so the
    demo's data starts clean; the keys stay, the world is encrypted with them."""
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    from zhudai.store.db import clear_engines

    clear_engines()  # an engine may hold the removed file open


def run_demo(
    out_dir: str | Path, customers: int, seed: int, settings: Settings | None = None
) -> DemoContext:
    """Run each stage in order, printing what it did and where its outputs are."""
    console = Console()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings = settings or get_settings()
    if not settings.db_url:  # a fresh embedded store per demo run, where every command finds it
        fresh_embedded_store(settings)
    ctx = DemoContext(settings, out, customers, seed, console)
    console.print(
        f"[bold]zhudai demo[/bold]: {customers:,} customers, seed {seed}, outputs in {out}"
    )
    for name, target in STAGES:
        stage: Callable[[DemoContext], list[str]] = import_target(target)
        started = time.perf_counter()
        console.rule(f"[bold cyan]{name}")
        for line in stage(ctx):
            console.print(line, markup=False, highlight=False)
        console.print(f"[dim]{name} done in {time.perf_counter() - started:.1f}s[/dim]")
    console.rule("[bold green]demo complete")
    for key, value in ctx.artifacts.items():
        if isinstance(value, Path):
            console.print(f"{key}: {value}", markup=False)
    return ctx
