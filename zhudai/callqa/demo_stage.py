"""Demo stage ``callqa``: the paraphrase model trained on a world of varied transcripts, the
demo world's calls submitted to the review queue, and the inspection measured on them
(precision and recall per type, the reviewer workload)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from zhudai.callqa.evaluation import evaluate, labelled_calls, train, training_world
from zhudai.callqa.inspector import Inspector
from zhudai.callqa.review import ReviewQueue

#: Calls of the demo world put in the review queue (all are inspected for the metrics).
QUEUED_CALLS = 2000
#: Customers of the world the model trains on (at most the demo's own size).
TRAINING_CUSTOMERS = 4000


def run_stage(ctx: Any) -> list[str]:
    world = ctx.artifacts.get("world_dir")
    if world is None:
        return ["callqa skipped: no world"]
    out = ctx.out_dir / "callqa"
    out.mkdir(parents=True, exist_ok=True)
    customers = min(ctx.customers, TRAINING_CUSTOMERS)
    model = train([training_world(out / "training-world", customers, ctx.seed + 1)])
    ctx.artifacts["callqa_model"] = model.save(out / "model.json")
    inspector = Inspector(model=model)
    calls, _ = labelled_calls(world)
    queue = ReviewQueue(inspector, ctx.settings.database_url)
    submitted = queue.submit(islice(calls, QUEUED_CALLS))
    result = evaluate(world, inspector)
    lines = [f"paraphrase model trained on {customers:,} customers' calls: {out / 'model.json'}"]
    lines.append(
        f"review queue: {len(submitted):,} calls submitted, "
        f"{sum(bool(i.flags) for i in submitted):,} flagged; next up:"
    )
    for item in queue.next(3):
        first = item.flags[0] if item.flags else {"type": "audit", "evidence": ""}
        lines.append(f"  {item.call_id:>6}  {first['type']:<24} {str(first['evidence'])[:40]}")
    for s in result.scores:
        lines.append(
            f"  {s.type.value:<24} support {s.support:>5}  precision {s.precision:.3f}"
            f"  recall {s.recall:.3f}"
        )
    w = result.workload
    lines.append(
        f"workload: {w.calls:,} calls, {w.flagged:,} flagged, audit {w.audited:g}; "
        f"{w.reviewers_per_claim_50} reviewers where full review needs 50 (cut {w.cut:.1%}),"
        f" catch rate {w.catch_rate:.3f}"
    )
    return lines
