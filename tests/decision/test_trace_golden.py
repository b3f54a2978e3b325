"""The rendered trace of decisions, pinned as text: every kind of entry (input problems,
missing model features, rules, table rows of each hit policy, branches, pricing) over varied
applicants. Regenerate with ``ZHUDAI_REGOLD=1`` only when a change of the text is intended."""

from __future__ import annotations

import json
import os
from pathlib import Path

from zhudai.decision import read_source
from zhudai.decision.engine import CompiledPolicy, compile_policy
from zhudai.decision.source import parse_document

from .conftest import PRIME, applications

GOLDEN = Path(__file__).with_name("fixtures") / "trace-golden.json"

TABLES = """
name: tables
inputs:
  score: {type: number, min: 0}
  income: {type: number, min: 0}
steps:
  - kind: table
    name: by_priority
    hit: priority
    priority: [A, B, C]
    inputs: [score]
    outputs: [grade]
    rows:
      - {when: {score: ">= 0"}, then: {grade: C}}
      - {when: {score: ">= 600"}, then: {grade: B}}
      - {when: {score: ">= 700"}, then: {grade: A}}
  - kind: table
    name: flags
    hit: collect
    inputs: [score, income]
    outputs: [flag]
    rows:
      - {when: {score: "< 650"}, then: {flag: low_score}}
      - {when: {income: "< 3000"}, then: {flag: low_income}}
    default: {flag: none}
  - kind: table
    name: cut
    inputs: [grade]
    outputs: [decision]
    rows:
      - {when: {grade: "== 'A'"}, then: {decision: approve}}
      - {when: {grade: "== 'B'"}, then: {decision: review}}
      - {when: {grade: "== 'C'"}, then: {decision: reject}}
decision: {outcome: decision}
"""


def _traces(acard: CompiledPolicy) -> list[list[dict]]:
    frame = applications(150, seed=3)
    rows = [{k: v for k, v in r.items()} for r in frame.to_dict("records")]
    rows.append({k: v for k, v in PRIME.items() if k not in ("age", "province")})
    rows.append({k: v for k, v in PRIME.items() if not k.startswith("f_")})
    rows.append({**PRIME, "age": -3, "province": 7})
    traces = [acard.decide(r).trace for r in rows]
    source = read_source(TABLES, "tables.yaml")
    tables = compile_policy(source, parse_document(source), apr_cap=0.24)
    for score, income in [(720, 8000), (640, 2000), (610, 9000), (100, 100), (None, 100)]:
        app = {"income": income} if score is None else {"score": score, "income": income}
        traces.append(tables.decide(app).trace)
    return json.loads(json.dumps(traces, default=str))


def test_rendered_trace_is_unchanged(acard: CompiledPolicy) -> None:
    got = _traces(acard)
    if os.environ.get("ZHUDAI_REGOLD"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
