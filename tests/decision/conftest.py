"""Fixtures for the decision engine: shipped policies, protocol-satisfying test models, a store."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from zhudai.decision import FilePolicyLoader, compile_policy
from zhudai.decision.engine import CompiledPolicy
from zhudai.store.migrate import upgrade

FIXTURES = Path(__file__).with_name("fixtures")

PRIME: dict[str, Any] = {
    "id_number": "11010519491231002X",
    "age": 35,
    "province": "Zhejiang",
    "income_monthly": 12000.0,
    "amount_requested": 10000.0,
    "term_requested": 12,
    "multi_lending_30d": 0,
    "multi_lending_180d": 1,
    "thin_file": False,
    "max_past_dpd": 0,
    "open_loans": 1,
    "total_open_balance": 12000.0,
    "is_emulator": False,
    "is_rooted": False,
    "fraud.hit.black_list": False,
    "fraud.hit.probing": False,
    "fraud.hit.fraud_model": False,
    "fraud.hit.fraud_model_elevated": False,
    "fraud.hit.fraud_ring": False,
    "fraud.fraud_score": 0.05,
    "fraud.ring_member_score": 0.0,
    "f_util": 0.2,
    "f_night": 0.1,
}


class LinearModel:
    """A points scorecard on two features (a test double of the ScoringModel protocol)."""

    kind = "A"
    features = ("f_util", "f_night")

    def __init__(
        self, name: str, weights: tuple[float, float], bias: float, version: str = "1"
    ) -> None:
        self.name, self.weights, self.bias, self.version = name, weights, bias, version

    def _logit(self, row: Mapping[str, Any]) -> float:
        values = [row.get(f) for f in self.features]
        return self.bias + sum(
            w * (0.5 if v is None else float(v)) for w, v in zip(self.weights, values, strict=True)
        )

    def predict_pd_one(self, row: Mapping[str, Any]) -> float:
        return 1.0 / (1.0 + math.exp(-self._logit(row)))

    def score_one(self, row: Mapping[str, Any]) -> float:
        return 600.0 - 20.0 / math.log(2) * self._logit(row)

    def reasons_one(self, row: Mapping[str, Any], k: int = 3) -> list[tuple[str, float]]:
        lost = [
            (f, 20.0 / math.log(2) * w * float(row.get(f) or 0.5))
            for f, w in zip(self.features, self.weights, strict=True)
        ]
        return sorted(lost, key=lambda t: -t[1])[:k]

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return np.array([self.predict_pd_one(r) for r in rows])


def make_models(version: str = "1") -> dict[str, LinearModel]:
    return {
        "acard": LinearModel("acard", (3.0, 2.0), -3.8, version),
        "gbm": LinearModel("gbm", (2.5, 2.5), -3.9, version),
    }


@pytest.fixture
def models() -> dict[str, LinearModel]:
    return make_models()


@pytest.fixture
def acard(models: dict[str, LinearModel]) -> CompiledPolicy:
    loader = FilePolicyLoader()
    source, doc = loader.load("acard_default")
    return compile_policy(source, doc, resolve=loader.load, models=models)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    upgrade(url)
    return url


def applications(n: int, seed: int = 0) -> pd.DataFrame:
    """A frame of varied applicants: every branch, rule and table row gets some rows."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame([PRIME] * n)
    frame["age"] = rng.integers(16, 66, n)
    frame["province"] = rng.choice(["Zhejiang", "Sichuan", "Overseas"], n, p=[0.6, 0.37, 0.03])
    frame["income_monthly"] = rng.choice(
        [0.0, 2500.0, 4000.0, 7000.0, 12000.0, 25000.0], n, p=[0.02, 0.18, 0.2, 0.2, 0.2, 0.2]
    )
    frame["total_open_balance"] = rng.choice([0.0, 6000.0, 30000.0], n)
    frame["open_loans"] = rng.integers(0, 3, n)
    frame["multi_lending_180d"] = rng.integers(0, 3, n)
    frame["multi_lending_30d"] = rng.choice(
        np.arange(8), n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05]
    )
    frame["max_past_dpd"] = rng.choice([0, 10, 95], n, p=[0.8, 0.15, 0.05])
    frame["is_rooted"] = rng.random(n) < 0.05
    frame["fraud.fraud_score"] = rng.beta(1, 6, n)
    frame["fraud.hit.fraud_model_elevated"] = rng.random(n) < 0.1
    frame["fraud.hit.probing"] = rng.random(n) < 0.08
    frame["thin_file"] = rng.random(n) < 0.1
    frame["f_util"] = rng.random(n) * 0.7
    frame["f_night"] = rng.random(n) * 0.6
    frame.loc[rng.random(n) < 0.05, "f_night"] = np.nan
    frame.loc[rng.random(n) < 0.03, "age"] = None
    frame.loc[rng.random(n) < 0.02, "id_number"] = "110105194912310021"
    frame["bad"] = (rng.random(n) < 0.1).astype(float)
    return frame
