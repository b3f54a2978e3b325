"""Varied transcripts (realistic and hard worlds): all seven violation types in many
phrasings, innocent look-alikes in clean calls, ASR homophone typos; off-hours only at night."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from zhudai.world import WorldParams
from zhudai.world.transcripts import VIOLATIONS


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory, keyed_env) -> pl.DataFrame:
    from tests.world.conftest import make_world

    params = WorldParams.at_difficulty("realistic", violation_share=0.3)
    world = make_world(keyed_env, tmp_path_factory.mktemp("varied"), 2500, 31, params=params)
    return pl.read_parquet(world / "call_transcripts.parquet").join(
        pl.read_parquet(world / "truth" / "transcripts.parquet"), on="call_id"
    )


def test_difficulty_switches_varied_transcripts_on_above_easy() -> None:
    assert not WorldParams.at_difficulty("easy").varied_transcripts
    assert WorldParams.at_difficulty("realistic").varied_transcripts
    assert not WorldParams.at_difficulty("hard", varied_transcripts=False).varied_transcripts


def test_every_type_appears_in_many_phrasings(calls: pl.DataFrame) -> None:
    assert set(calls["violation"].unique()) == set(VIOLATIONS)
    for kind in ("abuse", "threat", "false_legal_threat", "impersonation", "contact_book_threat"):
        texts = calls.filter(pl.col("violation") == kind)["text"].to_list()
        # the violation is the collector line that no clean call holds
        clean = set(
            "\n".join(calls.filter(pl.col("violation") == "none")["text"].to_list()).split("\n")
        )
        bad = {line for t in texts for line in t.split("\n") if line not in clean}
        assert len(bad) >= 0.6 * len(texts) >= 20, kind


def test_clean_calls_use_violation_words_innocently_and_asr_typos_occur(
    calls: pl.DataFrame,
) -> None:
    clean = calls.filter(pl.col("violation") == "none")["text"]
    assert clean.str.contains("不会上门").any() and clean.str.contains("不会坐牢").any()
    assert clean.str.contains("征信黑名单").any()  # quoted rumour
    every = calls["text"]
    assert every.str.contains("做牢|于期|井车|黑明单|传漂").any()


def test_off_hours_calls_are_exactly_the_night_calls(calls: pl.DataFrame) -> None:
    hour = calls["started_at"].dt.hour()
    night = (hour >= 22) | (hour < 8)
    assert (night == (calls["violation"] == "off_hours")).all()


def test_plain_world_keeps_the_five_labels(
    tmp_path: Path, world_factory: Callable[..., Path]
) -> None:
    d = world_factory(tmp_path, 400, 3)
    labels = set(pl.read_parquet(d / "truth" / "transcripts.parquet")["violation"].unique())
    assert labels <= set(VIOLATIONS[:5])
