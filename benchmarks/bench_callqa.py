"""``zhudai callqa``: calls inspected per second, lexicon alone and with the paraphrase model,
on the varied transcripts of a generated world (the model trained on another seed).

    python benchmarks/bench_callqa.py [--customers 8000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from zhudai.callqa.evaluation import labelled_calls, train
from zhudai.callqa.inspector import Inspector
from zhudai.world import WorldParams, generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=8000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        params = WorldParams.at_difficulty("realistic")
        train_dir = generate_world(args.customers, 1, out_dir=Path(tmp) / "train", params=params)
        test_dir = generate_world(args.customers, 2, out_dir=Path(tmp) / "test", params=params)
        model = train([train_dir])
        calls, _ = labelled_calls(test_dir)
    for name, inspector in (("lexicon", Inspector()), ("lexicon+model", Inspector(model=model))):
        inspector.inspect(calls[0])  # loads jieba's dictionary once
        start = time.perf_counter()
        for call in calls:
            inspector.inspect(call)
        seconds = time.perf_counter() - start
        print(
            json.dumps(
                {
                    "inspector": name,
                    "calls": len(calls),
                    "seconds": round(seconds, 2),
                    "per_second": round(len(calls) / seconds),
                }
            )
        )


if __name__ == "__main__":
    main()
