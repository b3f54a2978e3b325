"""``zhudai collections guard FILE.jsonl``: the contract for outside checks, as a user runs it."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.collections.conftest import PHONE, action
from zhudai.collections import ComplianceGuard, load_rules
from zhudai.collections.cli import guard_lines

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "collection-actions.jsonl"
DOC = Path(__file__).parents[2] / "docs" / "collections.md"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from zhudai.cli import main; main()", "collections", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def judged(text: str, rules: Path | None = None) -> list[dict[str, object]]:
    out = io.StringIO()
    guard_lines(io.StringIO(text), out, ComplianceGuard(load_rules(rules)))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_documented_example_prints_one_line_per_action_and_exits_1() -> None:
    done = run("guard", str(EXAMPLE))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [list(line) for line in lines] == [["action_id", "allowed", "rule", "reason"]] * 13
    assert [(line["action_id"], line["rule"]) for line in lines] == [
        ("C1", None), ("C2", None), ("C3", None), ("C4", "effective_call_limit"), ("C5", None),
        ("C6", None), ("N1", "quiet_hours"), ("N2", None), ("T1", "third_party_unreachable"),
        ("T2", None), ("V1", "visit_two_collectors"), ("B1", "invalid_input"),
        ("B2", "invalid_input"),
    ]  # fmt: skip
    assert all(line["allowed"] is (line["rule"] is None) for line in lines)
    assert lines[11]["reason"].startswith("line 12: at: must carry a UTC offset")
    assert lines[12]["reason"].startswith("line 13: debtor_tz: must be an IANA time zone")
    assert done.stderr.strip() == (
        "judged 13 actions: allowed 7, effective_call_limit 1, invalid_input 2, quiet_hours 1, "
        "third_party_unreachable 1, visit_two_collectors 1"
    )
    assert not re.search(r"\d{7}", done.stdout)  # no phone number, whole or in part


def test_the_documented_output_is_the_commands() -> None:
    block = DOC.read_text(encoding="utf-8").split("<!-- guard-example-output -->")[1]
    shown = block.split("```")[1].removeprefix("json\n").strip()
    assert shown == run("guard", str(EXAMPLE)).stdout.strip()


def test_all_valid_lines_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    text = json.dumps(action(1)) + "\n\n" + json.dumps(action(2, kind="sms")) + "\n"
    path.write_text(text, encoding="utf-8-sig")  # with a byte-order mark
    done = run("guard", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "judged 2 actions: allowed 2"


def test_bad_lines_are_answered_in_place_and_do_not_count() -> None:
    lines = [
        json.dumps(action(1)),
        "{not json",
        "[1, 2]",
        json.dumps(action(4, effective=True, answered=False)),
        json.dumps({**action(5), "action_id": 5}),
        json.dumps(action(6)),
    ]
    answers = judged("\n".join(lines) + "\n")
    assert [a["rule"] for a in answers] == [None, *["invalid_input"] * 4, None]
    assert [a["action_id"] for a in answers] == ["A1", None, None, "A4", None, "A6"]
    assert answers[1]["reason"].startswith("line 2: json: not valid JSON")
    assert answers[2]["reason"] == "line 3: json: must be a JSON object"
    assert answers[3]["reason"] == "line 4: effective: an unanswered call cannot be effective"
    assert answers[5]["reason"].startswith("within every rule; effective calls 2/3")


def test_an_id_with_a_unicode_line_separator_stays_on_one_line() -> None:
    answers = judged(json.dumps(action("\u2028x\x85"), ensure_ascii=False) + "\n")
    assert len(answers) == 1 and answers[0]["action_id"] == "A\u2028x\x85"


def test_a_rules_file_changes_the_limits(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("max_effective_calls: 1\n")
    text = json.dumps(action(1)) + "\n" + json.dumps(action(2)) + "\n"
    assert [a["rule"] for a in judged(text, rules)] == [None, "effective_call_limit"]
    assert [a["rule"] for a in judged(text)] == [None, None]


def test_a_bad_rules_file_is_one_error_line_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("max_effective_calls: 0\n")
    done = run("guard", str(EXAMPLE), "--rules", str(rules))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().startswith("error: max_effective_calls: ")


def test_phone_digits_never_reach_the_output() -> None:
    long_number = "1391234567890123"  # 16 digits: refused
    lines = [action(1), action(2, phone=long_number), action(3, answered=False, effective=False)]
    answers = judged("".join(json.dumps(line) + "\n" for line in lines))
    assert [a["rule"] for a in answers] == [None, "invalid_input", None]
    assert answers[1]["reason"].startswith("line 2: phone: must be 5-15 digits")
    assert PHONE[3:7] not in json.dumps(answers) and not re.search(r"\d{5}", json.dumps(answers))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                name: st.one_of(st.just(value), _JSON)
                for name, value in action(1, consent_hours="08:00-21:00", collectors=2).items()
            },
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_json_object_gets_one_answer_line_and_never_a_traceback(
    lines: list[dict[str, object]],
) -> None:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    answers = judged(text)
    assert len(answers) == len(lines)
    for answer in answers:
        assert answer["allowed"] is (answer["rule"] is None)
        if answer["rule"] == "invalid_input":
            assert re.match(r"^line \d+: \w+: ", str(answer["reason"]))
