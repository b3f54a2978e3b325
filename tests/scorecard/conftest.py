"""Fixtures for the scorecard tests: German Credit, one fitted card, a small synthetic table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhudai.datasets import load_german_credit
from zhudai.scorecard import Scorecard


@pytest.fixture(scope="session")
def german() -> tuple[pd.DataFrame, pd.Series]:
    df = load_german_credit()
    return df.drop(columns="bad"), df["bad"]


@pytest.fixture(scope="session")
def german_card(german) -> Scorecard:
    X, y = german
    return Scorecard().fit(X, y)


@pytest.fixture(scope="session")
def synthetic() -> tuple[pd.DataFrame, np.ndarray]:
    """5,000 rows: a rising risk driver with missing and -999 codes, a U-shaped one, a category."""
    rng = np.random.default_rng(42)
    n = 5000
    rise = rng.normal(size=n)
    u = rng.normal(size=n)
    cat = rng.choice(["a", "b", "c", "d"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    logit = (
        -1.5
        + 1.2 * rise
        + 0.8 * (u**2 - 1)
        + pd.Series(cat).map({"a": -0.5, "b": 0, "c": 0.4, "d": 1.0}).to_numpy()
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    rise[rng.random(n) < 0.05] = np.nan
    special = rng.random(n) < 0.04
    rise[special] = -999.0
    y[special] = (rng.random(special.sum()) < 0.6).astype(int)
    X = pd.DataFrame({"rise": rise, "u": u, "cat": cat})
    return X, y
