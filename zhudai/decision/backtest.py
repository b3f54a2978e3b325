"""Back-testing a policy on history, alone or against another (swap-in / swap-out).

Runs the compiled policy vectorised over the frame. Expected bad rate is the mean of the
policy's ``decision.pd`` over approvals; observed bad rate uses the ``target`` column where it
is known (only booked loans have an outcome). Expected profit per approval is

    limit x [(1 - pd) x apr x term / 12 - pd x lgd]

i.e. interest earned over the term if good, minus the loss given default if bad -- a simple,
stated yardstick to compare policies, not a P&L forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from zhudai.decision.engine import CompiledPolicy
from zhudai.exceptions import InvalidInputError

LGD = 0.6


@dataclass(frozen=True)
class PolicyStats:
    policy: str
    applications: int
    approved: int
    review: int
    approval_rate: float
    expected_bad_rate: float | None
    observed_bad_rate: float | None
    observed_n: int
    expected_profit: float

    def line(self) -> str:
        exp = "n/a" if self.expected_bad_rate is None else f"{self.expected_bad_rate:.4f}"
        obs = (
            "n/a"
            if self.observed_bad_rate is None
            else f"{self.observed_bad_rate:.4f} (n={self.observed_n})"
        )
        return (
            f"{self.policy}: approval rate {self.approval_rate:.3f} ({self.approved}/{self.applications}, "
            f"review {self.review}), expected bad rate {exp}, observed bad rate {obs}, "
            f"expected profit {self.expected_profit:,.0f}"
        )


@dataclass(frozen=True)
class SwapSet:
    name: str  # swap-in: approved by the new policy only; swap-out: by the old one only
    count: int
    expected_bad_rate: float | None
    observed_bad_rate: float | None

    def line(self) -> str:
        exp = "n/a" if self.expected_bad_rate is None else f"{self.expected_bad_rate:.4f}"
        obs = "n/a" if self.observed_bad_rate is None else f"{self.observed_bad_rate:.4f}"
        return f"{self.name}: {self.count} applications, expected bad rate {exp}, observed bad rate {obs}"


@dataclass(frozen=True)
class BacktestReport:
    a: PolicyStats
    b: PolicyStats | None
    swap_in: SwapSet | None
    swap_out: SwapSet | None

    def lines(self) -> list[str]:
        out = [self.a.line()]
        if self.b is not None and self.swap_in is not None and self.swap_out is not None:
            out += [self.b.line(), self.swap_in.line(), self.swap_out.line()]
        return out

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _rate(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else None


def _stats(name: str, result: pd.DataFrame, target: np.ndarray, lgd: float) -> PolicyStats:
    approved = (result["outcome"] == "approve").to_numpy()
    pd_values = result["pd"].to_numpy(dtype=float)
    limit = result["credit_limit"].to_numpy(dtype=float)
    apr = result["apr"].to_numpy(dtype=float)
    term = result["term_months"].to_numpy(dtype=float, na_value=np.nan)
    profit = limit * ((1 - pd_values) * apr * term / 12 - pd_values * lgd)
    observed = target[approved]
    return PolicyStats(
        policy=name,
        applications=len(result),
        approved=int(approved.sum()),
        review=int((result["outcome"] == "review").sum()),
        approval_rate=float(approved.mean()) if len(result) else 0.0,
        expected_bad_rate=_rate(pd_values[approved]),
        observed_bad_rate=_rate(observed),
        observed_n=int((~np.isnan(observed)).sum()),
        expected_profit=float(np.nansum(profit[approved])),
    )


def _swap(name: str, mask: np.ndarray, result: pd.DataFrame, target: np.ndarray) -> SwapSet:
    return SwapSet(
        name, int(mask.sum()), _rate(result["pd"].to_numpy(dtype=float)[mask]), _rate(target[mask])
    )


def backtest(
    policy: CompiledPolicy,
    data: Any,
    *,
    against: CompiledPolicy | None = None,
    target: str = "bad",
    lgd: float = LGD,
) -> BacktestReport:
    """Approval rate, expected and observed bad rate and expected profit of ``policy`` on
    ``data``; with ``against``, the same for the other policy and the swap sets."""
    frame = data if isinstance(data, pd.DataFrame) else data.to_pandas()
    if not 0 <= lgd <= 1:
        raise InvalidInputError("lgd", f"must be in [0, 1]; got {lgd}")
    y = (
        pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=float)
        if target in frame
        else np.full(len(frame), np.nan)
    )
    ra = policy.decide_frame(frame)
    a = _stats(_label(policy), ra, y, lgd)
    if against is None:
        return BacktestReport(a, None, None, None)
    rb = against.decide_frame(frame)
    b = _stats(_label(against), rb, y, lgd)
    approved_a = (ra["outcome"] == "approve").to_numpy()
    approved_b = (rb["outcome"] == "approve").to_numpy()
    return BacktestReport(
        a,
        b,
        _swap("swap-in (A approves, B does not)", approved_a & ~approved_b, ra, y),
        _swap("swap-out (B approves, A does not)", approved_b & ~approved_a, rb, y),
    )


def _label(policy: CompiledPolicy) -> str:
    return (
        f"{policy.name}@{policy.version}"
        if policy.version is not None
        else f"{policy.name} ({policy.content_hash[:8]})"
    )
