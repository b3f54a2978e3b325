"""ProvidersConfig: per-provider defaults, field-by-field overrides, errors that name the field."""

from __future__ import annotations

import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.providers import PROVIDER_DEFAULTS, ProvidersConfig, load_providers_config


def test_defaults_per_provider():
    cfg = load_providers_config()
    assert list(cfg.providers()) == [
        "bureau",
        "multi_lending",
        "ecommerce",
        "card",
        "telecom",
        "ip_geo",
    ]
    for name, defaults in PROVIDER_DEFAULTS.items():
        s = cfg.providers()[name]
        assert {k: getattr(s, k) for k in defaults} == defaults
        assert (s.latency_ms, s.failure_rate) == (0.0, 0.0)  # simulation: instant and reliable
    assert cfg.bureau.timeout_ms >= 2000  # a real pull can take seconds


def test_a_partial_setting_keeps_that_providers_other_defaults():
    cfg = load_providers_config({"bureau": {"retries": 3}, "ip_geo": {"latency_ms": 2}})
    assert cfg.bureau.retries == 3
    assert cfg.bureau.cost_per_call == PROVIDER_DEFAULTS["bureau"]["cost_per_call"]
    assert cfg.bureau.timeout_ms == PROVIDER_DEFAULTS["bureau"]["timeout_ms"]
    assert cfg.ip_geo.latency_ms == 2 and cfg.telecom == ProvidersConfig().telecom


def test_yaml_file(tmp_path):
    path = tmp_path / "providers.yaml"
    path.write_text(
        "bureau:\n  timeout_ms: 2500\n  failure_rate: 0.05\ntelecom:\n  cost_per_call: 0.25\n"
    )
    cfg = load_providers_config(path)
    assert (cfg.bureau.timeout_ms, cfg.bureau.failure_rate, cfg.telecom.cost_per_call) == (
        2500,
        0.05,
        0.25,
    )
    assert load_providers_config(str(path)) == cfg
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_providers_config(empty) == ProvidersConfig()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bureau": {"timeout_ms": 0}}, "bureau.timeout_ms"),
        ({"bureau": {"cost_per_call": -0.5}}, "bureau.cost_per_call"),
        ({"telecom": {"retries": -1}}, "telecom.retries"),
        ({"telecom": {"retries": 1.5}}, "telecom.retries"),
        ({"card": {"failure_rate": 1.2}}, "card.failure_rate"),
        ({"ecommerce": {"latency_ms": -1}}, "ecommerce.latency_ms"),
        ({"ip_geo": {"cache_ttl_s": "soon"}}, "ip_geo.cache_ttl_s"),
        ({"bureau": {"timeout": 100}}, "bureau.timeout"),
        ({"credit_bureau": {}}, "credit_bureau"),
        ({"multi_lending": 3}, "multi_lending"),
    ],
)
def test_config_errors_name_the_field(data, field):
    with pytest.raises(InvalidInputError) as err:
        load_providers_config(data)
    assert err.value.field == field


def test_bad_sources_are_named(tmp_path):
    with pytest.raises(InvalidInputError) as err:
        load_providers_config(tmp_path / "missing.yaml")
    assert err.value.field == "path"
    bad = tmp_path / "bad.yaml"
    bad.write_text("bureau: [unclosed\n")
    with pytest.raises(InvalidInputError) as err:
        load_providers_config(bad)
    assert err.value.field == "path"
    listed = tmp_path / "list.yaml"
    listed.write_text("- bureau\n")
    with pytest.raises(InvalidInputError) as err:
        load_providers_config(listed)
    assert err.value.field == "providers"


def test_with_all_and_immutability():
    cfg = ProvidersConfig().with_all(latency_ms=3.0)
    assert all(s.latency_ms == 3.0 for s in cfg.providers().values())
    assert cfg.bureau.cost_per_call == PROVIDER_DEFAULTS["bureau"]["cost_per_call"]
    with pytest.raises(ValueError):
        cfg.bureau.retries = 5  # type: ignore[misc]
