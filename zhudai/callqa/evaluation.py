"""Evaluation on a world's labelled transcripts (reads ``truth/``: evaluation code only):
train the paraphrase model, then precision and recall per type and the reviewer workload."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from zhudai.callqa.call import Call
from zhudai.callqa.context import Context
from zhudai.callqa.flags import FlagType
from zhudai.callqa.inspector import Inspection, Inspector
from zhudai.callqa.model import ParaphraseModel, collector_words
from zhudai.callqa.workload import Workload, workload
from zhudai.exceptions import MissingFileError
from zhudai.times import from_local

#: The types the issue holds to recall >= 0.95 and precision >= 0.85.
SEVERE_TYPES = (
    FlagType.THREAT,
    FlagType.FALSE_LEGAL_THREAT,
    FlagType.IMPERSONATION,
    FlagType.THIRD_PARTY_DISCLOSURE,
    FlagType.CONTACT_BOOK_THREAT,
)
#: The zone of the world's debtors (its times are Asia/Shanghai wall clock).
WORLD_TZ = "Asia/Shanghai"


class TypeScore(BaseModel):
    """Call-level counts of one type: a call is flagged for it if any flag has the type."""

    model_config = ConfigDict(frozen=True)

    type: FlagType
    support: int
    flagged: int
    true_positives: int
    precision: float
    recall: float


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    calls: int
    scores: tuple[TypeScore, ...]
    workload: Workload


def labelled_calls(world: Path) -> tuple[list[Call], list[frozenset[FlagType]]]:
    """The world's calls in the contract's form and the violation types of each."""
    path = world / "call_transcripts.parquet"
    if not path.is_file():
        raise MissingFileError("world", path)
    calls = pl.read_parquet(path).join(
        pl.read_parquet(world / "truth" / "transcripts.parquet"), on="call_id"
    )
    out, labels = [], []
    for row in calls.iter_rows(named=True):
        started: datetime = row["started_at"]
        out.append(
            Call(
                call_id=str(row["call_id"]),
                started_at=from_local(started),
                debtor_tz=WORLD_TZ,
                text=row["text"],
            )
        )
        v = row["violation"]
        labels.append(frozenset() if v == "none" else frozenset({FlagType(v)}))
    return out, labels


def train(
    worlds: Sequence[Path],
    verdicts: tuple[list[str], list[frozenset[FlagType]]] = ([], []),
) -> ParaphraseModel:
    """The paraphrase model trained on the collector's words of every call of ``worlds`` and
    on reviewers' ``verdicts`` (:meth:`~zhudai.callqa.review.ReviewQueue.training_examples`)."""
    texts, labels = list(verdicts[0]), list(verdicts[1])
    for world in worlds:
        calls, found = labelled_calls(world)
        texts += [collector_words(Context(c.text)) for c in calls]
        labels += found
    return ParaphraseModel().fit(texts, labels)


def score_types(
    inspections: Sequence[Inspection], labels: Sequence[frozenset[FlagType]]
) -> tuple[TypeScore, ...]:
    """Precision and recall of each type over calls."""
    out = []
    for kind in FlagType:
        flagged = [any(f.type is kind for f in i.flags) for i in inspections]
        truth = [kind in lab for lab in labels]
        tp = sum(f and t for f, t in zip(flagged, truth, strict=True))
        n_flag, n_true = sum(flagged), sum(truth)
        if n_flag == 0 and n_true == 0:
            continue
        out.append(
            TypeScore(
                type=kind,
                support=n_true,
                flagged=n_flag,
                true_positives=tp,
                precision=round(tp / n_flag, 4) if n_flag else 0.0,
                recall=round(tp / n_true, 4) if n_true else 0.0,
            )
        )
    return tuple(out)


def evaluate(world: Path, inspector: Inspector) -> Evaluation:
    """Inspect every call of ``world`` and score it against its truth."""
    calls, labels = labelled_calls(world)
    inspections = [inspector.inspect(c) for c in calls]
    flagged = [bool(i.flags) for i in inspections]
    violating = [bool(lab) for lab in labels]
    caught = sum(f and v for f, v in zip(flagged, violating, strict=True))
    times = [c.started_at for c in calls]
    days = (max(times) - min(times)).total_seconds() / 86_400 if times else 0.0
    return Evaluation(
        calls=len(calls),
        scores=score_types(inspections, labels),
        workload=workload(len(calls), sum(flagged), sum(violating), caught, days),
    )


#: Share of violating calls in a world generated to train the model (more examples per type).
TRAINING_VIOLATION_SHARE = 0.4


def training_world(out: Path, customers: int, seed: int) -> Path:
    """A world with varied transcripts to train the paraphrase model on (world code is
    reached only from evaluation code)."""
    from zhudai.world import WorldParams, generate_world

    params = WorldParams.at_difficulty("realistic", violation_share=TRAINING_VIOLATION_SHARE)
    return generate_world(customers, seed, out_dir=out, params=params)
