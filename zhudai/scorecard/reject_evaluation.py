"""Reject inference judged against the truth: how well each card ranks *everyone* who applied.

Evaluation code (the one scorecard module that reads ``DIR/truth/``). A world's customers are
split in two: on the development customers the cards see what a lender sees, the outcomes of
the judged booked loans and none for the rejects; on the holdout customers every application
(approved or not) is ranked and compared with the world's true PD
(``truth/applications.true_pd``, the probability the loan would turn bad if booked). Reported
per card: that through-the-door AUC, the AUC on the holdout rejects alone against their true
PD, and the AUC on the holdout's booked loans against their observed outcome (all a lender
could measure).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.scorecard import metrics
from zhudai.scorecard.reject_inference import DEFAULT_METHOD, METHODS
from zhudai.scorecard.scorecard import Scorecard
from zhudai.scorecard.training import candidate_features

HOLDOUT_SHARE = 0.3  # share of customers whose applications only ever get scored
STATUS, TARGET, TIME = "status", "bad", "applied_at"
KNOWN_GOOD_BAD = "known_good_bad"


def auc_against_pd(risk, true_pd) -> float:
    """AUC when applicant ``i`` is bad with probability ``true_pd[i]``.

    The chance that, of two distinct applicants, the one who turns out bad has the higher
    ``risk`` (ties count one half), with the pair weighted ``p_i * (1 - p_j)``. With 0/1
    ``true_pd`` it is the ordinary AUC.

    Examples
    --------
    >>> auc_against_pd([0.1, 0.2, 0.3], [0.0, 0.5, 1.0])
    1.0
    >>> round(auc_against_pd([0.3, 0.2, 0.1], [0.2, 0.5, 0.8]), 4)  # 0.24 / 1.68
    0.1429
    """
    r = np.asarray(risk, dtype=float)
    p = np.asarray(true_pd, dtype=float)
    if r.shape != p.shape or r.ndim != 1:
        raise InvalidInputError("true_pd", "needs one probability per risk value")
    if not ((p >= 0) & (p <= 1)).all():
        raise InvalidInputError("true_pd", "must be probabilities in [0, 1]")
    order = np.argsort(r, kind="mergesort")
    r, bad = r[order], p[order]
    good = 1.0 - bad
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    bad_tie = np.add.reduceat(bad, starts)
    good_tie = np.add.reduceat(good, starts)
    good_below = np.r_[0.0, np.cumsum(good_tie)[:-1]]
    self_pairs = float(np.sum(bad * good))  # an applicant is never paired with itself
    wins = float(np.sum(bad_tie * good_below) + 0.5 * (np.sum(bad_tie * good_tie) - self_pairs))
    pairs = float(bad.sum() * good.sum()) - self_pairs
    if pairs <= 0:
        raise InvalidInputError("true_pd", "gives no pair of a bad and a good applicant")
    return wins / pairs


def through_the_door(world_dir: str | Path, features: str | Path | None = None) -> pd.DataFrame:
    """Every application's features with its historical ``status`` and its outcome ``bad``.

    ``bad`` (1 bad, 0 good) comes from the world's repayment history and exists only for the
    booked loans old enough to judge; it is **missing** (never 0) for rejected applications
    and for approved ones without a judged loan. ``features`` is a Parquet file keyed by
    ``application_id`` (e.g. the demo's ``application_features.parquet``); by default the
    shipped feature set is computed on the world.
    """
    from zhudai.world import credit_labels

    d = Path(world_dir)
    if not (d / "applications.parquet").is_file():
        raise NotFoundError("world", f"{d} (no applications.parquet)")
    if features is None:
        from zhudai.features.batch import BatchFeatureEngine
        from zhudai.features.definitions import load_feature_set

        table = BatchFeatureEngine(load_feature_set()).compute_world(d)
    elif Path(features).is_file():
        table = pl.read_parquet(features)
    else:
        raise NotFoundError("features", str(features))
    if "application_id" not in table.columns:
        raise InvalidInputError("features", "needs an application_id column")
    apps = pl.read_parquet(
        d / "applications.parquet", columns=["application_id", "customer_id", STATUS]
    )
    frame = (
        table.drop([c for c in ("customer_id", STATUS, TARGET) if c in table.columns])
        .join(apps, on="application_id", how="inner")
        .join(credit_labels(d), on="application_id", how="left")
        .sort("application_id")
    )
    return frame.to_pandas()


def _read_true_pd_for_evaluation(world_dir: Path) -> pd.Series:
    path = world_dir / "truth" / "applications.parquet"
    if not path.is_file():
        raise NotFoundError("world", f"{world_dir} (no truth/applications.parquet)")
    truth = pl.read_parquet(path, columns=["application_id", "true_pd"]).to_pandas()
    return truth.set_index("application_id")["true_pd"]


@dataclass(frozen=True)
class CardScores:
    """One card's AUCs on the holdout customers."""

    through_the_door: float  # every application, against the true PD
    rejects: float  # rejected applications only, against the true PD
    booked: float  # judged booked loans, against their observed outcome


@dataclass
class RejectInferenceReport:
    """The KGB card and each method on one world and split seed; ``default`` is the shipped one."""

    world: str
    seed: int
    rows: dict[str, float]  # row counts, and the development accepts' bad rate
    known_good_bad: CardScores
    methods: dict[str, CardScores]
    default: str

    @property
    def gain(self) -> float:
        """Through-the-door AUC of the default method minus that of the KGB card."""
        return self.methods[self.default].through_the_door - self.known_good_bad.through_the_door

    def lines(self) -> list[str]:
        """A readable table, one card a row."""
        r = self.rows
        out = [
            f"world {self.world}, split seed {self.seed}: development {r['accepts']:,} judged"
            f" accepts (bad rate {r['bad_rate']:.3f}) and {r['rejects']:,} rejects; holdout"
            f" {r['holdout']:,} applications ({r['holdout_rejects']:,} rejected)",
            f"{'card':<16} {'TTD AUC (truth)':>16} {'rejects (truth)':>16} {'booked (observed)':>18}",
        ]
        cards = {KNOWN_GOOD_BAD: self.known_good_bad, **self.methods}
        for name, s in cards.items():
            mark = " (default)" if name == self.default else ""
            out.append(
                f"{name:<16} {s.through_the_door:>16.4f} {s.rejects:>16.4f} {s.booked:>18.4f}{mark}"
            )
        out.append(f"gain of the default ({self.default}) over the KGB card: {self.gain:+.4f}")
        return out

    def json_line(self) -> str:
        """``{known_good_bad_auc, methods: {name: auc}, default, gain}`` (through-the-door)."""
        payload = {
            "known_good_bad_auc": round(self.known_good_bad.through_the_door, 6),
            "methods": {k: round(v.through_the_door, 6) for k, v in self.methods.items()},
            "default": self.default,
            "gain": round(self.gain, 6),
        }
        return json.dumps(payload, separators=(",", ":"))


def evaluate_reject_inference(
    world_dir: str | Path,
    methods: Sequence[str] = tuple(METHODS),
    seed: int = 0,
    features: str | Path | None = None,
) -> RejectInferenceReport:
    """Fit the KGB card and each method on the development customers of a world and score
    them on the holdout customers against the truth (see the module docstring).

    The default method is always evaluated, whether listed in ``methods`` or not.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise InvalidInputError("method", f"must be among {tuple(METHODS)}; got {unknown}")
    d = Path(world_dir)
    frame = through_the_door(d, features)
    true_pd = _read_true_pd_for_evaluation(d).reindex(frame["application_id"]).to_numpy()
    if np.isnan(true_pd).any():
        raise InvalidInputError("features", "has applications the world's truth does not know")
    customers = frame["customer_id"].unique()
    rng = np.random.default_rng(seed)
    holdout_customers = rng.choice(
        customers, int(round(HOLDOUT_SHARE * len(customers))), replace=False
    )
    holdout = frame["customer_id"].isin(holdout_customers).to_numpy()
    rejected = (frame[STATUS] == "rejected").to_numpy()
    judged = frame[TARGET].notna().to_numpy()
    # approved without a judged loan: neither an outcome nor a reject, so not for fitting
    dev = ~holdout & (judged | rejected)
    features_used = candidate_features(frame, TARGET, TIME, [STATUS])
    X = frame[features_used]
    X_dev, y_dev = X[dev].reset_index(drop=True), frame.loc[dev, TARGET].reset_index(drop=True)
    X_hold = X[holdout]
    booked = judged[holdout]
    y_booked = frame.loc[holdout, TARGET].to_numpy()[booked].astype(int)

    def scores(card) -> CardScores:
        pd_hold = card.predict_proba(X_hold)[:, 1]
        return CardScores(
            through_the_door=auc_against_pd(pd_hold, true_pd[holdout]),
            rejects=auc_against_pd(pd_hold[rejected[holdout]], true_pd[holdout][rejected[holdout]]),
            booked=metrics.auc(y_booked, pd_hold[booked]),
        )

    accepts = y_dev.notna().to_numpy()
    kgb = Scorecard().fit(X_dev[accepts], y_dev[accepts].astype(int))
    chosen = list(dict.fromkeys([*methods, DEFAULT_METHOD]))
    results = {}
    for name in chosen:
        estimator = METHODS[name]()
        if hasattr(estimator, "random_state"):
            estimator.random_state = seed
        results[name] = scores(estimator.fit(X_dev, y_dev))
    rows = {
        "accepts": int(accepts.sum()),
        "bad_rate": float(y_dev[accepts].mean()),
        "rejects": int((~accepts).sum()),
        "holdout": int(holdout.sum()),
        "holdout_rejects": int(rejected[holdout].sum()),
    }
    return RejectInferenceReport(d.name, seed, rows, scores(kgb), results, DEFAULT_METHOD)
