"""The partner banks of the simulated market, as they decide: each has its own view of an
applicant's risk (the true PD seen through its own model's error) and its own cut-off, which
the facilitator never sees; it only sees the answers (accept or refuse) to what it pushed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

#: Each bank's cut-off on its own PD view (banks not listed use ``DEFAULT_CUTOFF``).
BANK_CUTOFFS: dict[str, float] = {
    "jinhai": 0.05,
    "dongfang": 0.08,
    "qianjiang": 0.10,
    "xinhe": 0.12,
    "baoli": 0.20,
}
DEFAULT_CUTOFF = 0.10
#: Spread (log scale) of a bank's PD view around the true PD: its model's error.
VIEW_NOISE = 0.5


@dataclass
class SimulatedBanks:
    """Banks' own approval of pushed applications; the same push always gets the same
    answer, so strategies compared on one day meet the same banks."""

    true_pd: dict[int, float]
    seed: int = 0
    cutoffs: dict[str, float] = field(default_factory=lambda: dict(BANK_CUTOFFS))

    @classmethod
    def of_world(cls, world_dir: str | Path, seed: int = 0) -> SimulatedBanks:
        t = pl.read_parquet(
            Path(world_dir) / "truth" / "applications.parquet",
            columns=["application_id", "true_pd"],
        )
        return cls(
            dict(zip(t["application_id"].to_list(), t["true_pd"].to_list(), strict=True)), seed
        )

    def view(self, application_id: int, funder: str) -> float:
        """The bank's own PD for the application (deterministic per bank and application)."""
        key = int.from_bytes(funder.encode()[:8].ljust(8, b"\0"), "little")
        rng = np.random.default_rng([self.seed, application_id, key])
        return float(self.true_pd[application_id] * np.exp(VIEW_NOISE * rng.standard_normal()))

    def accepts(self, application_id: int, funder: str) -> bool:
        return self.view(application_id, funder) <= self.cutoffs.get(funder, DEFAULT_CUTOFF)
