"""Debtors' complaints about collection calls, as a complaints desk receives them.

A call that breaks the rules draws a complaint far more often than a lawful one (abuse and
threats most, a contact told of the debt often complains as well), so a collector prone to
violations collects complaints too, as in real agency reviews. A complaint arrives hours to
days after the call, by the platform's hotline, its app, or the regulator's hotline (12378),
names the call and its collector, and states what it is about; lawful calls draw the rare
``harassment`` complaint. Complaints are observable data (no ``truth/``): the platform's
scorecards count them per collector and agency.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhudai.times import US_PER_HOUR
from zhudai.world.timeutil import as_datetime
from zhudai.world.transcripts import VIOLATIONS

#: Probability that one call draws a complaint, by its violation (index of ``VIOLATIONS``).
COMPLAINT_RATE = {
    "none": 0.002,
    "abuse": 0.12,
    "threat": 0.15,
    "third_party_disclosure": 0.10,
    "off_hours": 0.06,
    "false_legal_threat": 0.08,
    "impersonation": 0.10,
    "contact_book_threat": 0.15,
}
#: What the complaint says it is about, by the call's violation.
CATEGORY = {"none": "harassment", "abuse": "abuse", "threat": "threat",
            "third_party_disclosure": "third_party_disclosure", "off_hours": "off_hours",
            "false_legal_threat": "threat", "impersonation": "impersonation",
            "contact_book_threat": "threat"}  # fmt: skip
CHANNELS = ("hotline", "app", "regulator")
CHANNEL_SHARE = (0.6, 0.25, 0.15)
#: Mean delay from the call to the complaint, in hours (exponential).
MEAN_DELAY_HOURS = 20.0


def complaints_frame(
    rng: np.random.Generator,
    violation: np.ndarray,
    call_id: np.ndarray,
    loan_id: np.ndarray,
    collector_id: np.ndarray,
    started_us: np.ndarray,
    obs_us: int,
) -> pl.DataFrame:
    """One row per complaint received before the observation time, in time order; the
    arrays are per call, ``violation`` indexing :data:`VIOLATIONS`."""
    rate = np.array([COMPLAINT_RATE[v] for v in VIOLATIONS])
    drawn = rng.random(len(violation)) < rate[violation]
    delay = rng.exponential(MEAN_DELAY_HOURS * US_PER_HOUR, len(violation)).astype(np.int64)
    channel = rng.choice(len(CHANNELS), len(violation), p=CHANNEL_SHARE)
    received = started_us + delay
    received -= received % 1_000_000
    keep = np.flatnonzero(drawn & (received < obs_us))
    keep = keep[np.lexsort((call_id[keep], received[keep]))]
    categories = np.array([CATEGORY[v] for v in VIOLATIONS])
    return pl.DataFrame(
        {
            "complaint_id": np.arange(1, len(keep) + 1, dtype=np.int64),
            "loan_id": loan_id[keep].astype(np.int64),
            "call_id": call_id[keep].astype(np.int64),
            "collector_id": collector_id[keep].astype(str),
            "received_at": as_datetime(received[keep]),
            "channel": np.array(CHANNELS)[channel[keep]],
            "category": categories[violation[keep]],
        }
    )
