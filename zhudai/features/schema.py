"""The columns of the world's tables that feature definitions may read, and their kinds.

A definition is checked against this contract when it is loaded, so a typo in a column name
or an aggregate that cannot apply to a column (a sum over a category) fails before any data
is read. The names follow ``docs/world-tables.md``. Columns that carry the historical
decision (``status``, ``reject_reason``) and the identity tokens are left out on purpose: a
feature built from them would leak the label or personal data.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a column holds, which decides the aggregates and filters that may use it."""

    ID = "id"
    NUMERIC = "numeric"
    BOOL = "bool"
    CATEGORY = "category"
    DATETIME = "datetime"
    DATE = "date"


_ID, _NUM, _BOOL, _CAT, _DT, _DATE = (
    Kind.ID,
    Kind.NUMERIC,
    Kind.BOOL,
    Kind.CATEGORY,
    Kind.DATETIME,
    Kind.DATE,
)

#: Tables with one row per event of a customer: aggregated over time windows.
EVENT_TABLES: dict[str, dict[str, Kind]] = {
    "orders": {
        "order_id": _ID,
        "customer_id": _ID,
        "ts": _DT,
        "category": _CAT,
        "amount": _NUM,
        "n_items": _NUM,
        "is_installment": _BOOL,
    },
    "card_txns": {
        "txn_id": _ID,
        "customer_id": _ID,
        "ts": _DT,
        "mcc_category": _CAT,
        "amount": _NUM,
        "channel": _CAT,
        "is_cash_withdrawal": _BOOL,
    },
    "device_events": {
        "event_id": _ID,
        "customer_id": _ID,
        "ts": _DT,
        "device_id": _ID,
        "ip": _CAT,
        "event_type": _CAT,
    },
}

#: Tables with one row per application (or per customer): read as fields, not aggregated.
STATIC_TABLES: dict[str, dict[str, Kind]] = {
    "applications": {
        "application_id": _ID,
        "customer_id": _ID,
        "applied_at": _DT,
        "channel_id": _ID,
        "product_code": _CAT,
        "amount_requested": _NUM,
        "term_months": _NUM,
        "device_id": _ID,
        "device_model": _CAT,
        "is_emulator": _BOOL,
        "is_rooted": _BOOL,
        "device_first_seen_at": _DT,
        "ip_prefix24": _CAT,
        "gps_lat": _NUM,
        "gps_lon": _NUM,
        "geohash6": _CAT,
        "declared_city": _CAT,
        "ip_city": _CAT,
        "sim_age_days": _NUM,
    },
    "bureau": {
        "application_id": _ID,
        "customer_id": _ID,
        "multi_lending_30d": _NUM,
        "multi_lending_90d": _NUM,
        "multi_lending_180d": _NUM,
        "past_overdue_count": _NUM,
        "max_past_dpd": _NUM,
        "open_loans": _NUM,
        "total_open_balance": _NUM,
        "inquiries_30d": _NUM,
    },
    "customers": {
        "customer_id": _ID,
        "gender": _CAT,
        "birth_date": _DATE,
        "age_at_application": _NUM,
        "province": _CAT,
        "city": _CAT,
        "occupation": _CAT,
        "income_declared": _NUM,
        "employer_id": _ID,
        "address_id": _ID,
        "registered_at": _DT,
    },
}

#: How each static table joins to an application: the application's column that is its key.
STATIC_KEYS: dict[str, str] = {
    "applications": "application_id",
    "bureau": "application_id",
    "customers": "customer_id",
}

#: The application columns every engine needs: the key, the as-of time and the default entity.
APPLICATION_KEY = "application_id"
APPLICATION_TIME = "applied_at"
