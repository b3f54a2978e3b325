"""The written world follows docs/world-tables.md and keeps personal data out of plaintext."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from zhudai.privacy import mask_text

# Contract columns copied from docs/world-tables.md (the generator may add more).
CONTRACT = {
    "channels": "channel_id name kind cost_per_application",
    "products": "product_code name min_amount max_amount terms base_apr",
    "funders": "funder_id name min_score max_apr monthly_quota cost_of_funds",
    "customers": "customer_id id_enc phone_enc card_enc name_enc id_token phone_token card_token "
    "name_masked id_masked phone_masked gender birth_date age_at_application province city "
    "occupation income_declared employer_id address_id registered_at",
    "applications": "application_id customer_id applied_at channel_id product_code "
    "amount_requested term_months device_id device_model is_emulator is_rooted "
    "device_first_seen_at ip ip_prefix24 gps_lat gps_lon geohash6 declared_city ip_city "
    "sim_age_days id_token phone_token card_token status reject_reason",
    "bureau": "application_id customer_id multi_lending_30d multi_lending_90d multi_lending_180d "
    "past_overdue_count max_past_dpd open_loans total_open_balance inquiries_30d",
    "orders": "order_id customer_id ts category amount n_items is_installment",
    "card_txns": "txn_id customer_id ts mcc_category amount channel is_cash_withdrawal",
    "device_events": "event_id customer_id ts device_id ip event_type",
    "contacts": "customer_id contact_phone_token relation is_customer_id",
    "phones": "phone_token phone_enc",
    "loans": "loan_id application_id customer_id funder_id product_code booked_at principal apr "
    "term_months repayment_method",
    "installments": "loan_id installment_no due_date principal_due interest_due paid_date "
    "paid_amount dpd",
    "repayments": "repayment_id loan_id paid_at amount",
    "collection_actions": "action_id loan_id ts action_type dpd_at_action contacted "
    "promise_to_pay paid_within_7d amount_recovered",
    "call_transcripts": "call_id loan_id action_id collector_id started_at duration_s text",
    "truth/persons": "customer_id income_level income_stability over_indebtedness impulsivity "
    "fraud_intent ring_id fraud_type",
    "truth/applications": "application_id is_fraud fraud_type ring_id probing_device true_pd",
    "truth/transcripts": "call_id violation",
}
ENUMS = {
    ("channels", "kind"): {
        "app_store",
        "ota_partner",
        "ecommerce_partner",
        "supply_chain_platform",
        "bank_cobrand",
        "social_ads",
        "offline_agent",
    },
    ("products", "product_code"): {
        "air_ticket_installment",
        "cash_installment",
        "supply_chain",
        "cobrand_card",
    },
    ("customers", "gender"): {"M", "F"},
    ("applications", "status"): {"approved", "rejected"},
    ("card_txns", "channel"): {"pos", "online", "atm"},
    ("device_events", "event_type"): {"login", "register", "apply", "change_phone", "bind_card"},
    ("contacts", "relation"): {"family", "friend", "colleague", "other"},
    ("loans", "repayment_method"): {"equal_installment", "equal_principal", "interest_first"},
    ("collection_actions", "action_type"): {"sms", "auto_call", "human_call", "agency"},
    ("truth/persons", "fraud_type"): {"none", "ring", "probing", "identity_theft"},
    ("truth/transcripts", "violation"): {
        "none",
        "abuse",
        "threat",
        "third_party_disclosure",
        "off_hours",
    },
}


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_table_has_contract_columns(world: Path, table: str) -> None:
    df = pl.read_parquet(world / f"{table}.parquet")
    missing = set(CONTRACT[table].split()) - set(df.columns)
    assert not missing, f"{table} lacks {missing}"
    assert df.height > 0
    for (t, col), allowed in ENUMS.items():
        if t == table:
            assert set(df[col].unique().to_list()) <= allowed


def test_ground_truth_only_under_truth(world: Path) -> None:
    truth_words = {
        "ring_id",
        "fraud_type",
        "is_fraud",
        "true_pd",
        "violation",
        "impulsivity",
        "over_indebtedness",
    }
    for path in world.glob("*.parquet"):
        assert not truth_words & set(pl.read_parquet_schema(path)), path.name


def test_types_and_keys(world: Path) -> None:
    apps = pl.read_parquet(world / "applications.parquet")
    assert apps.schema["applied_at"] == pl.Datetime("us")
    assert apps["application_id"].to_list() == list(range(1, apps.height + 1))
    assert apps["applied_at"].is_sorted()
    loans = pl.read_parquet(world / "loans.parquet")
    booked = loans.join(apps, on="application_id")
    assert (booked["status"] == "approved").all()
    assert (booked["customer_id"] == booked["customer_id_right"]).all()
    assert loans["apr"].max() <= 0.24 + 1e-12
    inst = pl.read_parquet(world / "installments.parquet")
    assert set(inst["loan_id"].unique()) == set(loans["loan_id"])
    # Every customer applied at least once; orders are before the first application.
    assert apps["customer_id"].n_unique() == pl.read_parquet(world / "customers.parquet").height
    first = apps.group_by("customer_id").agg(pl.col("applied_at").min().alias("first"))
    orders = pl.read_parquet(world / "orders.parquet").join(first, on="customer_id")
    assert (orders["ts"] < orders["first"]).all()
    manifest = json.loads((world / "world.json").read_text())
    assert manifest["rows"]["applications"] == apps.height


def test_no_plaintext_identifiers(world: Path) -> None:
    """No string column (other than tokens and ciphertexts) holds an ID, phone or card number."""
    for path in [*world.glob("*.parquet"), *world.glob("truth/*.parquet")]:
        df = pl.read_parquet(path)
        for col, dtype in df.schema.items():
            if dtype != pl.Utf8 or col.endswith(("_token", "_enc")):
                continue
            values = df[col].drop_nulls().unique().to_list()
            leaked = [v for v in values if mask_text(v) != v]
            assert not leaked, f"{path.name}.{col}: {leaked[:3]}"


def test_encrypted_columns_decrypt_to_valid_identifiers(world: Path) -> None:
    from zhudai.privacy import (
        FieldCipher,
        birth_date_of,
        validate_bank_card,
        validate_id_number,
        validate_phone,
    )

    customers = pl.read_parquet(world / "customers.parquet").head(50)
    cipher = FieldCipher(b"e" * 32)  # the key the conftest generates under
    for row in customers.iter_rows(named=True):
        id_number = cipher.decrypt(row["id_enc"], "id_enc")
        assert validate_id_number(id_number)[:3] == row["id_masked"][:3]
        assert id_number[-4:] == row["id_masked"][-4:]
        assert birth_date_of(id_number) == row["birth_date"]
        assert (int(id_number[16]) % 2 == 1) == (row["gender"] == "M")
        validate_phone(cipher.decrypt(row["phone_enc"], "phone_enc"))
        validate_bank_card(cipher.decrypt(row["card_enc"], "card_enc"))
        assert cipher.decrypt(row["name_enc"], "name_enc")[0] == row["name_masked"][0]


def test_every_submitted_phone_has_a_ciphertext_for_the_client(world: Path) -> None:
    """The world's client submits plaintext phones: each application's and contact's phone
    token has a ciphertext in ``phones`` that decrypts to the phone with that token."""
    from zhudai.privacy import FieldCipher, Tokenizer

    phones = pl.read_parquet(world / "phones.parquet")
    assert phones["phone_token"].n_unique() == phones.height
    wanted = pl.concat(
        [
            pl.read_parquet(world / "applications.parquet")["phone_token"],
            pl.read_parquet(world / "contacts.parquet")["contact_phone_token"],
        ]
    ).unique()
    assert wanted.is_in(phones["phone_token"].implode()).all()
    cipher, tokens = FieldCipher(b"e" * 32), Tokenizer(b"t" * 32)
    for row in phones.sample(50, seed=1).iter_rows(named=True):
        phone = cipher.decrypt(row["phone_enc"], "phone_enc")
        assert tokens.token("phone", phone) == row["phone_token"]


def test_age_matches_birth_date_and_id(world: Path) -> None:
    from datetime import date

    customers = pl.read_parquet(world / "customers.parquet")
    first = (
        pl.read_parquet(world / "applications.parquet")
        .group_by("customer_id")
        .agg(pl.col("applied_at").min())
    )
    for row in customers.join(first, on="customer_id").head(400).iter_rows(named=True):
        born: date = row["birth_date"]
        on = row["applied_at"].date()
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        assert age == row["age_at_application"]
        assert 18 <= age <= 66
        assert row["id_masked"][:3].isdigit()


def test_repayments_collections_and_installments_agree(world: Path) -> None:
    inst = pl.read_parquet(world / "installments.parquet")
    reps = pl.read_parquet(world / "repayments.parquet")
    paid = inst.group_by("loan_id").agg(pl.col("paid_amount").sum())
    got = reps.group_by("loan_id").agg(pl.col("amount").sum())
    both = paid.join(got, on="loan_id", how="full", coalesce=True).fill_null(0.0)
    assert (both["paid_amount"] - both["amount"]).abs().max() < 0.05
    assert (inst.filter(pl.col("paid_date").is_not_null())["dpd"] >= 0).all()
    unpaid_due = inst.filter(pl.col("paid_date").is_null() & (pl.col("dpd") > 0))
    assert unpaid_due.height > 0  # defaulted loans stay unpaid at the observation date
    actions = pl.read_parquet(world / "collection_actions.parquet")
    overdue_loans = set(inst.filter(pl.col("dpd") > 0)["loan_id"])
    assert set(actions["loan_id"]) <= overdue_loans
    assert (actions.filter(~pl.col("contacted"))["promise_to_pay"] == False).all()  # noqa: E712
    assert (actions.filter(pl.col("amount_recovered") > 0)["paid_within_7d"]).all()
    # A payment within 7 days of an action shows up in the loan's repayments.
    hit = actions.filter(pl.col("amount_recovered") > 0).with_columns(day=pl.col("ts").dt.date())
    r = reps.with_columns(pay_day=pl.col("paid_at").dt.date())
    joined = hit.join(r, on="loan_id").filter(
        (pl.col("pay_day") >= pl.col("day"))
        & ((pl.col("pay_day") - pl.col("day")).dt.total_days() <= 7)
    )
    assert joined["action_id"].n_unique() == hit.height


def test_ids_do_not_reveal_fraud(world: Path) -> None:
    """Customer, device, address and employer ids carry no ordering by role."""
    persons = pl.read_parquet(world / "truth" / "persons.parquet")
    customers = pl.read_parquet(world / "customers.parquet").join(persons, on="customer_id")
    apps = pl.read_parquet(world / "applications.parquet").join(
        pl.read_parquet(world / "truth" / "applications.parquet"), on="application_id"
    )
    for frame, col, flag in (
        (customers, "customer_id", pl.col("ring_id").is_not_null()),
        (customers, "address_id", pl.col("ring_id").is_not_null()),
        (customers.drop_nulls("employer_id"), "employer_id", pl.col("ring_id").is_not_null()),
        (apps, "device_id", pl.col("ring_id").is_not_null()),
    ):
        ids = frame.select(pl.col(col), flag.alias("f")).unique(
            col, keep="first", maintain_order=True
        )
        ranks = ids.select(pl.col(col).rank() / pl.len(), "f")
        mean_rank = ranks.filter(pl.col("f"))[col].mean()
        assert 0.3 < mean_rank < 0.7, (col, mean_rank)
