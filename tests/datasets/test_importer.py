"""The generic CSV/Parquet importer: mapping, casting, and errors that name the column."""

from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.datasets.importer import Column, import_table
from zhudai.exceptions import InvalidInputError

CSV = "cust_no,amt,opened,seen,overdue,note\n7,1200.5,2024-03-01,2024-03-01 10:00:00,yes,a\n8,800,2024-03-09,2024-03-09 23:59:59,0,\n"


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "loans.csv"
    path.write_text(CSV)
    return path


MAPPING = {
    "cust_no": Column("customer_id", "int64"),
    "amt": Column("amount", "float64"),
    "opened": Column("booked_on", "date"),
    "seen": Column("seen_at", "datetime"),
    "overdue": Column("bad", "bool"),
}


def test_csv_is_mapped_and_cast(csv_file: Path) -> None:
    df = import_table(csv_file, MAPPING)
    assert df.columns == ["customer_id", "amount", "booked_on", "seen_at", "bad"]
    assert df.schema["customer_id"] == pl.Int64
    assert df.row(0) == (7, 1200.5, date(2024, 3, 1), datetime(2024, 3, 1, 10), True)
    assert df.row(1) == (8, 800.0, date(2024, 3, 9), datetime(2024, 3, 9, 23, 59, 59), False)


def test_plain_names_keep_types_and_unmapped_columns_are_optional(csv_file: Path) -> None:
    df = import_table(csv_file, {"cust_no": "customer_id"}, keep_unmapped=True)
    assert df.columns == ["customer_id", "amt", "opened", "seen", "overdue", "note"]
    assert df["note"].to_list() == ["a", None]
    assert df["customer_id"].to_list() == ["7", "8"]  # kept as read (text)


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pl.DataFrame({"a": [1, 2], "d": [date(2024, 1, 1), None], "s": ["3.5", "4"]}).write_parquet(
        path
    )
    df = import_table(
        path,
        {"a": Column("x", "float64"), "d": Column("when", "date"), "s": Column("y", "float64")},
    )
    assert df["x"].to_list() == [1.0, 2.0]
    assert df["when"].to_list() == [date(2024, 1, 1), None]
    assert df["y"].to_list() == [3.5, 4.0]


def test_custom_date_format_and_optional_column(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("day\n01/02/2024\n")
    df = import_table(
        path,
        {
            "day": Column("d", "date", format="%d/%m/%Y"),
            "zz": Column("extra", "float64", required=False),
        },
    )
    assert df["d"].to_list() == [date(2024, 2, 1)]
    assert df["extra"].to_list() == [None]


def test_german_credit_imports_with_a_mapping() -> None:
    path = Path(str(files("zhudai.datasets").joinpath("german_credit.csv")))
    df = import_table(
        path,
        {
            "duration_in_month": Column("term_months", "int64"),
            "credit_amount": Column("amount", "float64"),
            "age_in_years": Column("age", "int64"),
        },
    )
    assert df.shape == (1000, 3)
    assert df["amount"].sum() == pytest.approx(3271258.0)


def test_missing_column_is_named(csv_file: Path) -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"^amount_cny: column not found in loans.csv \(wanted for 'amount'\)",
    ):
        import_table(csv_file, {"amount_cny": "amount"})


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("x\n1\nabc\n", Column("n", "int64"), r"^x: cannot parse 'abc' at row 2 as an integer"),
        ("x\n1.5\n", Column("n", "int64"), r"^x: cannot parse '1.5' at row 1 as an integer"),
        ("x\n1e30\n", Column("n", "int64"), r"^x: cannot parse '1e30' at row 1 as an integer"),
        ("x\n2024-13-01\n", Column("d", "date"), r"^x: cannot parse '2024-13-01' at row 1 as date"),
        ("x\nmaybe\n", Column("b", "bool"), r"^x: cannot parse 'maybe' at row 1 as a boolean"),
        ("x\n1,5\n", Column("f", "float64"), r"^x: cannot parse"),
    ],
)
def test_unparseable_value_names_column_row_and_value(
    tmp_path: Path, text: str, column: Column, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text.replace("1,5", '"1,5"'))
    with pytest.raises(InvalidInputError, match=message):
        import_table(path, {"x": column})


def test_bad_arguments(tmp_path: Path, csv_file: Path) -> None:
    with pytest.raises(InvalidInputError, match="^path:"):
        import_table(tmp_path / "none.csv", {"a": "b"})
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(InvalidInputError, match="unknown file kind"):
        import_table(tmp_path / "x.xlsx", {"a": "b"})
    with pytest.raises(
        InvalidInputError, match="^columns: several source columns map to \\['id'\\]"
    ):
        import_table(csv_file, {"cust_no": "id", "amt": "id"})
    with pytest.raises(InvalidInputError, match="^columns:"):
        import_table(csv_file, {})
    with pytest.raises(InvalidInputError, match="dtype must be one of"):
        Column("a", "decimal")  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    ints=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=30),
    flags=st.lists(st.booleans(), min_size=1, max_size=30),
)
def test_csv_round_trip_of_ints_and_flags(
    tmp_path_factory: pytest.TempPathFactory, ints: list[int], flags: list[bool]
) -> None:
    n = min(len(ints), len(flags))
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    pl.DataFrame({"i": ints[:n], "b": flags[:n]}).write_csv(path)
    df = import_table(path, {"i": Column("n", "int64"), "b": Column("flag", "bool")})
    assert df["n"].to_list() == ints[:n]
    assert df["flag"].to_list() == flags[:n]


def test_whole_floats_are_integers(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("x\n12.0\n-3\n9223372036854775807\n")
    assert import_table(path, {"x": Column("n", "int64")})["n"].to_list() == [12, -3, 2**63 - 1]
