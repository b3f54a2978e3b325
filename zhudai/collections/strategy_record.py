"""The last strategy comparison's results, kept under ``ZHUDAI_HOME`` for the web page.

The comparison itself is evaluation code (it works cases with the simulated world's responses,
``strategy_evaluation``); this module only writes and reads its JSON record, so the dashboard
shows it without importing the world.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Where the last comparison's record is kept, under ``ZHUDAI_HOME``.
COMPARISON_FILE = Path("reports") / "collections_strategies.json"


def save_comparison(record: dict[str, Any], home: str | Path) -> Path:
    """Write ``record`` (``Comparison.record()``) to ``home / COMPARISON_FILE``, replacing the
    last one in one rename so a reader never sees half a file; returns the path."""
    path = Path(home) / COMPARISON_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record, ensure_ascii=False, indent=1), "utf-8")
    partial.replace(path)
    return path


def load_comparison(home: str | Path) -> dict[str, Any] | None:
    """The last saved comparison's record, or ``None`` when none was saved under ``home``."""
    path = Path(home) / COMPARISON_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else None
