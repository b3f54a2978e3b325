"""Loading feature definitions: the default set, the DSL, and one error per kind of mistake."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhudai.exceptions import DefinitionError
from zhudai.features import FeatureSetBuilder, feature_set_from_dict, load_feature_set
from zhudai.features.definitions import Agg, AggregateFeature, RatioFeature
from zhudai.features.dsl import between, flag, hour, isin, weekend


def test_default_set_has_a_few_hundred_unique_features_in_groups() -> None:
    fs = load_feature_set()
    assert 300 <= len(fs.names) == len(set(fs.names))
    groups = fs.groups()
    assert {"orders", "card_txns", "bureau", "demographics"} <= set(groups)
    assert len(groups["orders"]) + len(groups["card_txns"]) >= 250
    used = {f.agg for f in fs.features if isinstance(f, AggregateFeature)}
    assert used == set(Agg)  # every aggregate is exercised by the default set


def test_window_ratios_expand_to_ratio_features() -> None:
    f = load_feature_set().get("orders_sum_amount_30d_over_365d")
    assert isinstance(f, RatioFeature)
    assert (f.numerator, f.denominator) == ("orders_sum_amount_30d", "orders_sum_amount_365d")


def test_subset_keeps_what_ratios_need_in_order() -> None:
    fs = load_feature_set().subset(["card_cash_to_spend_90d"])
    assert fs.names == [
        "card_txns_sum_amount_90d",
        "card_txns_sum_amount_cash_90d",
        "card_cash_to_spend_90d",
    ]


def test_dsl_builds_the_same_set_as_its_yaml(tmp_path: Path) -> None:
    b = FeatureSetBuilder()
    cards = b.table("card_txns", windows=[7, 30])
    cards.filter("weekend_small", weekend(), between("amount", None, 30))
    cards.filter("cash", flag("is_cash_withdrawal"))
    cards.filter("leisure_night", isin("mcc_category", ["gaming"]), hour(22, 6))
    cards.aggregate(
        ["count", "mean"],
        column="amount",
        filters=["all", "weekend_small", "cash", "leisure_night"],
    )
    b.field("male", "customers", "gender", equals="M", group="demographics")
    b.ratio("cash_share_30d", "card_txns_count_cash_30d", "card_txns_count_30d")
    built = b.build()
    path = tmp_path / "defs.yaml"
    path.write_text(b.to_yaml(), encoding="utf-8")
    loaded = load_feature_set(path)
    assert loaded.names == built.names
    assert loaded.features == built.features
    assert len(built.names) == 2 * 4 * 2 + 2


def _base() -> dict[str, Any]:
    return {
        "tables": {
            "orders": {
                "windows": [30, 90],
                "filters": {"night": {"hour": [0, 6]}},
                "aggregates": [
                    {"agg": ["count", "sum"], "column": "amount", "filters": ["all", "night"]}
                ],
            }
        },
        "fields": [{"name": "age", "table": "customers", "column": "age_at_application"}],
        "ratios": [
            {
                "name": "night_share",
                "numerator": "orders_count_night_30d",
                "denominator": "orders_count_30d",
            }
        ],
    }


def _with(path: str, value: Any) -> dict[str, Any]:
    data = _base()
    node = data
    keys = path.split("/")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def test_base_definitions_are_valid() -> None:
    assert len(feature_set_from_dict(_base()).names) == 4 * 2 + 1 + 1


CASES = [
    (
        "unknown column",
        _with("tables/orders/aggregates/0/column", "amout"),
        "orders.aggregates[0]",
        "unknown column 'amout'",
    ),
    (
        "window 0",
        _with("tables/orders/windows", [0, 30]),
        "orders.windows",
        "positive whole number",
    ),
    (
        "negative window",
        _with("tables/orders/aggregates/0/windows", [-7]),
        "orders.aggregates[0]",
        "got -7",
    ),
    ("fractional window", _with("tables/orders/windows", [7.5]), "orders.windows", "got 7.5"),
    (
        "unknown aggregate",
        _with("tables/orders/aggregates/0/agg", "median"),
        "orders.aggregates[0]",
        "unknown aggregate 'median'",
    ),
    (
        "sum over a category",
        _with("tables/orders/aggregates/0/column", "category"),
        "orders.aggregates[0]",
        "needs numeric",
    ),
    (
        "missing column",
        _with("tables/orders/aggregates/0/column", None),
        "orders.aggregates[0]",
        "need a column",
    ),
    (
        "unknown filter",
        _with("tables/orders/aggregates/0/filters", ["all", "nite"]),
        "orders.aggregates[0]",
        "unknown filter 'nite'",
    ),
    (
        "share of all",
        _with("tables/orders/aggregates/0/agg", "share"),
        "orders.aggregates[0]",
        "share needs a filter",
    ),
    (
        "bad hour",
        _with("tables/orders/filters/night", {"hour": [0, 25]}),
        "orders.filters.night",
        "hour takes",
    ),
    (
        "filter on unknown column",
        _with("tables/orders/filters/night", {"column": "colour", "in": ["red"]}),
        "orders.filters.night",
        "unknown column 'colour'",
    ),
    (
        "in on a number",
        _with("tables/orders/filters/night", {"column": "amount", "in": [1]}),
        "orders.filters.night",
        "needs category/id",
    ),
    (
        "empty between",
        _with("tables/orders/filters/night", {"column": "amount", "between": [50, 10]}),
        "orders.filters.night",
        "low < high",
    ),
    ("unknown table", _with("tables/orderz", {"windows": [7]}), "orderz", "unknown event table"),
    (
        "unknown field column",
        _with("fields/0/column", "shoe_size"),
        "age",
        "unknown column 'shoe_size'",
    ),
    (
        "two transforms",
        _with(
            "fields/0",
            {
                "name": "g",
                "table": "customers",
                "column": "gender",
                "equals": "M",
                "categories": ["M"],
            },
        ),
        "g",
        "at most one transform",
    ),
    (
        "ratio to nothing",
        _with("ratios/0/denominator", "orders_count_7d"),
        "night_share",
        "unknown feature 'orders_count_7d'",
    ),
    (
        "duplicate name",
        _with("fields/0/name", "orders_count_30d"),
        "orders_count_30d",
        "defined more than once",
    ),
    (
        "unknown key",
        _with("tables/orders/aggregates/0/windws", [7]),
        "orders.aggregates[0]",
        "unknown key(s) ['windws']",
    ),
]


@pytest.mark.parametrize(
    ("data", "name", "problem"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_definitions_fail_at_load_naming_the_definition(
    data: dict, name: str, problem: str
) -> None:
    with pytest.raises(DefinitionError) as err:
        feature_set_from_dict(data, source="defs.yaml")
    assert err.value.name == name
    assert problem in err.value.problem
    assert str(err.value).startswith(f"defs.yaml: {name}: ")


def test_cyclic_ratios_fail_naming_the_cycle() -> None:
    data = _base()
    data["ratios"] += [
        {"name": "a", "numerator": "b", "denominator": "orders_count_30d"},
        {"name": "b", "numerator": "orders_count_90d", "denominator": "a"},
    ]
    with pytest.raises(DefinitionError, match=r"cyclic ratio: a -> b -> a") as err:
        feature_set_from_dict(data)
    assert err.value.name == "a"
    self_ratio = copy.deepcopy(_base())
    self_ratio["ratios"][0]["numerator"] = "night_share"
    with pytest.raises(DefinitionError, match="cyclic ratio: night_share -> night_share"):
        feature_set_from_dict(self_ratio)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    data = _with("tables/orders/windows", [30, 0])
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"bad\.yaml: orders\.windows: window must be") as err:
        load_feature_set(path)
    assert err.value.source == str(path)
    path.write_text("tables: [unclosed", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_feature_set(path)
    with pytest.raises(DefinitionError, match="cannot read"):
        load_feature_set(tmp_path / "missing.yaml")
