"""Drift planted in the world: the macro-shock month and the channel-mix shift."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from zhudai.world import WorldParams
from zhudai.world.shock_params import ChannelShift, MacroShock

SOCIAL_ADS = 6  # channel_id of social_ads (catalogue order, 1-based)


def _apps(d: Path) -> pl.DataFrame:
    truth = pl.read_parquet(d / "truth" / "applications.parquet")
    return (
        pl.read_parquet(d / "applications.parquet")
        .join(truth, on="application_id")
        .with_columns(pl.col("applied_at").dt.month().alias("month"))
    )


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory, keyed_env) -> tuple[Path, Path]:
    from tests.world.conftest import make_world

    base = tmp_path_factory.mktemp("drift")
    params = WorldParams(
        macro_shock=MacroShock(month=6), channel_shift=ChannelShift(start=date(2024, 9, 1))
    )
    return (
        make_world(keyed_env, base / "plain", 3000, 3, months=1),
        make_world(keyed_env, base / "shocked", 3000, 3, months=1, params=params),
    )


def test_channel_shift_moves_the_mix_from_its_date_only(worlds):
    plain, shocked = (_apps(d) for d in worlds)
    share = {
        name: a.group_by(pl.col("month") >= 9).agg(pl.col("channel_id").eq(SOCIAL_ADS).mean())
        for name, a in (("plain", plain), ("shocked", shocked))
    }
    before = {n: s.filter(~pl.col("month"))["channel_id"][0] for n, s in share.items()}
    after = {n: s.filter(pl.col("month"))["channel_id"][0] for n, s in share.items()}
    assert before["shocked"] == pytest.approx(before["plain"], abs=0.02)
    # 30% of legitimate applicants move: about 0.15 + 0.3 * 0.85 ~ 0.4
    assert after["plain"] < 0.2 and 0.33 < after["shocked"] < 0.5


def test_macro_shock_month_has_more_applicants_lower_incomes_and_higher_risk(worlds):
    plain_dir, shocked_dir = worlds
    plain, shocked = _apps(plain_dir), _apps(shocked_dir)
    june = {n: a.filter(pl.col("month") == 6) for n, a in (("p", plain), ("s", shocked))}
    assert june["s"].height > 1.3 * june["p"].height  # demand brought forward
    assert june["s"]["true_pd"].mean() > 1.5 * june["p"]["true_pd"].mean()
    may = {
        n: a.filter(pl.col("month") == 5)["true_pd"].mean()
        for n, a in (("p", plain), ("s", shocked))
    }
    assert may["s"] == pytest.approx(may["p"], rel=0.05)  # other months keep their risk
    spend = {
        n: pl.read_parquet(d / "orders.parquet")
        .filter(pl.col("ts").dt.month() == 6)["amount"]
        .mean()
        for n, d in (("p", plain_dir), ("s", shocked_dir))
    }
    assert spend["s"] < 0.85 * spend["p"]  # mean order amount in June


def test_declared_income_of_exposed_june_applicants_drops_by_the_shock():
    """Same seed: an exposed customer who first applied in June declares 35% less."""
    import numpy as np

    from zhudai.world.population import build_population
    from zhudai.world.shocks import exposed, month_bounds, shock_population

    params = WorldParams()
    shock = MacroShock(month=6, pulled_forward=0.0)
    pop = build_population(np.random.default_rng(1), 2000, params)
    before = pop.income_declared.copy()
    shock_population(np.random.default_rng(2), pop, params.start, shock, None)
    lo, hi = month_bounds(params.start, 6)
    hit = exposed(pop, shock) & (pop.applied_at >= lo) & (pop.applied_at < hi)
    assert hit.sum() > 50
    assert pop.income_declared[hit] == pytest.approx(np.round(before[hit] * 0.65, -2))
    assert (pop.income_declared[~hit] == before[~hit]).all()


def test_shock_parameters_are_validated_by_name():
    with pytest.raises(ValidationError, match="occupations"):
        MacroShock(month=3, occupations=("astronaut",))
    with pytest.raises(ValidationError, match="channel"):
        ChannelShift(start=date(2024, 1, 1), channel="tv")
    with pytest.raises(ValidationError, match="month"):
        MacroShock(month=0)


def test_default_manifest_has_no_shock_keys(tmp_path: Path, world_factory: Callable[..., Path]):
    import json

    d = world_factory(tmp_path, 50, 1, months=1)
    params = json.loads((d / "world.json").read_text())["params"]
    assert "macro_shock" not in params and "channel_shift" not in params


def test_cli_takes_world_parameters_as_json(tmp_path: Path):
    import json

    from typer.testing import CliRunner

    from zhudai.world.cli import app

    out = tmp_path / "w"
    args = ["generate", "--customers", "60", "--seed", "2", "--months", "1", "--out", str(out)]
    done = CliRunner().invoke(app, [*args, "--params", '{"macro_shock": {"month": 3}}'])
    assert done.exit_code == 0, done.output
    params = json.loads((out / "world.json").read_text())["params"]
    assert params["macro_shock"]["month"] == 3 and "channel_shift" not in params
    bad = CliRunner().invoke(
        app, [*args, "--params", '{"channel_shift": {"start": "2024-01-01", "channel": "tv"}}']
    )
    assert bad.exit_code != 0 and "channel_shift.channel" in str(bad.exception)
