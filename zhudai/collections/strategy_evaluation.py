"""The allocation strategies compared on the same overdue cases, with outcomes simulated by
the world's collection response model (evaluation code: it imports ``zhudai.world`` and reads
the world's ``truth/persons``; nothing in the live path does).

The cases are the C-card's out-of-time review points: every overdue episode's 30-day review
in the latest part of the book, which the card never trained on, each with its features as
the book saw them then. Each strategy allocates them day by day (capacities are per day),
then every case is worked for its 30-day period at the world's collection slots with the
action of its treatment. Both strategies see the same random numbers per case and slot
(common random numbers), so the difference is the allocation, not the luck.

The debtor's response is the world's (:func:`zhudai.world.collection.respond`): contact,
promise and payment probabilities per action kind, a debtor's reach and ability
(:func:`zhudai.world.repayment.debtor_response`, from the truth's fraud type and income
stability), and the world's rule that a minor episode always ends before 30 days past due
while a serious one never does (a case is serious when its episode reached 30 days: the
book's outcome). Every action is proposed to the compliance guard first; a blocked one is
not made. Recovered = the case's amount overdue at review when it is cleared in the period;
cost = cost per action made + commission on the amount recovered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zhudai.collections.allocation import AllocationConfig, CaseToAllocate, allocate
from zhudai.collections.ccard import (
    REVIEW_DAYS,
    CcardTraining,
    read_contacts,
    score_points,
    train_ccard,
    training_frame,
)
from zhudai.collections.guard import ComplianceGuard
from zhudai.exceptions import InvalidInputError
from zhudai.loans.bcard import read_behaviour
from zhudai.times import from_local
from zhudai.world.collection import ACTION_TYPES, SLOTS, next_slot, respond, self_cures
from zhudai.world.repayment import debtor_response

#: The world's action type of each guard action kind.
WORLD_KIND = {"sms": "sms", "auto_call": "auto_call", "human_call": "human_call",
              "agency_call": "agency"}  # fmt: skip
CHAMPION, CHALLENGER = "bucket", "ccard"
#: Share of cases the challenger gets in the champion/challenger split.
CHALLENGER_SHARE = 0.5
DEBTOR_TZ = "Asia/Shanghai"
#: Simulated runs of every case per strategy (one large case paying or not moves a small
#: book's totals; the runs average that out).
REPLICATIONS = 20


def evaluation_cases(
    url: str | None,
    world_dir: str | Path,
    as_of: date,
    *,
    seed: int = 0,
    training: CcardTraining | None = None,
) -> tuple[pl.DataFrame, CcardTraining]:
    """The C-card trained on the book (or ``training``, a card already trained on it to
    ``as_of``), and its out-of-time review points with ``p_repay``,
    the world's ``reach`` / ``ability`` of the debtor and whether the episode is ``serious``;
    points past the world's last collection slot are left out (the world works none)."""
    training = training or train_ccard(url, as_of, seed=seed)
    frame = training_frame(read_behaviour(url), read_contacts(url), as_of)
    oot = frame.filter(pl.col("review_day") >= date.fromisoformat(training.oot_from))
    scored = score_points(training.result.model, oot)
    persons = pl.read_parquet(
        Path(world_dir) / "truth" / "persons.parquet",
        columns=["customer_id", "fraud_type", "income_stability"],
    )
    cases = scored.join(persons, on="customer_id", how="left").filter(
        pl.col("dpd") <= int(SLOTS[-1])
    )
    reach, ability = debtor_response(
        (cases["fraud_type"] == "none").to_numpy(), cases["income_stability"].to_numpy()
    )
    cases = cases.with_columns(
        case_key=pl.format("{}:{}", "loan_id", "review_day"),
        reach=pl.Series(reach),
        ability=pl.Series(ability),
        serious=(pl.col("dpd") >= 30) | (pl.col("repaid_30d") == 0),
    ).sort("review_day", "loan_id")
    return cases, training


def allocate_daily(cases: pl.DataFrame, config: AllocationConfig, strategy: str) -> list[str]:
    """The queue of each case (in ``cases`` order), allocating each review day's cases within
    that day's capacities."""
    queues: list[str] = [""] * cases.height
    rows = cases.with_row_index("i").select(
        "i", "review_day", "bucket", "p_repay", "amount_overdue"
    )
    for (_,), day in rows.group_by(["review_day"], maintain_order=True):
        todo = [
            CaseToAllocate(int(r["i"]), r["bucket"], r["p_repay"], float(r["amount_overdue"]))
            for r in day.iter_rows(named=True)
        ]
        for a in allocate(todo, config, strategy):
            queues[a.case_id] = a.queue
    return queues


@dataclass(frozen=True)
class Worked:
    """Each case's simulated period under one strategy (replications stacked case-major:
    row ``r * cases + i`` is case ``i`` in replication ``r``)."""

    queue: list[str]
    treatment: list[str]
    paid_day: np.ndarray  # days after the review it was cleared, -1 if not in the period
    recovered: np.ndarray
    cost: np.ndarray
    actions: np.ndarray
    blocked: np.ndarray


def work_cases(
    cases: pl.DataFrame, queues: Sequence[str], config: AllocationConfig, seed: int
) -> Worked:
    """Simulate every case's period with its queue's action (see the module docstring), once,
    with the random numbers of ``seed``."""
    n = cases.height
    treatment = [config.treatment_of_queue(q) for q in queues]
    kind_name = [config.treatments[t].action.value for t in treatment]
    kind = np.array([ACTION_TYPES.index(WORLD_KIND[k]) for k in kind_name], dtype=np.int64)
    per_action = np.array([config.treatments[t].cost_per_action for t in treatment])
    commission = np.array([config.treatments[t].commission for t in treatment])
    dpd = cases["dpd"].to_numpy()
    reach, ability = cases["reach"].to_numpy(), cases["ability"].to_numpy()
    serious = cases["serious"].to_numpy()
    amount = cases["amount_overdue"].to_numpy()
    review = cases["review_day"].to_list()
    keys = cases["case_key"].to_list()
    rng = np.random.default_rng(seed)
    draws = []  # per slot, for every case (common random numbers): hour, contacted, cleared
    for slot in SLOTS:
        hour = np.clip(rng.normal(14.0, 3.0, n), 8.0, 21.5)  # the world's working hours
        contacted, _, pays = respond(rng, kind, int(slot), reach, ability, serious)
        draws.append((hour, contacted, pays | self_cures(serious, next_slot(int(slot)))))
    events = []  # (when, case, slot index) of every slot inside a case's period
    for j, slot in enumerate(SLOTS):
        for k in np.flatnonzero((slot >= dpd) & (slot < dpd + REVIEW_DAYS)):
            day = datetime.combine(review[k] + timedelta(days=int(slot - dpd[k])), time())
            events.append((day + timedelta(hours=float(draws[j][0][k])), int(k), j))
    guard = ComplianceGuard()  # judged in time order, as the live guard is
    paid_day = np.full(n, -1, np.int64)
    actions = np.zeros(n, np.int64)
    blocked = np.zeros(n, np.int64)
    for at, i, j in sorted(events):
        if paid_day[i] >= 0:  # cleared at an earlier slot
            continue
        if not guard.propose(_proposal(keys[i], kind_name[i], at, bool(draws[j][1][i]))).allowed:
            blocked[i] += 1
            continue
        actions[i] += 1
        if draws[j][2][i]:
            paid_day[i] = min(int(SLOTS[j]) - int(dpd[i]), REVIEW_DAYS - 1)
    recovered = np.where(paid_day >= 0, amount, 0.0)
    cost = actions * per_action + commission * recovered
    return Worked(list(queues), treatment, paid_day, recovered, cost, actions, blocked)


def _proposal(key: str, kind: str, at: datetime, contacted: bool) -> dict[str, Any]:
    """The guard's contract for one simulated action on the debtor (a contacted call is an
    effective one). The phone is a stand-in number derived from the case, not a real one."""
    digits = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**9
    action: dict[str, Any] = {
        "action_id": f"sim-{key}-{at:%Y%m%d%H}", "debtor_id": key, "phone": f"13{digits:09d}",
        "kind": kind, "at": from_local(at).isoformat(), "debtor_tz": DEBTOR_TZ, "party": "debtor",
    }  # fmt: skip
    if kind != "sms":
        action |= {"answered": contacted, "effective": contacted}
    return action


def replicate(runs: Sequence[Worked]) -> Worked:
    """Replications of one strategy on the same cases, stacked."""
    return Worked(
        [q for w in runs for q in w.queue],
        [t for w in runs for t in w.treatment],
        *(np.concatenate([getattr(w, f) for w in runs])
          for f in ("paid_day", "recovered", "cost", "actions", "blocked")),
    )  # fmt: skip


def challenger_arm(keys: Sequence[str], share: float = CHALLENGER_SHARE) -> np.ndarray:
    """``True`` for the cases the challenger works: a hash of the case key, stable across
    runs and independent of the case's risk."""
    cut = int(share * 2**32)
    return np.array(
        [int.from_bytes(hashlib.sha256(k.encode()).digest()[:4], "big") < cut for k in keys]
    )


def summary(worked: Worked, amount: np.ndarray, rows: np.ndarray | None = None) -> dict[str, Any]:
    """Over the (replicated) case rows selected: cases, recovered, cost, recovery per unit
    cost, recovered share, roll-forward rate (share of cases not cleared in the period: they
    roll into the next bucket), actions and guard blocks; money and counts per replication."""
    runs = len(worked.paid_day) // max(len(amount), 1)
    owed_all = np.tile(amount, runs)
    idx = np.arange(len(owed_all)) if rows is None else np.flatnonzero(np.tile(rows, runs))
    recovered, cost = float(worked.recovered[idx].sum()), float(worked.cost[idx].sum())
    owed = float(owed_all[idx].sum())
    return {
        "cases": len(idx) // max(runs, 1),
        "recovered": round(recovered / runs, 2),
        "cost": round(cost / runs, 2),
        "recovery_per_cost": round(recovered / cost, 4) if cost else None,
        "recovered_share": round(recovered / owed, 4) if owed else None,
        "roll_forward": round(float((worked.paid_day[idx] < 0).mean()), 4) if len(idx) else None,
        "actions": round(float(worked.actions[idx].sum()) / runs, 1),
        "blocked": round(float(worked.blocked[idx].sum()) / runs, 1),
    }


def recovery_curve(
    worked: Worked, amount: np.ndarray, rows: np.ndarray | None = None
) -> list[float]:
    """Cumulative recovered share of the amount overdue by day 0 .. 29 after the review."""
    runs = len(worked.paid_day) // max(len(amount), 1)
    owed_all = np.tile(amount, runs)
    idx = np.arange(len(owed_all)) if rows is None else np.flatnonzero(np.tile(rows, runs))
    owed = float(owed_all[idx].sum()) or 1.0
    days, got = worked.paid_day[idx], worked.recovered[idx]
    return [
        round(float(got[(days >= 0) & (days <= d)].sum()) / owed, 4) for d in range(REVIEW_DAYS)
    ]


@dataclass(frozen=True)
class Comparison:
    """Both strategies on every case, the champion/challenger split, per-queue scorecards."""

    cases: pl.DataFrame
    training: CcardTraining
    worked: dict[str, Worked]
    side_by_side: dict[str, dict[str, Any]]
    champion_challenger: dict[str, dict[str, Any]]
    by_queue: dict[str, dict[str, dict[str, Any]]]
    curves: dict[str, list[float]]
    runs: int
    as_of: date

    def record(self) -> dict[str, Any]:
        """The comparison's results, JSON-ready (what ``strategy_record.save_comparison``
        keeps for the web page: no case rows)."""
        m = self.training.result.metrics["oot"]
        return {
            "as_of": self.as_of.isoformat(),
            "runs": self.runs,
            "cases": self.cases.height,
            "ccard": {"oot_from": str(self.training.oot_from), "auc": m["auc"], "ks": m["ks"]},
            "side_by_side": self.side_by_side,
            "champion_challenger": self.champion_challenger,
            "challenger_share": CHALLENGER_SHARE,
            "by_queue": self.by_queue,
            "curves": self.curves,
        }

    def headline(self) -> dict[str, Any]:
        c, b = self.side_by_side[CHALLENGER], self.side_by_side[CHAMPION]
        return {
            "cases": c["cases"],
            "ccard_recovery_per_cost": c["recovery_per_cost"],
            "bucket_recovery_per_cost": b["recovery_per_cost"],
            "ccard_recovered": c["recovered"],
            "bucket_recovered": b["recovered"],
            "ccard_cost": c["cost"],
            "bucket_cost": b["cost"],
            "ccard_roll_forward": c["roll_forward"],
            "bucket_roll_forward": b["roll_forward"],
            "ccard_oot_auc": self.training.result.metrics["oot"]["auc"],
        }


def compare_strategies(
    url: str | None,
    world_dir: str | Path,
    as_of: date,
    config: AllocationConfig,
    *,
    seed: int = 0,
    replications: int = REPLICATIONS,
    training: CcardTraining | None = None,
) -> Comparison:
    """Train the C-card on the book, then work its out-of-time cases under the bucket-only
    champion and the C-card challenger, ``replications`` times each with the same random
    numbers for both (see the module docstring)."""
    if replications < 1:
        raise InvalidInputError("replications", f"must be at least 1; got {replications}")
    cases, training = evaluation_cases(url, world_dir, as_of, seed=seed, training=training)
    amount = cases["amount_overdue"].to_numpy()
    worked = {}
    for s in (CHAMPION, CHALLENGER):
        queues = allocate_daily(cases, config, s)
        worked[s] = replicate(
            [work_cases(cases, queues, config, seed + r) for r in range(replications)]
        )
    arm = challenger_arm(cases["case_key"].to_list())
    by_queue: dict[str, dict[str, dict[str, Any]]] = {}
    curves = {s: recovery_curve(w, amount) for s, w in worked.items()}
    for s, w in worked.items():
        of_case = np.array(w.queue[: cases.height], dtype=object)
        names = sorted(set(w.queue))
        by_queue[s] = {q: summary(w, amount, np.asarray(of_case == q)) for q in names}
        for q in names:
            if config.treatment_of_queue(q) == "agency":
                curves[f"{s}/{q}"] = recovery_curve(w, amount, np.asarray(of_case == q))
    return Comparison(
        cases,
        training,
        worked,
        {s: summary(w, amount) for s, w in worked.items()},
        {
            CHAMPION: summary(worked[CHAMPION], amount, ~arm),
            CHALLENGER: summary(worked[CHALLENGER], amount, arm),
        },
        by_queue,
        curves,
        replications,
        as_of,
    )


def report_lines(comparison: Comparison) -> list[str]:
    """The comparison as a table (side by side, champion/challenger, per queue, curves); the
    command prints the headline JSON after it."""
    m = comparison.training.result.metrics
    cols = {  # column: (header, width, format), to fit 80 characters; money in CNY thousands
        "cases": ("cases", 6, "{:.0f}"), "recovered": ("rec_k", 9, "{:,.1f}"),
        "cost": ("cost_k", 8, "{:,.1f}"), "recovery_per_cost": ("rec/cost", 9, "{:.1f}"),
        "recovered_share": ("share", 6, "{:.3f}"), "roll_forward": ("roll", 6, "{:.3f}"),
        "actions": ("actions", 8, "{:,.0f}"), "blocked": ("blocks", 7, "{:.0f}"),
    }  # fmt: skip
    thousands = {"recovered", "cost"}

    def cell(column: str, value: Any) -> str:
        _, width, fmt = cols[column]
        shown = "-" if value is None else fmt.format(value / 1000 if column in thousands else value)
        return f"{shown:>{width}}"

    def row(name: str, values: dict[str, Any]) -> str:
        return f"  {name:<19}" + "".join(cell(c, values[c]) for c in cols)

    header = f"  {'':<19}" + "".join(f"{h:>{w}}" for h, w, _ in cols.values())
    lines = [
        f"C-card on the book: {comparison.training.rows:,} review points, out of time from "
        f"{comparison.training.oot_from} (AUC {m['oot']['auc']:.3f}, KS {m['oot']['ks']:.3f}); "
        f"{comparison.cases.height:,} out-of-time cases worked 30 days by each strategy",
        f"same cases, same random numbers, {comparison.runs} runs (money and counts per run):",
        header,
        *(row(s, v) for s, v in comparison.side_by_side.items()),
        f"champion/challenger split by a hash of the case (challenger share {CHALLENGER_SHARE}):",
        header,
        *(row(f"{s} ({'challenger' if s == CHALLENGER else 'champion'})", v)
          for s, v in comparison.champion_challenger.items()),
        "per queue (recovery, roll-forward, compliance blocks of the simulated 30 days; the "
        "book's complaints per collector and agency are in `zhudai collections scorecards`):",
        header,
    ]  # fmt: skip
    for s, queues in comparison.by_queue.items():
        lines += [row(f"{s}/{q}", v) for q, v in queues.items()]
    lines.append("recovery curves: recovered share by day since review (0 5 10 15 20 25 29):")
    for name, curve in comparison.curves.items():
        lines.append(
            f"  {name:<20}" + "".join(f"{curve[d]:>7.3f}" for d in (0, 5, 10, 15, 20, 25, 29))
        )
    return lines


def evaluate_on_new_world(
    customers: int, seed: int, settings: AllocationConfig, replications: int
) -> Comparison:
    """``zhudai collections simulate``: generate a world, take over its book in a throw-away
    store as of its observation day, and compare the strategies on it."""
    import tempfile

    from zhudai.loans.onboarding import onboard
    from zhudai.store.db import get_engine
    from zhudai.store.world_loader import load_world_dir
    from zhudai.world import generate_world
    from zhudai.world.generator import observation_date

    with tempfile.TemporaryDirectory(prefix="zhudai-collections-") as tmp:
        world = generate_world(customers, seed, out_dir=Path(tmp) / "world")
        url = f"sqlite:///{Path(tmp) / 'book.db'}"
        load_world_dir(world, url)
        day = observation_date(world)
        onboard(day, url)
        comparison = compare_strategies(
            url, world, day, settings, seed=seed, replications=replications
        )
        get_engine(url).dispose()
    return comparison
