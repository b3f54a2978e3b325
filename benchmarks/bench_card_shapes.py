"""The card on three table shapes where a fixed binning or selection rule loses signal, next to
its peers and to the rule it replaced.

Shapes (seeded generators in ``tests/support/card_shapes.py``; the risk structure is fixed, the
seed draws the rows): integer-coded categories with non-monotone risk (20,000 training rows),
one very strong driver on a small table (5,000), forty weak drivers and ten noise columns on a
large table (100,000). Each of 5 seeds trains on seed ``s`` and tests on 50,000 fresh rows of
seed ``100 + s``. Rows: the full card, the card under the old rule ("old rule": every numeric
column ordered; the 30-expected-bads bin share for every variable; at most 30 features and
the IV floor at the fixed noise level 30), WOE +
LR on every column for zhudai and each peer (default settings, as in
``bench_scorecard_vs_peers.py``).

Run: ``.venv/bin/python benchmarks/bench_card_shapes.py [--seeds 5] [--shape codes strong weak]
[--skip TOOL ...]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shapes in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the peers' adapters next door

from bench_scorecard_vs_peers import TOOLS, run_tool  # noqa: E402

from tests.support.card_shapes import (  # noqa: E402
    coded_categories,
    many_weak_drivers,
    one_strong_driver,
)
from zhudai.scorecard import Binner, FeatureSelector, Scorecard  # noqa: E402
from zhudai.scorecard import metrics as zm  # noqa: E402
from zhudai.scorecard.binning import (  # noqa: E402
    AUTO_BIN_BADS,
    AUTO_BIN_SHARE_MAX,
    AUTO_BIN_SHARE_MIN,
)

Generator = Callable[[int, int], tuple[pd.DataFrame, np.ndarray]]
TEST_ROWS = 50_000


def _old_share(y: np.ndarray) -> float:
    """The ``min_bin_share="auto"`` of before the strong-variable rule (one share for all)."""
    return min(max(AUTO_BIN_BADS / float(y.sum()), AUTO_BIN_SHARE_MIN), AUTO_BIN_SHARE_MAX)


OLD_RULES: dict[str, Callable[[np.ndarray], Scorecard]] = {
    "codes": lambda y: Scorecard(binner=Binner(max_code_levels=0)),
    "strong": lambda y: Scorecard(binner=Binner(min_bin_share=_old_share(y))),
    "weak": lambda y: Scorecard(selector=FeatureSelector(max_features=30, iv_noise_stat=30.0)),
}
SHAPES: dict[str, tuple[str, Generator, int]] = {
    "codes": ("integer-coded categories", coded_categories, 20_000),
    "strong": ("one very strong driver", one_strong_driver, 5_000),
    "weak": ("many weak drivers", many_weak_drivers, 100_000),
}


def _card_auc(card: Scorecard, X, y, X_te, y_te) -> float:
    card.fit(X, y)
    return zm.auc(y_te, card.predict_proba(X_te)[:, 1])


def shape(name: str, tools: list[str], seeds: int) -> None:
    title, generate, n = SHAPES[name]
    rows: dict[str, list[float]] = {"zhudai card": [], "old rule": [], **{t: [] for t in tools}}
    for seed in range(seeds):
        X, y = generate(n, seed)
        X_te, y_te = generate(TEST_ROWS, 100 + seed)
        rows["zhudai card"].append(_card_auc(Scorecard(), X, y, X_te, y_te))
        rows["old rule"].append(_card_auc(OLD_RULES[name](y), X, y, X_te, y_te))
        for t in tools:
            r = run_tool(t, X, y, X_te, y_te)
            rows[t].append(r.get("auc", float("nan")))
    card = np.array(rows["zhudai card"])
    print(f"\n{title} ({name}): {n:,} training rows, {TEST_ROWS:,} test rows, seeds 0-{seeds - 1}")
    print(f"{'':<16} {'mean AUC':>9} {'card - this':>12} {'min':>8} {'max':>8}")
    for t, aucs in rows.items():
        diff = card - np.array(aucs)
        print(
            f"{t:<16} {np.mean(aucs):9.4f} {diff.mean():+12.4f} {diff.min():+8.4f} {diff.max():+8.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per shape")
    parser.add_argument("--skip", nargs="*", default=[], help="peers to leave out")
    parser.add_argument("--shape", nargs="*", default=list(SHAPES), choices=list(SHAPES))
    args = parser.parse_args()
    tools = [t for t in TOOLS if t not in args.skip]
    for name in args.shape:
        shape(name, tools, args.seeds)


if __name__ == "__main__":
    main()
