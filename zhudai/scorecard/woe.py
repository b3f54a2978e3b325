"""Weight of evidence and information value from per-bin good and bad counts.

Sign convention (``docs/scorecard.md``): ``WOE = ln(good share / bad share)``, so a bin with a
higher WOE is **safer**; in a logistic regression of *bad* on WOE every coefficient should be
negative, and points grow with WOE. ``IV = sum((good share - bad share) * WOE)``, always >= 0.

A bin without goods or without bads would have an infinite WOE; there 0.5 is added to both of
that bin's counts (Haldane's correction). An empty bin gets WOE 0 (neutral) and adds no IV.
"""

from __future__ import annotations

import numpy as np

from zhudai.exceptions import InvalidInputError

HALDANE = 0.5


def woe_iv(good: np.ndarray, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WOE and IV contribution of each bin.

    Parameters
    ----------
    good, bad : array of counts per bin (same length).

    Returns
    -------
    woe, iv : arrays, one value per bin; ``iv.sum()`` is the variable's information value.

    Examples
    --------
    >>> woe, iv = woe_iv(np.array([60, 40]), np.array([10, 30]))
    >>> [round(float(w), 4) for w in woe]
    [0.8755, -0.6286]
    >>> round(float(iv.sum()), 4)
    0.5264
    """
    good = np.asarray(good, dtype=float)
    bad = np.asarray(bad, dtype=float)
    total_good, total_bad = good.sum(), bad.sum()
    if total_good <= 0 or total_bad <= 0:
        raise InvalidInputError("target", "needs both goods (0) and bads (1) to compute WOE")
    empty = (good + bad) == 0
    corrected = ((good == 0) | (bad == 0)) & ~empty
    g = np.where(corrected, good + HALDANE, good)
    b = np.where(corrected, bad + HALDANE, bad)
    with np.errstate(divide="ignore", invalid="ignore"):
        woe = np.where(empty, 0.0, np.log((g / total_good) / (b / total_bad)))
    iv = (good / total_good - bad / total_bad) * woe
    return woe, iv
