"""Days past due to buckets and to the five-level classification (五级分类), declared once.

Buckets: M0 current, M1 1-30, M2 31-60, ... M6 151-180, M6+ over 180 days past due.
Classification: 正常 normal (current), 关注 special mention (1-90), 次级 substandard
(91-120), 可疑 doubtful (121-180), 损失 loss (over 180).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

#: Upper DPD bound of M1 .. M6 (M0 is 0 days, M6+ anything above the last bound).
BUCKET_BOUNDS = (30, 60, 90, 120, 150, 180)
BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M6+")


class Classification(StrEnum):
    NORMAL = "normal"  # 正常
    SPECIAL_MENTION = "special_mention"  # 关注
    SUBSTANDARD = "substandard"  # 次级
    DOUBTFUL = "doubtful"  # 可疑
    LOSS = "loss"  # 损失


#: Upper DPD bound of each class but the last (normal is exactly 0 days).
CLASS_BOUNDS = (
    (0, Classification.NORMAL),
    (90, Classification.SPECIAL_MENTION),
    (120, Classification.SUBSTANDARD),
    (180, Classification.DOUBTFUL),
)


def bucket_of(dpd: int) -> str:
    """The bucket of ``dpd`` days past due.

    Examples
    --------
    >>> [bucket_of(d) for d in (0, 1, 30, 31, 180, 181)]
    ['M0', 'M1', 'M1', 'M2', 'M6', 'M6+']
    """
    if dpd <= 0:
        return "M0"
    for k, bound in enumerate(BUCKET_BOUNDS, start=1):
        if dpd <= bound:
            return BUCKETS[k]
    return BUCKETS[-1]


def buckets_of(dpd: np.ndarray) -> np.ndarray:
    """:func:`bucket_of` over an array (the daily close's columnar path)."""
    index = np.where(dpd <= 0, 0, np.searchsorted(np.array(BUCKET_BOUNDS), dpd, "left") + 1)
    return np.array(BUCKETS, dtype=object)[index]


def classification_of(dpd: int) -> Classification:
    """The five-level class of ``dpd`` days past due.

    Examples
    --------
    >>> [classification_of(d).value for d in (0, 1, 91, 121, 181)]
    ['normal', 'special_mention', 'substandard', 'doubtful', 'loss']
    """
    for bound, cls in CLASS_BOUNDS:
        if dpd <= bound:
            return cls
    return Classification.LOSS


def classifications_of(dpd: np.ndarray) -> np.ndarray:
    """:func:`classification_of` over an array."""
    bounds = np.array([b for b, _ in CLASS_BOUNDS])
    names = np.array([c.value for _, c in CLASS_BOUNDS] + [Classification.LOSS.value], dtype=object)
    return names[np.searchsorted(bounds, np.maximum(dpd, 0), "left")]
