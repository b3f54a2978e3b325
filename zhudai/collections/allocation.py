"""分案 (case allocation): which treatment, and which queue of it, works each overdue case for
its next review period, by bucket x C-score band x amount band, within the queues' capacities.

The treatments (SMS, automated call, in-house agents, outsourced agencies), their costs,
commissions, queues and capacities, the bands and the strategies are declared once, in
``allocation.yaml`` shipped with the package (:func:`load_allocation` reads another file).

A strategy is a list of rows read in order; the first row matching a case names its
treatment. Cases are placed largest amount overdue first (scarce agent time goes where most
money is), each in the queue of its treatment with the most room left (ties by case id); when the treatment is
full the case goes to the next treatment of ``overflow`` with room (the last is unlimited).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhudai.collections.actions import ActionKind
from zhudai.exceptions import InvalidInputError
from zhudai.loans.delinquency import BUCKETS

SHIPPED = Path(__file__).with_name("allocation.yaml")


class ScoreBand(StrEnum):
    LOW = "low"
    MID = "mid"
    HIGH = "high"


class AmountBand(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class Treatment(BaseModel):
    """One treatment: its action kind, cost of one action, commission on the amount it
    recovers, and its queues with their capacity in cases (``None``: unlimited)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ActionKind
    cost_per_action: float = Field(ge=0)
    commission: float = Field(ge=0, lt=1)
    queues: dict[str, int | None] = Field(min_length=1)

    @model_validator(mode="after")
    def _capacities(self) -> Treatment:
        for name, capacity in self.queues.items():
            if capacity is not None and capacity < 1:
                raise ValueError(f"queue {name!r} capacity must be >= 1 or null; got {capacity}")
        return self

    @property
    def unlimited(self) -> bool:
        return any(c is None for c in self.queues.values())


class ScoreCuts(BaseModel):
    """P(repaid within 30 days): ``low`` below ``low``, ``high`` from ``high``, else mid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float = Field(gt=0, lt=1)
    high: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> ScoreCuts:
        if self.low >= self.high:
            raise ValueError(f"low must be below high; got {self.low} and {self.high}")
        return self

    def band(self, p_repay: float | None) -> ScoreBand | None:
        if p_repay is None:
            return None
        if p_repay < self.low:
            return ScoreBand.LOW
        return ScoreBand.HIGH if p_repay >= self.high else ScoreBand.MID


class AmountCuts(BaseModel):
    """Amount overdue (CNY): ``small`` below ``small``, ``large`` from ``large``, else medium."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    small: float = Field(gt=0)
    large: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AmountCuts:
        if self.small >= self.large:
            raise ValueError(f"small must be below large; got {self.small} and {self.large}")
        return self

    def band(self, amount: float) -> AmountBand:
        if amount < self.small:
            return AmountBand.SMALL
        return AmountBand.LARGE if amount >= self.large else AmountBand.MEDIUM


class StrategyRow(BaseModel):
    """Matches the cases in ``buckets`` x ``scores`` x ``amounts`` (omitted: any; a case
    without a C-score matches only rows without ``scores``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    buckets: tuple[str, ...] | None = None
    scores: tuple[ScoreBand, ...] | None = None
    amounts: tuple[AmountBand, ...] | None = None
    treatment: str

    def matches(self, bucket: str, score: ScoreBand | None, amount: AmountBand) -> bool:
        return (
            (self.buckets is None or bucket in self.buckets)
            and (self.scores is None or score in self.scores)
            and (self.amounts is None or amount in self.amounts)
        )

    @property
    def catch_all(self) -> bool:
        return self.buckets is None and self.scores is None and self.amounts is None


class AllocationConfig(BaseModel):
    """Treatments, overflow order, bands and strategies (``allocation.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    treatments: dict[str, Treatment] = Field(min_length=1)
    overflow: tuple[str, ...]
    score_bands: ScoreCuts
    amount_bands: AmountCuts
    strategies: dict[str, tuple[StrategyRow, ...]] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> AllocationConfig:
        names = set(self.treatments)
        if set(self.overflow) != names or len(self.overflow) != len(names):
            raise ValueError(f"overflow must name every treatment once; got {list(self.overflow)}")
        if not self.treatments[self.overflow[-1]].unlimited:
            raise ValueError(f"overflow's last treatment {self.overflow[-1]!r} must be unlimited")
        queues = [q for t in self.treatments.values() for q in t.queues]
        if len(set(queues)) != len(queues):
            raise ValueError("queue names must be unique across treatments")
        for name, rows in self.strategies.items():
            if not rows or not rows[-1].catch_all:
                raise ValueError(f"strategy {name!r} must end with a row matching any case")
            for row in rows:
                if row.treatment not in names:
                    raise ValueError(f"strategy {name!r}: unknown treatment {row.treatment!r}")
                unknown = set(row.buckets or ()) - set(BUCKETS)
                if unknown:
                    raise ValueError(f"strategy {name!r}: unknown buckets {sorted(unknown)}")
        return self

    def strategy(self, name: str) -> tuple[StrategyRow, ...]:
        if name not in self.strategies:
            raise InvalidInputError("strategy", f"must be one of {sorted(self.strategies)}")
        return self.strategies[name]

    def treatment_of_queue(self, queue: str) -> str:
        for name, treatment in self.treatments.items():
            if queue in treatment.queues:
                return name
        raise InvalidInputError("queue", f"is not a queue of any treatment; got {queue!r}")


def load_allocation(path: Path | None = None) -> AllocationConfig:
    """The allocation settings of a YAML file (default: the shipped ``allocation.yaml``)."""
    from zhudai.parsing import parse_input, read_yaml_mapping

    return parse_input(AllocationConfig, read_yaml_mapping(path or SHIPPED, "allocation"))


@dataclass(frozen=True)
class CaseToAllocate:
    """What allocation reads of a case: its bucket, C-score probability and amount overdue."""

    case_id: int
    bucket: str
    p_repay: float | None
    amount_overdue: float


@dataclass(frozen=True)
class Assignment:
    """Where a case goes: the treatment its strategy wanted, the one it got (they differ when
    the wanted one was full), the queue, and the strategy row (0-based) that chose it."""

    case_id: int
    wanted: str
    treatment: str
    queue: str
    row: int


def allocate(
    cases: Iterable[CaseToAllocate], config: AllocationConfig, strategy: str
) -> list[Assignment]:
    """Assign each case to a treatment and a queue (see the module docstring); in case order.

    Examples
    --------
    >>> config = load_allocation()
    >>> [a.queue for a in allocate([CaseToAllocate(1, "M1", 0.9, 300.0),
    ...                             CaseToAllocate(2, "M2", 0.7, 3000.0)], config, "ccard")]
    ['sms', 'agent-03']
    """
    rows = config.strategy(strategy)
    todo = list(cases)
    if len({c.case_id for c in todo}) != len(todo):
        raise InvalidInputError("case_id", "each case may be allocated once")
    room: dict[str, float] = {
        q: float("inf") if c is None else float(c)
        for t in config.treatments.values()
        for q, c in t.queues.items()
    }
    placed: dict[int, Assignment] = {}
    for case in sorted(todo, key=lambda c: (-c.amount_overdue, c.case_id)):
        score = config.score_bands.band(case.p_repay)
        amount = config.amount_bands.band(case.amount_overdue)
        index = next(i for i, r in enumerate(rows) if r.matches(case.bucket, score, amount))
        wanted = rows[index].treatment
        for name in config.overflow[config.overflow.index(wanted) :]:
            queue = _roomiest(list(config.treatments[name].queues), room, case.case_id)
            if room[queue] >= 1:
                room[queue] -= 1
                placed[case.case_id] = Assignment(case.case_id, wanted, name, queue, index)
                break
    return [placed[c.case_id] for c in todo]


def _roomiest(queues: list[str], room: dict[str, float], case_id: int) -> str:
    """The queue with the most room; among equals the one at ``case_id`` modulo their number
    (so queues that start every day equal share the cases over the days)."""
    most = max(room[q] for q in queues)
    ties = [q for q in queues if room[q] == most]
    return ties[case_id % len(ties)]


def queue_loads(assignments: Sequence[Assignment]) -> Counter[str]:
    """Cases per queue."""
    return Counter(a.queue for a in assignments)
