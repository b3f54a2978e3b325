"""Decision tables: hit policies, cells, explanations, and static checks on error fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zhudai.decision import compile_policy, read_policy_file, read_source
from zhudai.decision.document import HitPolicy
from zhudai.decision.expression import VarType
from zhudai.decision.source import parse_document
from zhudai.decision.tables import DecisionTable, Domain, parse_cell
from zhudai.exceptions import DefinitionError

from .conftest import FIXTURES

HITS = """
name: hits
inputs:
  score: {type: number, min: 0, max: 1000}
  dti: {type: number, min: 0}
  channel: {type: string, allowed: [app, partner, agent]}
steps:
  - kind: table
    name: flags
    hit: collect
    inputs: [dti, channel]
    outputs: [flag]
    rows:
      - {when: {dti: "> 0.4"}, then: {flag: HIGH_DTI}}
      - {when: {channel: [agent]}, then: {flag: AGENT}}
      - {when: {dti: "> 0.8", channel: "not in [app]"}, then: {flag: VERY_HIGH_DTI}}
    allow_gaps: true
    default: {flag: NONE}
  - kind: table
    name: verdict
    hit: priority
    priority: [reject, review, approve]
    inputs: [score, dti]
    outputs: [decision]
    rows:
      - {when: {score: ">= 600"}, then: {decision: approve}}
      - {when: {dti: "(0.5, 0.8]"}, then: {decision: review}}
      - {when: {score: "< 600"}, then: {decision: review}}
      - {when: {dti: "> 0.8"}, then: {decision: reject}}
decision: {outcome: decision, reasons: [flag]}
"""


@pytest.fixture
def hits():
    source = read_source(HITS, "hits.yaml")
    return compile_policy(source, parse_document(source), apr_cap=0.24)


@pytest.mark.parametrize(
    ("score", "dti", "channel", "outcome", "reasons"),
    [
        (700, 0.3, "app", "approve", []),
        (700, 0.6, "agent", "review", ["HIGH_DTI", "AGENT"]),
        (550, 0.1, "app", "review", []),
        (700, 0.9, "partner", "reject", ["HIGH_DTI", "VERY_HIGH_DTI"]),
        (700, 0.9, "app", "reject", ["HIGH_DTI"]),
    ],
)
def test_priority_and_collect(hits, score, dti, channel, outcome, reasons) -> None:
    d = hits.decide({"score": score, "dti": dti, "channel": channel})
    assert d.outcome.value == outcome
    assert [r for r in d.reason_codes if r != "NONE"] == reasons


def test_priority_explains_the_rows_it_overruled(hits) -> None:
    d = hits.decide({"score": 700, "dti": 0.9, "channel": "app"})
    whys = [t["why"] for t in d.trace if t["step"] == "verdict"]
    assert whys == [
        "row 2 failed: dti 0.9 not in (0.5, 0.8]",
        "row 3 failed: score 700 >= 600",
        "row 4 matched (dti 0.9) -> decision='reject'",
        "row 1 matched but row 4 has priority",
    ]


def test_collect_default_when_nothing_matches(hits) -> None:
    d = hits.decide({"score": 700, "dti": 0.1, "channel": "app"})
    assert d.reason_codes == ["NONE"]


def test_hit_policies_frame_equals_rows(hits) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "score": rng.integers(500, 700, 300).astype(float),
            "dti": rng.random(300),
            "channel": rng.choice(["app", "partner", "agent"], 300),
        }
    )
    vec = hits.decide_frame(frame)
    for i, row in enumerate(frame.to_dict("records")):
        d = hits.decide(row)
        assert (vec.outcome[i], vec.reason_codes[i]) == (d.outcome.value, d.reason_codes)


def test_first_hit_explanations_say_why_rows_failed(acard) -> None:
    from .conftest import PRIME

    d = acard.decide({**PRIME, "income_monthly": 3000.0, "total_open_balance": 30000.0})
    whys = [t["why"] for t in d.trace if t["step"] == "decision_matrix"]
    assert whys[0] == "row 1 failed: grade 'A' not in {'E'}"
    assert whys[1] == "row 2 matched (dti 1.11111) -> decision='reject', decision_reason='D02'"
    assert whys[2] == "rows 3-6 not evaluated (first hit at row 2)"
    d = acard.decide({**PRIME, "multi_lending_30d": 4})
    whys = [t["why"] for t in d.trace if t["step"] == "decision_matrix"]
    assert whys[:4] == [
        "row 1 failed: grade 'A' not in {'E'}",
        "row 2 failed: dti 0.152778 <= 0.6",
        "row 3 failed: multi_lending_30d 4 < 6",
        "row 4 failed: grade 'A' not in {'D'}",
    ]


def test_unique_table_runtime_check() -> None:
    cells = [[parse_cell("< 5", VarType.NUMBER)], [parse_cell("[3, 10]", VarType.NUMBER)]]
    table = DecisionTable("t", HitPolicy.UNIQUE, ["x"], ["y"], cells, [["a"], ["b"]])
    assert table.match({"x": 4.0})[0] == [0, 1]
    issues = table.static_issues({"x": Domain(VarType.NUMBER, 0, 10)})
    assert [i.kind for i in issues] == ["overlap"]


@pytest.mark.parametrize(
    ("raw", "typ", "inside", "outside"),
    [
        ("[0.3, 0.5)", VarType.NUMBER, [0.3, 0.49], [0.5, 0.29]),
        ("(0.3..0.5]", VarType.NUMBER, [0.5, 0.31], [0.3]),
        (">= 650", VarType.NUMBER, [650, 700], [649.9]),
        (650, VarType.INTEGER, [650], [651]),
        (["A", "B"], VarType.STRING, ["A"], ["C"]),
        ("not in [A, B]", VarType.STRING, ["C"], ["A"]),
        ("== 'north'", VarType.STRING, ["north"], ["south"]),
        (True, VarType.BOOLEAN, [True], [False]),
        ("-", VarType.NUMBER, [1e9, -1e9], []),
    ],
)
def test_cells(raw, typ, inside, outside) -> None:
    cell = parse_cell(raw, typ)
    assert all(cell.test(v) for v in inside)
    assert not any(cell.test(v) for v in outside)
    arr = np.array(
        inside + outside,
        dtype=object if typ != VarType.NUMBER and typ != VarType.INTEGER else float,
    )
    assert cell.vtest(arr).tolist() == [True] * len(inside) + [False] * len(outside)


@pytest.mark.parametrize(
    ("raw", "typ"),
    [
        ("< abc", VarType.NUMBER),
        ("[5, 3]", VarType.NUMBER),
        ("< 3", VarType.STRING),
        ([1, "a"], VarType.NUMBER),
        ([[1, 2]], VarType.NUMBER),
        ("== {'a': 1}", VarType.STRING),
        ({"a": 1}, VarType.STRING),
        ("not in A", VarType.STRING),
        ("abc", VarType.INTEGER),
    ],
)
def test_bad_cells(raw, typ) -> None:
    with pytest.raises(ValueError):
        parse_cell(raw, typ)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("error-*.yaml")), ids=lambda p: p.stem)
def test_error_fixtures_name_file_line_and_problem(path: Path) -> None:
    text = path.read_text()
    problem = re.search(r"# error: (.*)", text).group(1)
    line = re.search(r"# line: (\d+)", text).group(1)
    with pytest.raises(DefinitionError) as info:
        source, doc = read_policy_file(path)
        compile_policy(source, doc, apr_cap=0.24)
    message = str(info.value)
    assert message.startswith(f"{path.name}:{line}: ")
    assert problem in message
