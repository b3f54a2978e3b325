"""``zhudai collections guard``: actions judged per second, in process, through the same
``guard_lines`` the command runs (JSON parsing, validation, rules, counts, JSON answers).

The actions are random calls and SMS, 2 s apart, to ``--debtors`` debtors in Shanghai or New
York, so every rule that needs no third party or visit is exercised.

    python benchmarks/bench_collections_guard.py [--actions 100000] [--debtors 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import time
from datetime import UTC, datetime, timedelta

from zhudai.collections import ComplianceGuard
from zhudai.collections.cli import guard_lines


def proposals(n: int, debtors: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    lines = []
    for i in range(n):
        answered = rng.random() < 0.5
        action = {
            "action_id": f"A{i}",
            "debtor_id": f"D{rng.randrange(debtors)}",
            "phone": f"139{rng.randrange(10**8):08d}",
            "kind": rng.choice(["auto_call", "human_call", "sms"]),
            "at": (start + timedelta(seconds=2 * i)).isoformat(),
            "debtor_tz": rng.choice(["Asia/Shanghai", "America/New_York"]),
            "party": "debtor",
            "answered": answered,
            "effective": answered and rng.random() < 0.5,
        }
        lines.append(json.dumps(action))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--debtors", type=int, default=5000)
    args = parser.parse_args()
    text = proposals(args.actions, args.debtors)
    started = time.perf_counter()
    counts = guard_lines(io.StringIO(text), io.StringIO(), ComplianceGuard())
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "actions": args.actions,
                "seconds": round(seconds, 2),
                "per_second": round(args.actions / seconds),
                "answers": dict(sorted(counts.items())),
            }
        )
    )


if __name__ == "__main__":
    main()
