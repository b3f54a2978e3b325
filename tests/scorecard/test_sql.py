"""The SQL export scores every row exactly as Python does (SQLite)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import Binner, FeatureSelector, Scorecard
from zhudai.scorecard.sql import scorecard_sql


def _sqlite_scores(frame: pd.DataFrame, sql: str) -> pd.DataFrame:
    con = sqlite3.connect(":memory:")
    frame.to_sql("applicants", con, index=False)
    out = pd.read_sql_query(sql, con)
    con.close()
    return out


def test_german_card_sql_equals_python_on_every_row(german, german_card):
    X, _ = german
    frame = X.assign(application_id=np.arange(len(X)))
    sql = scorecard_sql(german_card.model_, "applicants", id_columns=("application_id",))
    out = _sqlite_scores(frame, sql)
    assert out["application_id"].tolist() == list(range(len(X)))
    np.testing.assert_allclose(out["score"], german_card.score(X), rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["pd"], german_card.model_.predict_pd(X), rtol=1e-12, atol=1e-15)


def test_sql_handles_missing_special_and_unseen(synthetic):
    X, y = synthetic
    card = Scorecard(
        binner=Binner(special_codes=[-999]),
        selector=FeatureSelector(min_iv=0.0, max_vif=None, max_corr=1.0),
    ).fit(X, y)
    assert {"rise", "cat"} <= set(card.features_)
    scoring = X.copy()
    scoring.loc[:9, "cat"] = "never-seen"
    scoring.loc[10:19, "cat"] = None
    sql = scorecard_sql(card.model_, with_pd=False)
    out = _sqlite_scores(scoring, sql)
    np.testing.assert_allclose(out["score"], card.score(scoring), rtol=0, atol=1e-9)
    rows = scoring.to_dict("records")
    np.testing.assert_allclose(
        out["score"], [card.model_.score_one(r) for r in rows], rtol=0, atol=1e-9
    )


def test_unseen_error_policy_gives_null_score(synthetic):
    X, y = synthetic
    card = Scorecard(binner=Binner(unseen="error"), selector=FeatureSelector(min_iv=0.0)).fit(X, y)
    scoring = X.head(3).copy()
    scoring["cat"] = ["a", "never-seen", "b"]
    out = _sqlite_scores(scoring, scorecard_sql(card.model_, with_pd=False))
    assert out["score"].isna().tolist() == [False, True, False]


def test_table_name_is_checked(german_card):
    with pytest.raises(InvalidInputError, match="table"):
        scorecard_sql(german_card.model_, "x; DROP TABLE y")
