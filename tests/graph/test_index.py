"""The live index on a small hand-drawn graph: every number below is counted by hand.

app  day  device ip  id  phone contacts  address
1    0    D1     I1  A   P1    P9
2    1    D1     I1  B   P2    P9               shares D1, I1, P9 with 1: strong tie
3    2    D2     I1  C   P3                     shares only I1 with 1 and 2
4    50   D1     I2  D         P9        X      shares D1, P9 with 1, 2, but 49 days later
5    3    D5         E   P5    P1               lists 1's own phone
6    4    D6         F                   Y      alone
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.graph.conftest import T0, record
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.graph import APPLICANT_FEATURES, GraphConfig, GraphIndex, LiveRingScorer

RECORDS = [
    record(
        1, 0, device_id="D1", ip="I1", id_token="A", phone_token="P1", contact_phone_tokens=["P9"]
    ),
    record(
        2, 1, device_id="D1", ip="I1", id_token="B", phone_token="P2", contact_phone_tokens=["P9"]
    ),
    record(3, 2, device_id="D2", ip="I1", id_token="C", phone_token="P3"),
    record(
        4, 50, device_id="D1", ip="I2", id_token="D", address_id="X", contact_phone_tokens=["P9"]
    ),
    record(5, 3, device_id="D5", id_token="E", phone_token="P5", contact_phone_tokens=["P1"]),
    record(6, 4, device_id="D6", id_token="F", address_id="Y"),
]
ARRIVAL = sorted(RECORDS, key=lambda r: r["applied_at"])


@pytest.fixture
def index() -> GraphIndex:
    idx = GraphIndex()
    for r in ARRIVAL:
        idx.add_application(r)
    return idx


def test_components_join_everything_connected(index: GraphIndex) -> None:
    assert len({index.component_of(a) for a in (1, 2, 3, 4, 5)}) == 1
    assert index.component_of(6) != index.component_of(1)
    assert index.component_of(3) == 1  # named after the earliest member
    f = index.applicant_features(3)
    assert (f["component_size"], f["component_ids"]) == (5.0, 5.0)


def test_clusters_need_two_shared_values_within_the_window(index: GraphIndex) -> None:
    assert index.cluster_of(2) == index.cluster_of(1) == 1
    for app in (3, 4, 5, 6):
        assert index.cluster_of(app) == app
    counts = index.cluster_counts(1)
    assert counts["n_apps"] == 2 and counts["n_ids"] == 2 and counts["n_devices"] == 1
    assert counts["n_ties"] == 1 and counts["tie_values"] == 3
    assert counts["tie_spaces"] == 0b111  # device, ip, phone
    f = index.applicant_features(1)
    assert f["strong_ties"] == 1.0 and f["cluster_density"] == 1.0
    assert f["cluster_span_days"] == pytest.approx(1.0)


def test_degree_per_attribute_type(index: GraphIndex) -> None:
    f = index.applicant_features(1)
    assert f["shared_device_count"] == 2.0  # D1: apps 2, 4
    assert f["shared_ip_count"] == 2.0  # I1: apps 2, 3
    assert f["shared_phone_count"] == 1.0  # P1 listed by app 5
    assert f["shared_contact_count"] == 2.0  # P9 also listed by 2, 4
    assert f["shared_id_count"] == f["shared_card_count"] == 0.0
    assert f["shared_types"] == 4.0


def test_k_hop_neighbourhoods_and_exposure(index: GraphIndex) -> None:
    index.record_outcome(2, rejected=True)
    index.record_outcome(5, rejected=True)
    index.record_outcome(4, rejected=False, bad=True)
    assert index.neighbours(3, hops=1) == {1, 2}
    assert index.neighbours(3, hops=2) == {1, 2, 4, 5}
    f = index.applicant_features(3)
    assert (f["neighbors_1hop"], f["neighbors_2hop"]) == (2.0, 4.0)
    assert (f["rejected_1hop"], f["rejected_2hop"]) == (1.0, 2.0)
    assert (f["bad_1hop"], f["bad_2hop"]) == (0.0, 1.0)
    g = index.applicant_features(6)
    assert g["neighbors_1hop"] == g["neighbors_2hop"] == g["rejected_2hop"] == 0.0


def test_features_at_arrival_see_only_the_past() -> None:
    idx = GraphIndex()
    first = idx.score_application(ARRIVAL[0])
    assert first["component_size"] == 1.0 and first["shared_device_count"] == 0.0
    second = idx.score_application(ARRIVAL[1])
    assert second["cluster_size"] == 2.0 and second["shared_device_count"] == 1.0
    assert set(second) == set(APPLICANT_FEATURES)


def test_outcomes_can_be_corrected(index: GraphIndex) -> None:
    index.record_outcome(2, rejected=True)
    index.record_outcome(2, rejected=False)
    counts = index.cluster_counts(1)
    assert (counts["n_known"], counts["n_rejected"]) == (1, 0)
    index.record_outcome(1, bad=True)
    index.record_outcome(1, bad=False)
    assert index.cluster_counts(2)["n_bad"] == 0


def test_link_cap_stops_a_popular_value_from_joining_more() -> None:
    idx = GraphIndex(GraphConfig(link_cap=2))
    for i in range(4):
        idx.add_application(record(i, i, ip="cafe"))
    assert idx.component_of(1) == idx.component_of(0)
    assert idx.component_of(2) == 2 and idx.component_of(3) == 3
    # the degree still counts everyone on the value
    assert idx.applicant_features(3)["shared_ip_count"] == 3.0


def test_refresh_assigns_communities_and_new_arrivals_inherit() -> None:
    idx = GraphIndex()
    for r in ARRIVAL[:-1]:
        idx.add_application(r)
    assert idx.applicant_features(1)["community_id"] == -1.0
    assert idx.refresh_communities() >= 1
    f1 = idx.applicant_features(1)
    assert f1["community_id"] >= 0 and f1["community_size"] >= 2
    idx.add_application(record(7, 60, device_id="D2", ip="I1"))
    assert idx.applicant_features(7)["community_id"] in {
        idx.applicant_features(a)["community_id"] for a in (1, 2, 3)
    }


def test_bad_input_is_named() -> None:
    idx = GraphIndex()
    idx.add_application(record(1, 0))
    with pytest.raises(InvalidInputError, match="application_id"):
        idx.add_application(record(1, 1))
    with pytest.raises(InvalidInputError, match="application_id"):
        idx.add_application({"applied_at": datetime(2025, 1, 1)})
    with pytest.raises(InvalidInputError, match="applied_at"):
        idx.add_application({"application_id": 2, "applied_at": "yesterday"})
    with pytest.raises(NotFoundError, match="application_id"):
        idx.applicant_features(99)


def test_adapter_feeds_registrations_and_refreshes_on_schedule() -> None:
    """The fraud engine's adapter adds registrations up to each application's time, and
    ``maintain`` re-detects communities once ``refresh_days`` of event time have passed."""
    registrations = [
        record(-1, 0, device_id="D1", ip="I1", id_token="A", contact_phone_tokens=["P9"]),
        record(-2, 1, device_id="D1", ip="I1", id_token="B", contact_phone_tokens=["P9"]),
        record(-3, 40, device_id="D9", id_token="Z"),
    ]
    scorer = LiveRingScorer(GraphIndex(), registrations, refresh_days=30)
    view = scorer.observe(
        record(7, 2, device_id="D1", ip="I1", id_token="C", contact_phone_tokens=["P9"])
    )
    assert len(scorer.index) == 3  # two registrations, then the application
    assert view.size == 3 and view.community == "-1"  # tied to both sign-ups, named by the first
    assert view.features["community_id"] == -1.0
    scorer.maintain(2 * 86_400.0)
    scorer.maintain(10 * 86_400.0)  # too soon: no refresh
    assert scorer.index.applicant_features(7)["community_id"] == -1.0
    scorer.maintain(40 * 86_400.0)
    assert scorer.index.applicant_features(7)["community_id"] >= 0


def test_maintain_ingests_registrations_outside_the_check() -> None:
    """Registrations up to ``at`` are added by ``maintain``, so the applicant's own check only
    adds the application; the resulting view equals the catch-up inside ``observe``."""
    registrations = [
        record(-1, 0, device_id="D1", ip="I1", id_token="A"),
        record(-2, 1, device_id="D1", ip="I1", id_token="B"),
        record(-3, 5, device_id="D9", id_token="Z"),
    ]
    application = record(7, 2, device_id="D1", ip="I1", id_token="C")
    lazy = LiveRingScorer(GraphIndex(), registrations).observe(application)
    eager = LiveRingScorer(GraphIndex(), registrations)
    eager.maintain((T0 - datetime(1970, 1, 1)).total_seconds() + 2 * 86_400.0)
    assert len(eager.index) == 2  # both sign-ups up to day 2, not the one of day 5
    view = eager.observe(application)
    assert len(eager.index) == 3
    assert (view.score, view.size, view.community) == (lazy.score, lazy.size, lazy.community)
    assert view.features == lazy.features


def test_late_arrivals_end_in_the_same_graph(index: GraphIndex) -> None:
    shuffled = GraphIndex()
    for r in reversed(ARRIVAL):
        shuffled.add_application(r)
    for app in (1, 2, 3, 4, 5, 6):
        got, want = shuffled.applicant_features(app), index.applicant_features(app)
        assert {k: got[k] for k in got if k != "community_id"} == pytest.approx(
            {k: want[k] for k in want if k != "community_id"}
        ), app
        assert shuffled.cluster_counts(app)["n_ties"] == index.cluster_counts(app)["n_ties"]


def test_a_resent_application_is_counted_once() -> None:
    scorer = LiveRingScorer(GraphIndex())
    first = scorer.observe(ARRIVAL[0])
    again = scorer.observe(ARRIVAL[0])
    assert len(scorer.index) == 1 and first == again
