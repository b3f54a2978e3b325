"""What a flow carries while it runs: one applicant (:class:`RowState`) or a frame (:class:`FrameState`).

Both record the same things -- variables, reason codes, a terminal outcome once one is reached,
the review flag, model outputs -- so the frame mode can be tested equal to the row mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zhudai.decision.document import Outcome
from zhudai.decision.expression import VarType
from zhudai.decision.model_contract import ScoringModel
from zhudai.decision.trace import TraceEntry

ERR_EVAL = "ERR_EVAL"


@dataclass
class RowState:
    """One applicant's walk through the flow."""

    raw: Mapping[str, Any]
    env: dict[str, Any]
    models: Mapping[str, ScoringModel]
    reasons: list[str] = field(default_factory=list)
    outcome: Outcome | None = None  # set once the flow stops (reject, error, review by policy)
    review: bool = False
    error: str | None = None
    trace: list[TraceEntry] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)
    model_versions: dict[str, dict[str, str]] = field(default_factory=dict)
    model_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    adverse: list[tuple[str, float]] = field(default_factory=list)

    def fail(self, step: str, problem: str) -> None:
        self.outcome = Outcome.ERROR
        self.error = f"{step}: {problem}"
        self.reasons.append(ERR_EVAL)

    def stop(self, outcome: Outcome, reason: str) -> None:
        self.outcome = outcome
        self.reasons.append(reason)


_EMPTY: dict[VarType, Any] = {
    VarType.NUMBER: np.nan,
    VarType.INTEGER: np.nan,
    VarType.BOOLEAN: False,
}


@dataclass
class FrameState:
    """Many applicants at once; ``active`` marks rows still walking the flow."""

    size: int
    raw: pd.DataFrame
    env: dict[str, np.ndarray]
    models: Mapping[str, ScoringModel]
    active: np.ndarray = field(init=False)
    outcome: np.ndarray = field(init=False)
    review: np.ndarray = field(init=False)
    reasons: list[list[str]] = field(init=False)
    adverse: list[list[tuple[str, float]]] = field(init=False)
    errors: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.active = np.ones(self.size, dtype=bool)
        self.outcome = np.full(self.size, None, dtype=object)
        self.review = np.zeros(self.size, dtype=bool)
        self.reasons = [[] for _ in range(self.size)]
        self.adverse = [[] for _ in range(self.size)]

    def add_reason(self, mask: np.ndarray, code: str) -> None:
        for i in np.flatnonzero(mask):
            self.reasons[i].append(code)

    def stop(self, mask: np.ndarray, outcome: Outcome, reason: str) -> None:
        mask = mask & self.active
        self.outcome[mask] = outcome
        self.add_reason(mask, reason)
        self.active &= ~mask

    def fail(self, mask: np.ndarray, step: str, problems: Mapping[int, str]) -> None:
        mask = mask & self.active
        for i in np.flatnonzero(mask):
            self.errors[int(i)] = f"{step}: {problems.get(int(i), 'evaluation failed')}"
        self.stop(mask, Outcome.ERROR, ERR_EVAL)

    def assign(self, name: str, typ: VarType, values: Any, mask: np.ndarray) -> None:
        """Write ``values`` into variable ``name`` for the rows in ``mask`` only."""
        current = self.env.get(name)
        if current is None:
            if typ in _EMPTY:
                current = np.full(
                    self.size, _EMPTY[typ], dtype=float if typ != VarType.BOOLEAN else bool
                )
            else:
                current = np.full(self.size, None, dtype=object)
            self.env[name] = current
        if np.ndim(values) == 0:
            current[mask] = values
        else:
            current[mask] = np.asarray(values)[mask]
