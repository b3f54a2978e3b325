"""Reject inference on development worlds: which method ranks the through-the-door best.

Generates one world per seed (in a temporary folder), runs
:func:`zhudai.scorecard.reject_evaluation.evaluate_reject_inference` on it and prints each
world's table, then the mean through-the-door AUC (against the true PD) of the known-good/bad
card and of each method over the seeds. ``DEFAULT_METHOD`` in
``zhudai/scorecard/reject_inference.py`` is the best mean here.

    python benchmarks/bench_reject_inference.py                       # 20k customers, seeds 1-3
    python benchmarks/bench_reject_inference.py --customers 5000 --seeds 1 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    from zhudai.scorecard.reject_evaluation import KNOWN_GOOD_BAD, evaluate_reject_inference
    from zhudai.world import generate_world

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    aucs: dict[str, list[float]] = {}
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix="bench-reject-") as tmp:
            world = generate_world(args.customers, seed, out_dir=Path(tmp) / f"world-{seed}")
            started = time.perf_counter()
            report = evaluate_reject_inference(world, seed=seed)
            seconds = time.perf_counter() - started
        print("\n".join(report.lines()))
        print(report.json_line())
        print(f"({seconds:.0f} s)\n")
        aucs.setdefault(KNOWN_GOOD_BAD, []).append(report.known_good_bad.through_the_door)
        for name, scores in report.methods.items():
            aucs.setdefault(name, []).append(scores.through_the_door)
    means = {name: sum(v) / len(v) for name, v in aucs.items()}
    kgb = means[KNOWN_GOOD_BAD]
    print(f"mean through-the-door AUC over seeds {args.seeds} ({args.customers:,} customers):")
    for name, mean in means.items():
        per_seed = " ".join(f"{a:.4f}" for a in aucs[name])
        print(f"  {name:<16} {mean:.4f}  ({per_seed})  vs KGB {mean - kgb:+.4f}")
    best = max((m for m in means if m != KNOWN_GOOD_BAD), key=means.__getitem__)
    print(json.dumps({"best": best, "means": {k: round(v, 6) for k, v in means.items()}}))


if __name__ == "__main__":
    main()
