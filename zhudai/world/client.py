"""The world as a partner: its applications sent as the origination contract's JSON.

A channel partner holds its applicants' plaintext and sends it; the world holds it only as
ciphertexts (``customers``, ``phones``), so this client decrypts with the platform's key to
play that partner. It reads observable tables only, never ``truth/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from zhudai.privacy import cipher
from zhudai.times import from_local

#: Prefix of the partner application ids the client sends (``W`` + the world's id).
ID_PREFIX = "W"


class WorldClient:
    """Applications of a generated world in time order, each as a contract dict.

    Parameters
    ----------
    world_dir : path
        A folder written by ``zhudai world generate --out``.
    """

    def __init__(self, world_dir: str | Path) -> None:
        self.world_dir = Path(world_dir)
        read = lambda name: pl.read_parquet(self.world_dir / f"{name}.parquet")  # noqa: E731
        self._customers = read("customers")
        self._phones = dict(read("phones").iter_rows())
        self._kinds = dict(read("channels").select("channel_id", "kind").iter_rows())
        contacts = read("contacts").group_by("customer_id").agg("contact_phone_token", "relation")
        self._contacts = {
            row[0]: list(zip(row[1], row[2], strict=True)) for row in contacts.iter_rows()
        }
        self._apps = read("applications").sort("applied_at", "application_id")

    def __len__(self) -> int:
        return self._apps.height

    def requests(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Contract dicts of the world's applications, oldest first (``limit`` of them)."""
        c = self._customers
        by_id = c.select("id_token", "id_enc", "name_enc")
        by_card = c.select("card_token", "card_enc")
        declared = c.select("customer_id", "occupation", "income_declared", "employer_id")
        apps = self._apps if limit is None else self._apps.head(limit)
        rows = (
            apps.join(by_id, on="id_token", how="left")
            .join(by_card, on="card_token", how="left")
            .join(declared, on="customer_id", how="left")
        )
        enc = cipher()
        for r in rows.iter_rows(named=True):
            contacts = [
                {"phone": enc.decrypt(self._phones[token], "phone_enc"), "relation": relation}
                for token, relation in self._contacts.get(r["customer_id"], ())
            ]
            yield {
                "application_id": f"{ID_PREFIX}{r['application_id']}",
                "applied_at": from_local(r["applied_at"]).isoformat(),
                "channel": self._kinds[r["channel_id"]],
                "product": r["product_code"],
                "amount": r["amount_requested"],
                "term_months": r["term_months"],
                "applicant": {
                    "id_number": enc.decrypt(r["id_enc"], "id_enc"),
                    "name": enc.decrypt(r["name_enc"], "name_enc"),
                    "phone": enc.decrypt(self._phones[r["phone_token"]], "phone_enc"),
                    "bank_card": enc.decrypt(r["card_enc"], "card_enc") if r["card_enc"] else None,
                    "city": r["declared_city"],
                    "occupation": r["occupation"],
                    "employer": None if r["employer_id"] is None else str(r["employer_id"]),
                    "monthly_income": r["income_declared"],
                },
                "device": {
                    "device_id": str(r["device_id"]),
                    "model": r["device_model"],
                    "is_emulator": r["is_emulator"],
                    "is_rooted": r["is_rooted"],
                },
                "ip": r["ip"],
                "gps": {"lat": r["gps_lat"], "lon": r["gps_lon"]},
                "contacts": contacts,
            }
