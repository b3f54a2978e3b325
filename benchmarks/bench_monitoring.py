"""Alerts of the monitoring report on generated worlds: quiet (no planted attack), attacked
(the defaults) and shocked (a macro-shock month and a channel shift on top), seed 7.

For each world: alerts, alerts per week, the most alerts in one calendar week and, by kind,
the planted attacks and shocks an alert involving them found within a day of their start, and
in brackets those an alert of a kind that sees them merely coincided with (the numbers of
``docs/monitoring.md``). Must hold: a quiet world raises at most one alert in any week.

    python benchmarks/bench_monitoring.py            # 5,000 and 20,000 customers, realistic
    python benchmarks/bench_monitoring.py --quick    # 5,000 customers
    python benchmarks/bench_monitoring.py --difficulty easy   # no hidden fraud
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from zhudai.fraud.pipeline import replay_world
from zhudai.monitoring.evaluation import evaluate_detection, planted_attacks
from zhudai.monitoring.report import build_report
from zhudai.monitoring.sources import application_window_end, from_files
from zhudai.world import WorldParams, generate_world
from zhudai.world.difficulty import HiddenFraud

WORLDS = {
    # no fraud of any kind, hidden fraud included, whatever the difficulty
    "quiet": {
        "ring_share": 0,
        "probing_share": 0,
        "identity_theft_share": 0,
        "hidden": HiddenFraud(),
    },
    "attacked": {},
    "shocked": {"macro_shock": {"month": 6}, "channel_shift": {"start": "2024-09-02"}},
}


def measure(n: int, name: str, folder: Path, difficulty: str) -> dict[str, object]:
    """Generate one world, replay the fraud layer, build the report, count what it found."""
    params = WorldParams.at_difficulty(difficulty, **WORLDS[name])
    d = generate_world(n, 7, out_dir=folder / f"{name}-{n}-{difficulty}", params=params)
    results = replay_world(d)
    report = build_report(from_files(d, results, application_window_end(d)), results)
    found = evaluate_detection(report.alerts, planted_attacks(d), results)
    by_kind = {
        kind: f"{int(part['found'].sum())}/{part.height} ({int(part['coincident'].sum())})"
        for (kind,), part in found.group_by("kind", maintain_order=True)
    }
    return {
        "world": name,
        "difficulty": difficulty,
        "customers": n,
        **report.summary(),
        "found_within_a_day (coincident)": by_kind,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 customers only")
    parser.add_argument(
        "--difficulty", choices=("easy", "realistic", "hard"), default="realistic",
        help="hidden fraud of the worlds (zhudai world generate --difficulty)",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = (5_000,) if args.quick else (5_000, 20_000)
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as tmp:
        for n in sizes:
            for name in WORLDS:
                row = measure(n, name, Path(tmp), args.difficulty)
                print(json.dumps(row, ensure_ascii=False), flush=True)
                if name == "quiet" and row["max_alerts_in_a_week"] > 1:  # type: ignore[operator]
                    raise SystemExit(f"quiet world of {n:,}: more than one alert in a week")


if __name__ == "__main__":
    main()
