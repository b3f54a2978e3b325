"""``zhudai callqa inspect FILE.jsonl``: the contract's lines, bad lines answered, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zhudai.callqa.cli import app

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "calls.jsonl"
TYPES = {
    "abuse",
    "threat",
    "false_legal_threat",
    "impersonation",
    "third_party_disclosure",
    "contact_book_threat",
    "off_hours",
}


def _run(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(app, ["inspect", *args])
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def test_example_file_answers_one_line_per_call_in_the_contracts_form() -> None:
    code, lines = _run(str(EXAMPLE))
    assert code == 1  # two bad lines
    assert [line["call_id"] for line in lines] == ["K1", "K2", "K3", "K4", "K5", "B1", "B2"]
    by_id = {line["call_id"]: line for line in lines}
    assert by_id["K1"] == {"call_id": "K1", "flags": [], "score": 0.0}
    types = {k: {f["type"] for f in v.get("flags", [])} for k, v in by_id.items()}
    assert types["K2"] == {"false_legal_threat"}
    assert types["K3"] == {"third_party_disclosure"}
    assert types["K4"] == {"off_hours"}
    assert types["K5"] == {"impersonation", "contact_book_threat"}
    text = {json.loads(raw)["call_id"]: json.loads(raw)["text"] for raw in EXAMPLE.open()}
    for line in lines[:5]:
        for flag in line["flags"]:
            assert set(flag) == {"type", "severity", "start", "end", "evidence"}
            assert flag["type"] in TYPES
            if flag["end"] > flag["start"]:
                assert text[line["call_id"]][flag["start"] : flag["end"]] == flag["evidence"]
    assert by_id["B1"]["error"]["field"] == "started_at"
    assert by_id["B2"]["error"]["field"] == "debtor_tz"


def test_bad_json_and_missing_fields_do_not_stop_the_other_lines(tmp_path: Path) -> None:
    good = {
        "call_id": "G",
        "started_at": "2026-06-01T12:00:00+08:00",
        "debtor_tz": "Asia/Shanghai",
        "text": "催收员：你这个老赖。",
    }
    f = tmp_path / "calls.jsonl"
    f.write_text(
        "\ufeff"
        + "{not json\n"
        + json.dumps({"call_id": "M"})
        + "\n[1]\n"
        + json.dumps(good, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    code, lines = _run(str(f))
    assert code == 1
    assert lines[0]["error"]["field"] == "line" and "line 1" in lines[0]["error"]["message"]
    assert lines[1] == {
        "call_id": "M",
        "error": {"field": "started_at", "message": "Field required"},
    }
    assert lines[2]["error"]["field"] == "line"
    assert lines[3]["flags"][0]["type"] == "abuse"


def test_all_good_lines_exit_zero_and_explain_adds_rules(tmp_path: Path) -> None:
    f = tmp_path / "calls.jsonl"
    f.write_text(
        json.dumps(
            {
                "call_id": "G",
                "started_at": "2026-06-01T12:00:00+08:00",
                "debtor_tz": "Asia/Shanghai",
                "text": "催收员：要让你做牢。",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    code, lines = _run(str(f), "--explain")
    assert code == 0
    (flag,) = lines[0]["flags"]
    assert flag["rule"] == "lexicon:false_legal_jail:homophone" and "坐牢" in flag["explanation"]
