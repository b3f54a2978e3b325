"""Versions in the store, hot swaps, replay and champion/challenger."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from zhudai.decision.document import ModelRef
from zhudai.decision.loaders import SHIPPED_DIR
from zhudai.decision.replay import replay
from zhudai.decision.service import DecisionService, Experiment, bucket
from zhudai.decision.versions import PolicyStore
from zhudai.exceptions import DefinitionError, InvalidInputError
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord, PolicyStatus

from .conftest import PRIME, applications, make_models

ACARD = (SHIPPED_DIR / "acard_default.yaml").read_text()
FRAGMENTS = ("applicant_checks", "fraud_checks")
# version 2: two recent lenders are already enough for a manual review
ACARD_V2 = ACARD.replace('{multi_lending_30d: "[3, 6)"}', '{multi_lending_30d: "[2, 6)"}')
assert ACARD_V2 != ACARD


class FakeLoader:
    def __init__(self, version: str = "1") -> None:
        self.version = version

    def load(self, ref: ModelRef):
        return make_models(self.version)[ref.name]


@pytest.fixture
def store(db_url: str) -> PolicyStore:
    s = PolicyStore(db_url, model_loader=FakeLoader(), apr_cap=0.24)
    for name in FRAGMENTS:
        s.publish((SHIPPED_DIR / f"{name}.yaml").read_text(), f"{name}.yaml")
        s.activate(name, 1)
    return s


@pytest.fixture
def service(store: PolicyStore) -> DecisionService:
    info = store.publish(ACARD, "acard_default.yaml")
    svc = DecisionService(store)
    svc.activate("acard_default", info.version)
    return svc


def test_publish_activate_rollback(store: PolicyStore) -> None:
    v1 = store.publish(ACARD)
    assert (v1.version, v1.status) == (1, "draft")
    assert store.publish(ACARD).version == 1  # same text: same version
    v2 = store.publish(ACARD_V2)
    assert v2.version == 2
    store.activate("acard_default", 1)
    store.activate("acard_default", 2)
    statuses = {i.version: i.status for i in store.versions("acard_default")}
    assert statuses == {1: "retired", 2: "active"}
    assert store.rollback("acard_default").version == 1
    assert {i.version: i.status for i in store.versions("acard_default")} == {
        1: "active",
        2: "retired",
    }


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (
            ACARD.replace("when: income_monthly <= 0", "when: income_monthly << 0"),
            "operator LShift is not allowed",
        ),
        (
            ACARD.replace("outcome: reject, reason: H05", "outcome: maybe, reason: H05"),
            "Input should be 'reject' or 'review'",
        ),
        (
            ACARD.replace("[0.22, 0.21, 0.20, 0.19, 0.18]", "[0.25, 0.21, 0.20, 0.19, 0.18]"),
            "above the cap",
        ),
        (
            ACARD.replace(
                "expect: {outcome: reject, reasons: [H02]}", "expect: {outcome: approve}"
            ),
            "policy cases fail",
        ),
        ("name: acard_default\nsteps: [", "not valid YAML"),
    ],
)
def test_malformed_publish_leaves_the_active_version_serving(
    service: DecisionService, broken: str, problem: str
) -> None:
    before = service.decide("acard_default", PRIME, persist=False)
    with pytest.raises(DefinitionError, match=problem):
        service.store.publish(broken, "broken.yaml")
    assert [i.version for i in service.store.versions("acard_default")] == [1]
    after = service.decide("acard_default", PRIME, persist=False)
    assert (after.policy_version, after.policy_hash, after.summary()) == (
        1,
        before.policy_hash,
        before.summary(),
    )


def test_activation_that_cannot_compile_changes_nothing(
    service: DecisionService, db_url: str
) -> None:
    from zhudai.store.models import PolicyVersion

    with session_scope(db_url) as s:  # a corrupt row slipped into the table by hand
        s.add(
            PolicyVersion(
                name="acard_default",
                version=9,
                content_hash="x",
                document="name: acard_default\nsteps: []",
                status=PolicyStatus.DRAFT,
            )
        )
    with pytest.raises(DefinitionError):
        service.activate("acard_default", 9)
    assert service.policy("acard_default").version == 1
    assert (
        next(i for i in service.store.versions("acard_default") if i.version == 1).status
        == "active"
    )


def test_hot_swap_under_load(service: DecisionService) -> None:
    v2 = service.store.publish(ACARD_V2)
    seen: set[int | None] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                seen.add(service.decide("acard_default", PRIME, persist=False).policy_version)
            except BaseException as exc:  # noqa: BLE001 - any failure fails the test
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    service.activate("acard_default", v2.version)
    service.rollback("acard_default")
    service.activate("acard_default", v2.version)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert service.policy("acard_default").version == 2
    assert service.decide("acard_default", PRIME, persist=False).policy_version == 2


def test_replay_reproduces_and_shows_differences(
    service: DecisionService, store: PolicyStore
) -> None:
    frame = applications(60, seed=11)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for i, row in enumerate(rows):
        service.decide("acard_default", row, application_id=i)
    report = replay(store)
    assert (report.replayed, report.reproduced, report.diffs) == (60, 60, [])
    v2 = store.publish(ACARD_V2)
    other = replay(store, version=v2.version)
    assert other.replayed == 60 and other.reproduced < 60
    assert {d.field for d in other.diffs} <= {
        "outcome",
        "credit_limit",
        "apr",
        "term_months",
        "reason_codes",
    }
    # a changed model is reported (and decisions may differ) when replaying
    changed = PolicyStore(store.url, model_loader=FakeLoader("2"), apr_cap=0.24)
    assert replay(changed, limit=5).model_mismatches


def test_records_store_tokens_hashes_and_versions(service: DecisionService, db_url: str) -> None:
    d = service.decide("acard_default", PRIME, application_id=7)
    with session_scope(db_url) as s:
        row = s.scalars(
            select(DecisionRecord).where(DecisionRecord.decision_id == d.decision_id)
        ).one()
        assert (row.application_id, row.policy_version, row.policy_hash) == (7, 1, d.policy_hash)
        assert row.customer_token == row.record["inputs"]["id_number_token"]
        assert PRIME["id_number"] not in str(row.record)
        subs = [p.split(":")[0] for p in row.record["policy"]["sub_policies"]]
        assert subs == ["applicant_checks", "fraud_checks"]


def test_bucket_is_deterministic_and_share_is_respected() -> None:
    tokens = [f"customer-{i}" for i in range(20000)]
    first = [bucket(t, "exp") for t in tokens]
    assert first == [bucket(t, "exp") for t in tokens]
    share = sum(b < 0.2 for b in first) / len(tokens)
    assert share == pytest.approx(0.2, abs=0.01)
    assert [bucket(t, "other") for t in tokens[:50]] != first[:50]  # a new salt reshuffles


def test_champion_challenger_split_and_shadow(service: DecisionService, store: PolicyStore) -> None:
    v2 = store.publish(ACARD_V2)
    challenger = store.compiled("acard_default", v2.version)
    service.start_experiment("acard_default", Experiment(challenger, share=0.5, salt="s1"))
    ids = [
        "11010519491231002X",
        "110101199003074477",
        "110101199003078955",
        "440301198507150019",
        "110105198001011233",
    ]
    variants = {}
    for id_number in ids:
        app = {**PRIME, "id_number": id_number}
        d = service.decide("acard_default", app, persist=False)
        variants[id_number] = d.variant
        assert service.decide("acard_default", app, persist=False).variant == d.variant  # sticky
        assert (d.policy_version == 2) == (d.variant == "challenger")
        assert (d.variant == "challenger") == (bucket(d.customer_token, "s1") < 0.5)
    service.start_experiment("acard_default", Experiment(challenger, mode="shadow"))
    d = service.decide("acard_default", PRIME)
    with session_scope(store.url) as s:
        record = (
            s.scalars(select(DecisionRecord).where(DecisionRecord.decision_id == d.decision_id))
            .one()
            .record
        )
    assert d.variant == "champion" and record["shadow"]["policy"]["version"] == 2
    with pytest.raises(InvalidInputError, match="share"):
        Experiment(challenger, share=1.5)


def test_refresh_picks_up_an_activation_from_another_process(
    service: DecisionService, db_url: str
) -> None:
    other = PolicyStore(db_url, apr_cap=0.24)  # e.g. `zhudai policy activate` elsewhere
    v2 = other.publish(ACARD_V2)
    other.activate("acard_default", v2.version)
    assert (
        service.decide("acard_default", PRIME, persist=False).policy_version == 1
    )  # until refreshed
    assert service.refresh() == ["acard_default@2"]
    assert service.decide("acard_default", PRIME, persist=False).policy_version == 2
    assert service.refresh() == []


class _AuditDown(RuntimeError):
    pass


def _failing_audit(conn: object, info: object) -> None:
    raise _AuditDown("the audit log cannot be written")


def test_a_change_whose_audit_entry_fails_is_not_made(store: PolicyStore) -> None:
    """The audit hook runs in the change's own transaction: no entry, no change."""
    with pytest.raises(_AuditDown):
        store.publish(ACARD, audit=_failing_audit)
    assert store.versions("acard_default") == []
    seen: list[tuple[str, int, str]] = []
    store.publish(
        ACARD, audit=lambda conn, info: seen.append((info.name, info.version, info.status))
    )
    assert seen == [("acard_default", 1, "draft")]
    with pytest.raises(_AuditDown):
        store.activate("acard_default", 1, audit=_failing_audit)
    assert [i.status for i in store.versions("acard_default")] == ["draft"]
