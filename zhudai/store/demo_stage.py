"""Demo stage ``store``: migrate the embedded store, load the generated world into it, then take
one application through the public API and show what is stored for it (masked)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from zhudai.demo import DemoContext
from zhudai.exceptions import ZhudaiError
from zhudai.privacy import id_check_char, luhn_check_digit
from zhudai.store.applications import submit_application
from zhudai.store.db import session_scope
from zhudai.store.migrate import current_revision, upgrade
from zhudai.store.models import Application, Customer, Product
from zhudai.store.world_loader import load_world_dir


def _sample_application(product_code: str) -> dict[str, object]:
    id17 = "11010519900307123"
    return {
        "customer": {
            "id_number": id17 + id_check_char(id17),
            "phone": "13912345678",
            "bank_card": "622202100112345678" + luhn_check_digit("622202100112345678"),
            "name": "王小明",
            "city": "北京",
            "income_declared": 12000,
        },
        "applied_at": datetime(2026, 11, 1, 10, 30),
        "product_code": product_code,
        "amount_requested": 8000,
        "term_months": 12,
        "device_id": "demo-device-1",
        "ip": "10.1.2.3",
    }


def run_stage(ctx: DemoContext) -> list[str]:
    url = ctx.settings.database_url
    shown = upgrade(url)  # the URL with any password hidden
    if url.startswith("sqlite:///"):
        ctx.artifacts["store_db"] = Path(url.removeprefix("sqlite:///"))
    lines = [f"store {shown} at revision {current_revision(url)}"]
    world_dir = ctx.artifacts.get("world_dir")
    if world_dir is not None:
        counts = load_world_dir(world_dir, url)
        lines.append("loaded world: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    with session_scope(url) as s:
        product = s.scalar(select(Product.code).limit(1))
    if product is None:
        return [*lines, "no products in the store (world stage missing): skipped the API example"]
    app_id = submit_application(_sample_application(product), url)
    with session_scope(url) as s:
        app = s.get(Application, app_id)
        assert app is not None
        c: Customer = app.customer
        lines.append(
            f"application {app_id} stored for customer {c.id}: id {c.id_masked}, phone {c.phone_masked}, card {c.card_masked}, name {c.name_masked}"
        )
        lines.append(f"customers in store: {s.scalar(select(func.count(Customer.id))):,}")
    bad = _sample_application(product)
    bad["customer"]["phone"] = "1391234567"  # type: ignore[index]
    try:
        submit_application(bad, url)
    except ZhudaiError as exc:
        lines.append(f"bad input refused, nothing written: {exc}")
    return lines
