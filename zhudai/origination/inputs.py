"""From bought and own data to the feature engine's inputs, and from failed sources to absent
features.

The feature engine reads event tables (``orders``, ``card_txns``, ``device_events``) and static
rows (``applications``, ``bureau``, ``customers``). Each comes from one source: a provider's
answer or the platform's own history. A source that *failed* leaves its features **absent**
(the policy then sees a missing input and reviews, never approves); a source that answered
"no record" is a thin file: empty events and zero bureau counts, values the cards were trained
on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from zhudai.exceptions import InvalidInputError
from zhudai.features.definitions import (
    AggregateFeature,
    FeatureSet,
    FieldFeature,
    RatioFeature,
    Transform,
)
from zhudai.features.online import Events
from zhudai.origination.edge import ProtectedApplication
from zhudai.origination.history import ApplicantHistory
from zhudai.providers import ProviderAnswer, ProviderStatus
from zhudai.times import local_micros

#: The bureau facts each provider answers, as the ``bureau`` static row names them.
BUREAU_FIELDS: dict[str, tuple[str, ...]] = {
    "bureau": (
        "past_overdue_count",
        "max_past_dpd",
        "open_loans",
        "total_open_balance",
        "inquiries_30d",
    ),
    "multi_lending": ("multi_lending_30d", "multi_lending_90d", "multi_lending_180d"),
}
#: The event table each provider's answer fills, and the key of its list in the answer.
EVENT_SOURCES: dict[str, str] = {"ecommerce": "orders", "card": "card_txns"}
#: Columns of the ``applications`` row that a provider supplies.
APPLICATION_SOURCES: dict[str, tuple[str, ...]] = {
    "telecom": ("sim_age_days",),
    "ip_geo": ("ip_city",),
}


def answered(answer: ProviderAnswer | None) -> bool:
    """A valid answer: data, or "no record" (a thin file). A failure, or no call, is not."""
    return answer is not None and answer.status is not ProviderStatus.FAILURE


def _value(answer: ProviderAnswer | None, key: str) -> Any:
    if answer is None or answer.status is not ProviderStatus.DATA or answer.data is None:
        return None
    return answer.data.get(key)


def _events(answer: ProviderAnswer | None, key: str) -> Events:
    """The answer's events as columns, times as local wall-clock microseconds (one vectorised
    parse of their ISO times); no events is an empty history."""
    if answer is None or answer.status is not ProviderStatus.DATA or answer.data is None:
        return ()
    rows = answer.data.get(key) or ()
    if not rows:
        return ()
    try:
        columns: dict[str, Any] = {c: [e[c] for e in rows] for c in rows[0] if c != "ts"}
        columns["ts"] = local_micros([e["ts"] for e in rows])
    except KeyError as exc:
        raise InvalidInputError(
            f"{answer.provider}.{key}.{exc.args[0]}", "missing from an event"
        ) from None
    return columns


@dataclass(frozen=True)
class FeatureInputs:
    """Everything the online feature engine reads for one application."""

    events: dict[str, Events]
    static: dict[str, dict[str, Any]]
    failed_tables: frozenset[str]
    failed_columns: frozenset[tuple[str, str]]


def feature_inputs(
    app: ProtectedApplication,
    channel_id: int,
    history: ApplicantHistory,
    answers: Mapping[str, ProviderAnswer],
) -> FeatureInputs:
    """The feature engine's events and static rows for ``app`` (see the module docstring)."""
    failed_tables: set[str] = set()
    failed_columns: set[tuple[str, str]] = set()
    events: dict[str, Events] = {"device_events": history.device_events}
    for provider, table in EVENT_SOURCES.items():
        answer = answers.get(provider)
        if answered(answer):
            events[table] = _events(answer, table)
        else:
            failed_tables.add(table)
    bureau: dict[str, Any] = {}
    for provider, columns in BUREAU_FIELDS.items():
        answer = answers.get(provider)
        for column in columns:
            if not answered(answer):
                failed_columns.add(("bureau", column))
                bureau[column] = None
            elif answer is not None and answer.status is ProviderStatus.NO_RECORD:
                bureau[column] = 0  # the bureau knows of nothing: a thin file
            else:
                bureau[column] = _value(answer, column)
    applications: dict[str, Any] = {
        "amount_requested": app.amount,
        "term_months": app.term_months,
        "is_emulator": app.is_emulator,
        "is_rooted": app.is_rooted,
        "device_first_seen_at": history.device_first_seen_at,
        "declared_city": app.city,
        "channel_id": channel_id,
        "product_code": app.product,
    }
    for provider, columns in APPLICATION_SOURCES.items():
        answer = answers.get(provider)
        for column in columns:
            applications[column] = _value(answer, column)
            if not answered(answer):
                failed_columns.add(("applications", column))
    customers = {
        "age_at_application": app.age,
        "income_declared": app.monthly_income,
        "gender": app.gender,
        "occupation": app.occupation,
        "registered_at": history.registered_at,
    }
    return FeatureInputs(
        events=events,
        static={"applications": applications, "bureau": bureau, "customers": customers},
        failed_tables=frozenset(failed_tables),
        failed_columns=frozenset(failed_columns),
    )


class FeatureSources:
    """Which features depend on which table and column, so a failed source removes exactly
    the features computed from it (ratios of a removed feature go too)."""

    def __init__(self, feature_set: FeatureSet) -> None:
        self.feature_set = feature_set

    @cached_property
    def _by_source(self) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
        tables: dict[str, list[str]] = {}
        columns: dict[tuple[str, str], list[str]] = {}
        for f in self.feature_set.features:
            if isinstance(f, AggregateFeature):
                tables.setdefault(f.table, []).append(f.name)
            elif isinstance(f, FieldFeature):
                columns.setdefault((f.table, f.column), []).append(f.name)
                if f.transform is Transform.DIFFERS_FROM:
                    columns.setdefault((f.table, f.argument), []).append(f.name)
        return tables, columns

    def absent(self, inputs: FeatureInputs) -> set[str]:
        """Names of the features that cannot be computed from these inputs."""
        tables, columns = self._by_source
        gone = {n for t in inputs.failed_tables for n in tables.get(t, ())}
        gone |= {n for c in inputs.failed_columns for n in columns.get(c, ())}
        ratios = [f for f in self.feature_set.features if isinstance(f, RatioFeature)]
        changed = True
        while changed:  # a ratio of a ratio of an absent feature is absent too
            changed = False
            for r in ratios:
                if r.name not in gone and (r.numerator in gone or r.denominator in gone):
                    gone.add(r.name)
                    changed = True
        return gone
