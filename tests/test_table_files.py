"""One table reader: Parquet or CSV by suffix, the same errors for every caller."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from zhudai.exceptions import InvalidInputError, MissingFileError, NotFoundError
from zhudai.table_files import read_pandas_table, read_table, table_kind, write_table

FRAME = pl.DataFrame({"application_id": [1, 2, 3], "bad": [0, 1, 0], "amount": [1.5, None, 3.0]})


@pytest.mark.parametrize("name", ["t.csv", "t.parquet", "t.pq", "t.txt", "sub/t.CSV"])
def test_round_trip_in_both_frame_libraries(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_table(FRAME, path)
    assert read_table(path).equals(FRAME)
    pandas = read_pandas_table(path)
    pd.testing.assert_frame_equal(pandas, FRAME.to_pandas(), check_dtype=False)
    write_table(pandas, path)
    assert read_table(path).equals(FRAME)


def test_csv_options_reach_the_csv_reader(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\tNA\n")
    got = read_table(path, separator="\t", infer_schema=False, null_values=["NA"])
    assert got.to_dicts() == [{"a": "1", "b": None}]


def test_a_missing_file_is_both_a_wrong_value_and_a_missing_record(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="^labels: .*none.csv does not exist") as info:
        read_table(tmp_path / "none.csv", "labels")
    assert isinstance(info.value, InvalidInputError) and isinstance(info.value, NotFoundError)
    assert info.value.field == "labels"


def test_an_unknown_suffix_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="^--out: x.json: unknown file kind '.json'"):
        table_kind(tmp_path / "x.json", "--out")
    with pytest.raises(InvalidInputError, match="unknown file kind"):
        write_table(FRAME, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
