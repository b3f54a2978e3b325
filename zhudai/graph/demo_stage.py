"""Demo stage ``graph``: the world's relationship graph, its clusters and ring scores.

Reads ``ctx.artifacts["world_dir"]``; writes ``ctx.out_dir / "graph" / *.parquet``. It leaves
no artefact: the fraud stage feeds its own live graph as it replays the world.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhudai.exceptions import ConfigurationError
from zhudai.graph.pipeline import build_world_graph


def run_stage(ctx: Any) -> list[str]:
    """Build the graph from the world stage's output and report what it found."""
    if "world_dir" not in ctx.artifacts:
        raise ConfigurationError(
            "graph stage: ctx.artifacts['world_dir'] is missing (run the world stage first)"
        )
    result = build_world_graph(Path(ctx.artifacts["world_dir"]), ctx.out_dir / "graph")
    return [*result.summary(), f"graph tables: {ctx.out_dir / 'graph'}"]
