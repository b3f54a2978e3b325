"""The fraud model's cut-offs chosen on held-out scores: each at or below the scores it was
chosen for, so a block cut-off never lands above every fraud's score (flagging nobody) and
the search never falls back to 0 (flagging everyone)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.fraud.evaluation import _best_threshold, _review_threshold


def test_scores_just_below_one_keep_their_cut() -> None:
    # the case a 3,000-customer demo met: frauds score 0.99995, the rest about 1e-6
    p = np.r_[np.full(22, 0.99995), np.full(1620, 1e-6)]
    y = np.r_[np.ones(22, dtype=np.int64), np.zeros(1620, dtype=np.int64)]
    cut = _best_threshold(y, p)
    assert cut == 0.999
    assert ((p >= cut) == (y == 1)).all()
    assert _review_threshold(y, p, cut) == 0.999  # nothing lower keeps half of it fraud


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=2, max_size=60))
def test_the_best_cut_is_never_worse_than_flagging_everyone(rows: list[tuple[float, bool]]) -> None:
    p = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=np.int64)

    def f1(cut: float) -> float:
        pred = p >= cut
        return 2 * float(np.sum(pred & (y == 1))) / max(float(pred.sum() + y.sum()), 1.0)

    cut = _best_threshold(y, p)
    assert f1(cut) >= f1(0.0) - 1e-12
    if y.any():
        assert (p >= cut).any()  # some application is flagged at the chosen cut


def test_too_few_fraud_labels_is_one_clear_error() -> None:
    import polars as pl
    import pytest

    from zhudai.exceptions import InvalidInputError
    from zhudai.fraud.evaluation import fit_on_results
    from zhudai.fraud.signals import MODEL_FEATURES

    n = 40
    results = pl.DataFrame(
        {"application_id": list(range(n)), **{f: [0.0] * n for f in MODEL_FEATURES}}
    )
    labels = pl.DataFrame(
        {
            "application_id": list(range(n)),
            "is_fraud": [i < 3 for i in range(n)],
            "ring_id": [None] * n,
        },
        schema_overrides={"ring_id": pl.Int64},
    )
    with pytest.raises(InvalidInputError, match="got 3 and 37"):
        fit_on_results(results, None, labels=labels)
