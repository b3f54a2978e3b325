"""Sample weights of a scorecard fit: one check shared by the binner, selector and regression.

Reject inference enters rejects with fractional weights (fuzzy augmentation) and reweights
accepts by the inverse probability of approval; every fitting step then counts a row as its
weight instead of as one.
"""

from __future__ import annotations

import numpy as np

from zhudai.exceptions import InvalidInputError


def check_sample_weight(sample_weight, n_rows: int) -> np.ndarray | None:
    """``sample_weight`` as a float array of ``n_rows`` finite, non-negative values, or ``None``.

    ``None`` means every row weighs one; callers keep their unweighted (integer-count) path.
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float).ravel()
    if len(w) != n_rows:
        raise InvalidInputError("sample_weight", f"has {len(w)} values; the data has {n_rows} rows")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidInputError("sample_weight", "must be finite and non-negative")
    if w.sum() <= 0:
        raise InvalidInputError("sample_weight", "must not all be zero")
    return w
