"""Seeded tables of the shapes where a WOE card is known to lose to finer or freer binning.

Each generator's ``seed`` draws the rows; the risk structure is fixed, so a table and fresh
rows drawn with another seed follow one model (train on one seed, test on another).

- :func:`coded_categories`: integer-coded categories (education 1..5, marital status 1..4)
  whose bad rate is not monotone in the code, next to ordinary monotone drivers and a count
  (dependants 0..5) whose risk does rise with the number.
- :func:`one_strong_driver`: one continuous variable carries most of the risk, steeply in its
  low tail, with a few weak drivers beside it.
- :func:`many_weak_drivers`: forty weak but real drivers and ten noise columns, the shape in
  which a fixed cap on the number of features drops real signal on large tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EDUCATION_EFFECT = (0.5, -0.45, 0.35, -0.6, 0.2)  # codes 1..5: up, down, up, down
MARITAL_EFFECT = (-0.3, 0.45, -0.5, 0.25)  # codes 1..4


def _bad(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    return (rng.random(len(logit)) < 1 / (1 + np.exp(-logit))).astype(int)


def coded_categories(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``education`` (1..5) and ``marital_status`` (1..4) codes with non-monotone risk,
    ``dependants`` (0..5, risk rising), ``income`` and ``utilisation`` (monotone); ~15% bad."""
    rng = np.random.default_rng(seed)
    education = rng.choice(5, size=n, p=[0.15, 0.3, 0.25, 0.2, 0.1])
    marital = rng.choice(4, size=n, p=[0.35, 0.4, 0.15, 0.1])
    dependants = rng.choice(6, size=n, p=[0.3, 0.25, 0.2, 0.12, 0.08, 0.05])
    income = rng.lognormal(mean=8.5, sigma=0.5, size=n)
    utilisation = rng.beta(2, 3, size=n)
    logit = (
        -1.9
        + np.asarray(EDUCATION_EFFECT)[education]
        + np.asarray(MARITAL_EFFECT)[marital]
        + 0.12 * dependants
        - 0.5 * (np.log(income) - 8.5) / 0.5
        + 1.2 * (utilisation - 0.4)
    )
    frame = pd.DataFrame(
        {
            "education": education + 1,
            "marital_status": marital + 1,
            "dependants": dependants,
            "income": np.round(income, 2),
            "utilisation": np.round(utilisation, 4),
        }
    )
    return frame, _bad(rng, logit)


def one_strong_driver(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``bureau_score`` carries most of the risk (IV about 1), steeply so in its low tail; four
    weak drivers (``w0``..``w3``) add a little each; ~9.5% bad."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    weak = rng.normal(size=(n, 4))
    logit = -3.0 - 0.8 * z + 2.5 * np.maximum(0.0, -z - 1.0) ** 1.5
    logit += weak @ np.array([0.2, -0.15, 0.1, 0.1])
    frame = pd.DataFrame({"bureau_score": np.round(600 + 80 * z, 1)})
    for i in range(4):
        frame[f"w{i}"] = np.round(weak[:, i], 3)
    return frame, _bad(rng, logit)


WEAK_EFFECTS = tuple(0.25 / (1 + i / 8) for i in range(40))  # 0.25 down to 0.042 per sd


def many_weak_drivers(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``d0``..``d39``: standard normal drivers with falling effects (:data:`WEAK_EFFECTS`,
    alternating sign); ``noise0``..``noise9`` carry nothing; ~15% bad."""
    rng = np.random.default_rng(seed)
    drivers = rng.normal(size=(n, len(WEAK_EFFECTS)))
    signs = np.where(np.arange(len(WEAK_EFFECTS)) % 2 == 0, 1.0, -1.0)
    logit = -1.9 + drivers @ (signs * np.asarray(WEAK_EFFECTS))
    frame = pd.DataFrame(np.round(drivers, 3), columns=[f"d{i}" for i in range(len(WEAK_EFFECTS))])
    for i in range(10):
        frame[f"noise{i}"] = np.round(rng.normal(size=n), 3)
    return frame, _bad(rng, logit)
