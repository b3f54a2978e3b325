"""IP-to-region tables in the providers' shapes, distances, travel, and black/grey lists."""

from __future__ import annotations

import json

import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.fraud.geo import (
    Gazetteer,
    IpRangeTable,
    IpRegion,
    IpRegionDatabase,
    TravelTracker,
    haversine_km,
    ip_to_int,
)
from zhudai.fraud.lists import FraudLists, KeyType, ListKind, mask_key


@pytest.fixture
def generated_table(tmp_path):
    """A generated ip2region-style table: three /16 blocks in three cities."""
    path = tmp_path / "ip2region.txt"
    path.write_text(
        "36.112.0.0|36.112.255.255|中国|0|北京|北京|电信\n"
        "58.32.0.0|58.32.255.255|中国|0|上海|上海|联通\n"
        "\n"
        "115.236.0.0|115.236.255.255|中国|0|浙江|杭州|电信\n",
        encoding="utf-8",
    )
    return path


def test_ip2region_table_lookup(generated_table):
    table = IpRangeTable.from_ip2region_txt(generated_table)
    assert isinstance(table, IpRegionDatabase) and len(table) == 3
    assert table.lookup("58.32.7.9") == IpRegion("中国", "上海", "上海")
    assert table.lookup("115.236.255.255").city == "杭州"
    assert table.lookup("115.237.0.0") is None
    assert table.lookup("1.1.1.1") is None


def test_plain_csv_and_maxmind_csv(tmp_path):
    plain = tmp_path / "ranges.csv"
    plain.write_text(
        "start_ip,end_ip,province,city\n10.0.0.0,10.0.0.255,广东,深圳\n", encoding="utf-8"
    )
    assert IpRangeTable.from_csv(plain).lookup("10.0.0.77").city == "深圳"
    blocks = tmp_path / "GeoLite2-City-Blocks-IPv4.csv"
    blocks.write_text(
        "network,geoname_id,registered_country_geoname_id\n1.2.4.0/22,1808926,1814991\n"
    )
    locations = tmp_path / "GeoLite2-City-Locations-zh-CN.csv"
    locations.write_text(
        "geoname_id,country_name,subdivision_1_name,city_name\n1808926,中国,浙江省,杭州\n",
        encoding="utf-8",
    )
    table = IpRangeTable.from_maxmind_csv(blocks, locations)
    assert table.lookup("1.2.7.255").city == "杭州" and table.lookup("1.2.8.0") is None


def test_overlapping_ranges_and_bad_ips_are_refused():
    r = IpRegion("中国", "北京", "北京")
    with pytest.raises(InvalidInputError, match="overlap"):
        IpRangeTable([(0, 10, r), (5, 20, r)])
    for bad in ("1.2.3", "1.2.3.256", "a.b.c.d"):
        with pytest.raises(InvalidInputError, match="ip"):
            ip_to_int(bad)


def test_haversine_and_gazetteer():
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, rel=1e-4)
    assert haversine_km(30, 120, 30, 120) == 0
    gaz = Gazetteer.default()
    assert "杭州" in gaz and len(gaz._cities) >= 30
    assert gaz.city_distance_km("北京", "上海") == pytest.approx(1071, rel=0.01)
    assert gaz.distance_km("不存在", 30, 120) is None


def test_travel_tracker_handles_late_positions():
    t = TravelTracker()
    assert t.speed_kmh("p", 0.0, 39.92, 116.44) == (0.0, 0.0)
    km, kmh = t.speed_kmh("p", 3600.0, 31.22, 121.54)  # Beijing -> Shanghai in an hour
    assert km == pytest.approx(1071, rel=0.01) and kmh == pytest.approx(km)
    km, _ = t.speed_kmh("p", 1800.0, 39.92, 116.44)  # late: compared with the 0 s position
    assert km == pytest.approx(0.0, abs=0.01)


def test_list_expiry_kinds_and_explanations(tmp_path):
    lists = FraudLists()
    lists.add(
        "grey", "ip", "36.112.7.21", source="velocity", reason="burst", since=100.0, until=200.0
    )
    lists.add(ListKind.BLACK, KeyType.DEVICE, "d-1", source="analyst", reason="farm", since=0.0)
    hits = lists.hits({"ip": "36.112.7.21", "device": "d-1", "phone": None}, at=150.0)
    assert [h.kind for h in hits] == [ListKind.BLACK, ListKind.GREY]  # black first
    assert hits[1].key_masked == "ip:36.112.7.*" and "velocity: burst" in hits[1].explain()
    assert lists.hits({"ip": "36.112.7.21"}, at=99.0) == []
    assert lists.hits({"ip": "36.112.7.21"}, at=200.0) == []
    saved = lists.save(tmp_path / "lists.json")
    again = FraudLists.load(saved)
    assert len(again) == 2 and again.is_listed(KeyType.DEVICE, "d-1", 1e9, ListKind.BLACK)
    assert "36.112.7.21" in saved.read_text() and json.loads(saved.read_text())[0]["until"] == 200.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "white"}, "kind"),
        ({"key_type": "email"}, "key_type"),
        ({"key": ""}, "key"),
        ({"key_type": "phone", "key": "13812341234"}, "key"),  # plaintext phone refused
        ({"until": 5.0}, "until"),
    ],
)
def test_list_params(kwargs, field):
    args = {
        "kind": "black",
        "key_type": "device",
        "key": "d",
        "source": "s",
        "reason": "r",
        "since": 10.0,
    }
    args.update(kwargs)
    kind, key_type, key = args.pop("kind"), args.pop("key_type"), args.pop("key")
    with pytest.raises(InvalidInputError, match=field):
        FraudLists().add(kind, key_type, key, **args)


def test_mask_key_hides_tokens():
    assert mask_key(KeyType.CARD, "ab" * 16) == "card:abababab…"
