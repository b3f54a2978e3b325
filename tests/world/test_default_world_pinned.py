"""The default world is byte-identical to the one generated before drift shocks existed.

Hashes were computed on the commit before ``zhudai/world/shocks.py`` (300 customers, seed 9,
two months of history, the test keys). Shocks are off by default, so no file may change.
``world.json`` is left out: new parameters of other parts may add manifest keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

PINNED = {
    "applications.parquet": "fad68a64cb050a24",
    "bureau.parquet": "544a65d65936dad0",
    "call_transcripts.parquet": "6ddb9c43ae07f61e",
    "card_txns.parquet": "d141972c9e170ffa",
    "channels.parquet": "c4c9c7b8341774c7",
    "collection_actions.parquet": "eb988073c89d52a9",
    "contacts.parquet": "e91092357fd9cd6b",
    "credit_labels.parquet": "b06514821b5723f5",
    "customers.parquet": "1527ae1d768e9a3c",
    "device_events.parquet": "238c86c116da6805",
    "funders.parquet": "335de20231e2e11c",
    "installments.parquet": "7b4f98693ffa2a9b",
    "loans.parquet": "61dc0b327d9ff2dc",
    "orders.parquet": "d8b0b6fbf16e98f1",
    "phones.parquet": "4051768610441acd",
    "products.parquet": "2a8cc459d83b9da1",
    "repayments.parquet": "7ffafee65d5e525f",
    "truth/applications.parquet": "aefbb4743029b4dc",
    "truth/persons.parquet": "6aad9d9f31a94062",
    "truth/transcripts.parquet": "876eaffe9b82146b",
}


def test_default_world_bytes_are_unchanged(
    tmp_path: Path, world_factory: Callable[..., Path]
) -> None:
    d = world_factory(tmp_path, 300, 9, months=2)
    got = {
        name: hashlib.sha256((d / name).read_bytes()).hexdigest()[:16]
        for name in PINNED
        if (d / name).exists()
    }
    assert got == PINNED
