"""The live pipeline's documented answers: idempotency, errors naming the field, fail-closed
provider failures, pre-screen before paid calls, atomic quotas, nothing half-written."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.origination import pipeline as pipeline_module
from zhudai.origination import recorder
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.origination.pipeline import OriginationService
from zhudai.privacy import id_check_char, luhn_check_digit
from zhudai.providers import build_simulated_hub
from zhudai.settings import Settings
from zhudai.store.db import session_scope
from zhudai.store.models import (
    Application,
    Base,
    DecisionRecord,
    Funder,
    FunderQuotaDay,
    Origination,
    ProviderAnswerRecord,
)

pytestmark = pytest.mark.slow


def _record(service: OriginationService, application_id: str) -> dict[str, Any]:
    with session_scope(service.url) as s:
        o = s.scalar(select(Origination).where(Origination.external_id == application_id))
        assert o is not None
        record = s.scalar(
            select(DecisionRecord.record).where(DecisionRecord.decision_id == o.decision_id)
        )
        assert record is not None
        return record


def _counts(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def _quota(url: str) -> list[tuple[int, Any, Decimal, Decimal]]:
    with session_scope(url) as s:
        return [
            (q.funder_id, q.day, q.reserved, q.booked)
            for q in s.scalars(select(FunderQuotaDay).order_by(FunderQuotaDay.funder_id))
        ]


def _hub(home: Settings, **providers: dict[str, Any]) -> Any:
    import yaml

    doc = yaml.safe_load((home.home / "providers.yaml").read_text())
    return build_simulated_hub(doc["simulated_world"], providers)


def test_same_application_id_twice_gets_the_stored_answer(
    service: OriginationService, fresh: list[dict[str, Any]]
) -> None:
    first = service.decide(fresh[0])
    before = _counts(service.url)
    again = service.decide(copy.deepcopy(fresh[0]))
    assert again.model_dump(exclude={"latency_ms"}) == first.model_dump(exclude={"latency_ms"})
    assert _counts(service.url) == before  # no second decision, application or answer
    changed = copy.deepcopy(fresh[0])
    changed["amount"] = changed["amount"] + 100  # the id is the key: still the stored answer
    assert service.decide(changed).decision_id == first.decision_id


def test_unknown_codes_are_errors_naming_the_field(
    service: OriginationService, fresh: list[dict[str, Any]]
) -> None:
    before = _counts(service.url)
    for field, value in (("product", "mortgage"), ("channel", "tv_ads")):
        bad = {**fresh[1], field: value}
        with pytest.raises(NotFoundError) as err:
            service.decide(bad)
        assert err.value.field == field
    naive = {**fresh[1], "applied_at": "2024-03-01T10:00:00"}
    with pytest.raises(InvalidInputError, match="^applied_at: must carry a UTC offset"):
        service.decide(naive)
    wrong = copy.deepcopy(fresh[1])
    digits = wrong["applicant"]["id_number"]
    wrong["applicant"]["id_number"] = digits[:-1] + ("1" if digits[-1] == "0" else "0")
    with pytest.raises(InvalidInputError) as err:
        service.decide(wrong)
    assert err.value.field == "id_number"
    assert _counts(service.url) == before


def test_amount_outside_the_product_range_is_rejected_before_any_paid_call(
    service: OriginationService, fresh: list[dict[str, Any]]
) -> None:
    product = service.catalogue.product(fresh[2]["product"])
    too_big = {**fresh[2], "amount": product.max_amount + 1}
    answer = service.decide(too_big)
    assert answer.decision == "reject"
    assert [r.code for r in answer.reasons][:1] == ["P01"]
    assert answer.policy_version.startswith("prescreen@")
    with session_scope(service.url) as s:
        app_id = s.scalar(
            select(Application.id).where(Application.external_id == too_big["application_id"])
        )
        bought = s.scalar(select(func.count()).where(ProviderAnswerRecord.application_id == app_id))
    assert bought == 0
    term = {**fresh[3], "term_months": 7}
    assert [r.code for r in service.decide(term).reasons][:1] == ["P02"]


def test_a_bureau_timeout_is_a_missing_input_reviewed_never_approved(
    home: Settings, fresh: list[dict[str, Any]]
) -> None:
    hub = _hub(home, bureau={"latency_ms": 400, "timeout_ms": 40, "retries": 0})
    service = build_service(home, fraud=fraud_engine_from_home(home.home), providers=hub)
    decided = [service.decide(r) for r in fresh[:12]]
    screened = [a for a in decided if not a.policy_version.startswith("prescreen@")]
    assert screened
    for a in screened:
        assert a.decision == "review", a
        assert "MISSING_BUREAU" in [r.code for r in a.reasons]
        record = _record(service, a.application_id)
        assert record["origination"]["providers"]["bureau"] == "failure"
    with session_scope(service.url) as s:
        errors = s.scalars(
            select(ProviderAnswerRecord.error)
            .join(Application, Application.id == ProviderAnswerRecord.application_id)
            .where(
                ProviderAnswerRecord.provider == "bureau",
                Application.external_id.in_([a.application_id for a in screened]),
            )
        ).all()
    assert len(errors) == len(screened) and all("timeout" in (e or "") for e in errors)


def test_failed_order_data_leaves_its_features_absent_and_reviews(
    home: Settings, fresh: list[dict[str, Any]]
) -> None:
    hub = _hub(home, ecommerce={"failure_rate": 1.0, "retries": 0})
    service = build_service(home, fraud=fraud_engine_from_home(home.home), providers=hub)
    for request in fresh[:10]:
        a = service.decide(request)
        if a.policy_version.startswith("prescreen@"):
            continue
        assert a.decision == "review"
        record = _record(service, a.application_id)
        assert any(c.startswith("MISSING_FEATURES_") for c in record["reason_codes"])
        assert not [f for f in record["features"] if f.startswith("orders_")]


def _new_person(request: dict[str, Any], n: int) -> dict[str, Any]:
    """The request with an identity, phone and card nobody has seen (a thin file)."""
    r = copy.deepcopy(request)
    first17 = f"1101051990030{7000 + n:04d}"
    card = f"62220210011{n:07d}"
    r["application_id"] = f"NEW{n}"
    r["applicant"] |= {
        "id_number": first17 + id_check_char(first17),
        "phone": f"139{n:08d}",
        "bank_card": card + luhn_check_digit(card),
        "name": "新客户",
    }
    r["device"]["device_id"] = f"new-device-{n}"
    r["contacts"] = []
    return r


def test_a_thin_file_goes_to_the_thin_file_segment(
    service: OriginationService, fresh: list[dict[str, Any]]
) -> None:
    request = _new_person(fresh[20], 1)
    answer = service.decide(request)
    record = _record(service, answer.application_id)
    providers = record["origination"]["providers"]
    assert providers["bureau"] == providers["ecommerce"] == "no_record"
    assert record["inputs"]["thin_file"] is True
    assert record["features"]["orders_count_365d"] == 0.0  # an empty history is a value
    tables = [t.get("step") for t in record["trace"]]
    assert "grade_thin_file" in tables and "grade_standard" not in tables


@pytest.fixture
def approved_in_demo(service: OriginationService) -> str:
    """A fresh application id whose twin the demo approved and routed (every stage runs)."""
    with session_scope(service.url) as s:
        routed = s.scalar(
            select(Origination.external_id)
            .where(Origination.funder_id.is_not(None))
            .order_by(Origination.id)
            .limit(1)
        )
    assert routed is not None
    return "T" + routed[1:]


STAGES: tuple[tuple[str, str], ...] = (
    ("module", "protect"),
    ("module", "applicant_history"),
    ("fraud", "check"),
    ("decisions", "evaluate"),
    ("providers", "fetch_all"),
    ("features", "compute"),
    ("module", "route"),
    ("recorder", "encode_answer_data"),
    ("recorder", "decision_values"),
)


@pytest.mark.parametrize(("owner", "name"), STAGES)
def test_an_exception_between_stages_leaves_nothing_written(
    service: OriginationService,
    fresh: list[dict[str, Any]],
    approved_in_demo: str,
    monkeypatch: pytest.MonkeyPatch,
    owner: str,
    name: str,
) -> None:
    request = next(r for r in fresh if r["application_id"] == approved_in_demo)
    before, quota = _counts(service.url), _quota(service.url)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"injected failure in {name}")

    target: Any = {
        "module": pipeline_module,
        "recorder": recorder,
        "fraud": service.fraud,
        "decisions": service.decisions,
        "providers": service.providers,
        "features": service.features,
    }[owner]
    monkeypatch.setattr(target, name, boom)
    with pytest.raises(RuntimeError, match="injected"):
        service.decide(request)
    assert _counts(service.url) == before
    assert _quota(service.url) == quota
    monkeypatch.undo()
    assert service.decide(request).application_id == request["application_id"]


def _small_quotas(url: str, quota: Decimal) -> None:
    with session_scope(url) as s:
        s.execute(update(Funder).values(daily_quota=quota))


def test_concurrent_requests_never_overshoot_a_funder_quota(
    home: Settings, fresh: list[dict[str, Any]]
) -> None:
    _small_quotas(home.database_url, Decimal("30000"))
    service = build_service(home, fraud=fraud_engine_from_home(home.home))
    day = "2030-01-15"  # a day of its own: no quota used by the demo's decisions
    batch = []
    for i, r in enumerate(fresh[:60]):
        c = copy.deepcopy(r)
        c["applied_at"] = f"{day}T{8 + i // 6:02d}:{i % 6 * 10:02d}:00+08:00"
        batch.append(c)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(service.decide, batch))
    funded = [a for a in answers if a.funder is not None]
    assert funded, "no application was routed: the test proves nothing"
    assert any(a.decision == "review" and a.reasons[0].code == "NO_FUNDER" for a in answers)
    with session_scope(service.url) as s:
        used = s.scalars(select(FunderQuotaDay).where(FunderQuotaDay.day == date(2030, 1, 15)))
        for q in used:
            assert q.reserved + q.booked <= Decimal("30000")
            for status, column in (("recommended", q.reserved), ("accepted", q.booked)):
                held = s.scalar(
                    select(func.coalesce(func.sum(Origination.funder_amount), 0)).where(
                        Origination.funder_id == q.funder_id,
                        Origination.funder_day == q.day,
                        Origination.funder_status == status,
                    )
                )
                assert held == column


def test_the_funder_decides_last_booking_or_releasing_its_quota(
    service: OriginationService, fresh: list[dict[str, Any]]
) -> None:
    routed = []
    for request in fresh[40:140]:
        a = service.decide(request)
        if a.funder is not None:
            routed.append(a)
        if len(routed) == 2:
            break
    assert len(routed) == 2
    accepted, refused = routed

    def held(application_id: str) -> tuple[Decimal, Decimal, Decimal]:
        with session_scope(service.url) as s:
            o = s.scalar(select(Origination).where(Origination.external_id == application_id))
            assert o is not None and o.funder_amount is not None
            q = s.get(FunderQuotaDay, (o.funder_id, o.funder_day))
            assert q is not None
            return q.reserved, q.booked, o.funder_amount

    r0, b0, amount = held(accepted.application_id)
    assert amount > 0
    assert service.record_funder_decision(accepted.application_id, True) == "accepted"
    r1, b1, _ = held(accepted.application_id)
    assert (r0 - r1, b1 - b0) == (amount, amount)
    assert service.record_funder_decision(accepted.application_id, True) == "accepted"  # no-op
    assert held(accepted.application_id)[:2] == (r1, b1)
    with pytest.raises(InvalidInputError, match="accepted"):
        service.record_funder_decision(accepted.application_id, False)
    r2, b2, amount = held(refused.application_id)
    assert service.record_funder_decision(refused.application_id, False) == "refused"
    r3, b3, _ = held(refused.application_id)
    assert (b3, r2 - r3) == (b2, amount)
    with pytest.raises(NotFoundError):
        service.record_funder_decision("nobody", True)


def test_rejections_flow_back_into_probing_memory(
    service: OriginationService, fresh: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device that cycles identities is rejected, and each rejection is remembered: the
    device's later applications see the earlier rejections."""
    seen: list[Any] = []
    check = service.fraud.check

    def spy(application: Any) -> Any:
        seen.append(check(application))
        return seen[-1]

    monkeypatch.setattr(service.fraud, "check", spy)
    base = fresh[50]
    answers = []
    for n in range(5):
        r = _new_person(base, 100 + n)
        r["device"]["device_id"] = "farm-device-1"
        r["applied_at"] = base["applied_at"][:11] + f"1{n}:00:00+08:00"
        answers.append(service.decide(r))
    assert answers[-1].decision == "reject"
    assert "F03" in [r.code for r in answers[-1].reasons]
    rejected_before = [sum(a.decision == "reject" for a in answers[:i]) for i in range(5)]
    assert [s.signals["dev_rejects_24h"] for s in seen] == rejected_before
    assert rejected_before[-1] > 0


def test_the_same_id_sent_concurrently_is_decided_once(
    service: OriginationService, fresh: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twins racing past the idempotency check: the store's unique partner id lets one win;
    the others get the winner's stored answer and leave nothing of their own. Every twin is
    made to miss the first check, so the race at the write always happens."""
    import threading

    import zhudai.origination.pipeline as pipeline

    seen = threading.local()
    lookup = pipeline._stored_answer

    def racing(conn: Any, application_id: str) -> Any:
        first = not getattr(seen, "looked", False)
        seen.looked = True
        return None if first else lookup(conn, application_id)

    monkeypatch.setattr(pipeline, "_stored_answer", racing)
    request = fresh[60]
    before = _counts(service.url)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(service.decide, [copy.deepcopy(request) for _ in range(4)]))
    assert len({a.decision_id for a in answers}) == 1
    after = _counts(service.url)
    assert after["originations"] == before["originations"] + 1
    assert after["decisions"] == before["decisions"] + 1
    assert after["applications"] == before["applications"] + 1
