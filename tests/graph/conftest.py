"""Graph test fixtures: hand-made records and one small generated world per session."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

T0 = datetime(2025, 1, 1)
WORLD_CUSTOMERS = 3000
WORLD_SEED = 11


def record(app_id: int, day: float, **fields: Any) -> dict[str, Any]:
    """An application record arriving ``day`` days after 2025-01-01."""
    return {"application_id": app_id, "applied_at": T0 + timedelta(days=day), **fields}


def random_records(n: int, seed: int, *, statuses: bool = True) -> list[dict[str, Any]]:
    """Records with heavy random sharing (small value pools), some nulls and bad flags."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            record(
                i,
                rng.uniform(0, 120),
                device_id=f"d{rng.randrange(n // 2)}",
                ip=None if rng.random() < 0.2 else f"ip{rng.randrange(n // 2)}",
                phone_token=f"p{rng.randrange(n)}",
                card_token=None if rng.random() < 0.3 else f"c{rng.randrange(n)}",
                id_token=f"id{rng.randrange(int(n * 0.8))}",
                address_id=rng.randrange(n),
                employer_id=rng.randrange(max(n // 20, 1)),
                contact_phone_tokens=[f"p{rng.randrange(2 * n)}" for _ in range(rng.randrange(4))],
                status=rng.choice(["approved", "rejected"]) if statuses else None,
                bad=rng.random() < 0.1,
            )
        )
    return out


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory, keyed_env: Any) -> Path:
    """A generated world of 3,000 customers (fixed keys, outside the per-test settings)."""
    from zhudai.world import generate_world

    base = tmp_path_factory.mktemp("graph-world")
    with keyed_env(base / "home"):
        return generate_world(WORLD_CUSTOMERS, WORLD_SEED, out_dir=base / "world")
