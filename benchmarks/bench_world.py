"""Generation time and peak memory of the synthetic world.

Each size runs in its own process (so peak RSS is that run's own) and writes to a temporary
folder that is removed afterwards. Target: 1M customers with 12 months of events in under
5 minutes and under 8 GB on 2 cores.

    python benchmarks/bench_world.py            # 100k and 1M customers
    python benchmarks/bench_world.py --quick    # 10k and 100k customers
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 300
TARGET_GB = 8.0


def _child(n: int, seed: int, months: int) -> None:
    """Generate one world and print its timing, memory and size as JSON."""
    from zhudai.world import generate_world

    with tempfile.TemporaryDirectory(prefix="bench-world-") as tmp:
        started = time.perf_counter()
        out = generate_world(n, seed, months, out_dir=Path(tmp) / "world")
        seconds = time.perf_counter() - started
        manifest = json.loads((out / "world.json").read_text())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    print(
        json.dumps(
            {"seconds": seconds, "peak_gb": peak_gb, "rows": manifest["rows"], "bytes": size}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k customers only")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.seed, args.months)
        return
    sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    print(
        f"{'customers':>10} {'seconds':>8} {'peak GB':>8} {'events':>12} {'ev/cust':>8} {'apps':>9} {'loans':>9} {'MB on disk':>10}  target"
    )
    for n in sizes:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            str(n),
            "--seed",
            str(args.seed),
            "--months",
            str(args.months),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows = r["rows"]
        events = rows["orders"] + rows["card_txns"] + rows["device_events"]
        ok = (
            ""
            if n < 1_000_000
            else ("met" if r["seconds"] < TARGET_SECONDS and r["peak_gb"] < TARGET_GB else "MISSED")
        )
        print(
            f"{n:>10,} {r['seconds']:>8.1f} {r['peak_gb']:>8.2f} {events:>12,} {events / n:>8.1f} "
            f"{rows['applications']:>9,} {rows['loans']:>9,} {r['bytes'] / 1e6:>10.0f}  {ok}"
        )


if __name__ == "__main__":
    main()
