"""Builders of proposed actions for the guard's tests."""

from __future__ import annotations

from typing import Any

PHONE = "13912345678"


def action(n: int | str = 1, **changes: Any) -> dict[str, Any]:
    """A valid answered, effective human call to the debtor (Asia/Shanghai, 10:00 local), with
    ``changes`` applied; a change to ``None`` removes the key."""
    data: dict[str, Any] = {
        "action_id": f"A{n}",
        "debtor_id": "D1",
        "phone": PHONE,
        "kind": "human_call",
        "at": "2026-06-01T10:00:00+08:00",
        "debtor_tz": "Asia/Shanghai",
        "party": "debtor",
        "answered": True,
        "effective": True,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
