"""The inspector on hand-written transcripts: each type, homophones, negation, quotation,
speakers, third-party calls and innocent uses of the same words."""

from __future__ import annotations

import pytest

from zhudai.callqa import FlagType, Inspector, Severity
from zhudai.collections.guard import ComplianceGuard
from zhudai.collections.rules import GuardRules, HoursWindow
from zhudai.exceptions import InvalidInputError

DAY = "2026-06-01T10:00:00+08:00"


def _flags(text: str, at: str = DAY, tz: str = "Asia/Shanghai", **kw) -> list[tuple[str, str]]:
    found = Inspector(**kw).inspect(
        {"call_id": "c", "started_at": at, "debtor_tz": tz, "text": text}
    )
    for f in found.flags:  # the evidence is the text at the span
        assert f.end == f.start or text[f.start : f.end] == f.evidence
    return [(f.type.value, f.evidence) for f in found.flags]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("催收员：你这种老赖真不要脸！", [("abuse", "老赖"), ("abuse", "不要脸")]),
        ("催收员：今天不还钱，明天就派人去你单位。", [("threat", "派人去你")]),
        ("催收员：你不还钱我们就上门。", [("threat", "上门")]),
        ("催收员：再拖下去你就要坐牢。", [("false_legal_threat", "坐牢")]),
        ("催收员：法院传票已经寄出了。", [("false_legal_threat", "法院传票")]),
        ("催收员：马上把你上征信黑名单。", [("false_legal_threat", "征信黑名单")]),
        ("催收员：我是市公安局的，你的案子我们在查。", [("impersonation", "公安局")]),
        ("催收员：再不还就把你的事发给你通讯录里所有人。", [("contact_book_threat", "通讯录")]),
    ],
)
def test_each_type_is_flagged_with_its_span(text: str, expected: list[tuple[str, str]]) -> None:
    assert _flags(text) == expected


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        ("催收员：再不还钱就让你做牢。", "做牢"),  # ASR: 做 for 坐
        ("催收员：法院传漂已经发出了。", "法院传漂"),
        ("催收员：你已经上了征信黑明单。", "征信黑明单"),
        ("催收员：我们会打你通迅录上的电话。", "通迅录"),
    ],
)
def test_homophones_of_asr_are_found_by_pinyin(text: str, heard: str) -> None:
    found = Inspector().inspect(
        {"call_id": "c", "started_at": DAY, "debtor_tz": "Asia/Shanghai", "text": text}
    )
    (flag,) = found.flags
    assert flag.evidence == heard and flag.rule.endswith(":homophone")
    assert flag.confidence < 1 and "same pinyin" in flag.explanation


@pytest.mark.parametrize(
    "text",
    [
        "催收员：放心，我们不会上门。",
        "催收员：不存在什么征信黑名单，只是会影响您的征信记录。",
        "催收员：逾期是民事纠纷，您不会坐牢的。",
        "催收员：您担心会坐牢，其实不用这么紧张。",  # reported: the debtor's worry
        "催收员：网上说的“法院传票”都是谣言。",  # quoted
        "客户：你们是不是要上门？你们这些人渣！\n催收员：您误会了，我们只是提醒还款。",  # debtor
        "催收员：我们不是警察，是平台的客服。",
        "催收员：早上门口的快递记得拿。",  # 上门 inside 早上 / 门口
        "催收员：如果协商不成，我们可能依法向法院起诉，这会影响您的征信。",  # lawful
        "催收员：请问您认识张*吗？麻烦您转告他回个电话。\n联系人：好的。",  # no debt told
        "催收员：您的借款已经逾期5天，请尽快还款。",  # debt words to the debtor
    ],
)
def test_innocent_negated_quoted_and_other_speakers_raise_nothing(text: str) -> None:
    assert _flags(text) == []


def test_debt_told_to_a_contact_is_disclosure() -> None:
    text = (
        "催收员：请问您认识张*吗？\n联系人：认识，怎么了？\n催收员：他在我们这借了钱，逾期30天了。"
    )
    got = _flags(text)
    assert got[0] == ("third_party_disclosure", "借了钱") and {t for t, _ in got} == {
        "third_party_disclosure"
    }


def test_impersonation_needs_the_caller_to_claim_the_authority() -> None:
    assert _flags("催收员：这边是区人民法院执行局。") == [("impersonation", "执行局")]
    assert _flags("催收员：法院判决以后才会有强制措施，我们只是平台。") == []


def test_off_hours_is_the_debtors_local_time_under_the_guards_quiet_hours() -> None:
    # 10:30 in Shanghai is 22:30 in New York: off hours for that debtor
    text = "催收员：您好，提醒您还款。"
    assert _flags(text, "2026-06-01T10:30:00+08:00", "America/New_York")[0][0] == "off_hours"
    assert _flags(text, "2026-06-01T10:30:00+08:00") == []
    assert _flags(text, "2026-06-01T07:59:59+08:00")[0][0] == "off_hours"
    assert _flags(text, "2026-06-01T08:00:00+08:00") == []
    late = GuardRules(quiet_hours=HoursWindow.parse("21:00-09:00", "quiet_hours"))
    assert _flags(text, "2026-06-01T08:30:00+08:00", rules=late)[0][0] == "off_hours"


def test_over_limit_comes_from_the_guards_counts() -> None:
    guard = ComplianceGuard()
    call = {
        "debtor_id": "D1",
        "phone": "13912345678",
        "kind": "human_call",
        "at": DAY,
        "debtor_tz": "Asia/Shanghai",
        "party": "debtor",
        "answered": True,
        "effective": True,
    }
    decisions = [guard.propose({**call, "action_id": f"A{i}"}) for i in range(4)]
    inspector = Inspector()
    line = {"call_id": "c", "started_at": DAY, "debtor_tz": "Asia/Shanghai", "text": "您好"}
    assert inspector.inspect(line, guard=decisions[2]).flags == ()
    (flag,) = inspector.inspect(line, guard=decisions[3]).flags
    assert flag.type is FlagType.OVER_LIMIT and flag.rule == "effective_call_limit"


def test_severity_orders_flags_and_score_is_the_strongest() -> None:
    found = Inspector().inspect(
        {
            "call_id": "c",
            "started_at": "2026-06-01T23:00:00+08:00",
            "debtor_tz": "Asia/Shanghai",
            "text": "催收员：老赖，再不还就让你坐牢。",
        }
    )
    assert [f.severity for f in found.flags] == sorted(
        (f.severity for f in found.flags), reverse=True
    )
    assert found.flags[0].severity is Severity.CRITICAL and found.score == 1.0


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (
            {
                "call_id": "c",
                "started_at": "2026-06-01T10:00:00",
                "debtor_tz": "Asia/Shanghai",
                "text": "",
            },
            "started_at",
        ),
        (
            {"call_id": "c", "started_at": "yesterday", "debtor_tz": "Asia/Shanghai", "text": ""},
            "started_at",
        ),
        ({"call_id": "c", "started_at": DAY, "debtor_tz": "Asia/Shangai", "text": ""}, "debtor_tz"),
        (
            {
                "call_id": "c",
                "started_at": "9999-12-31T23:00:00-12:00",
                "debtor_tz": "UTC",
                "text": "",
            },
            "started_at",
        ),
        ({"call_id": "c", "started_at": DAY, "debtor_tz": "UTC", "text": "a\x00"}, "text"),
        ({"call_id": "", "started_at": DAY, "debtor_tz": "Asia/Shanghai", "text": ""}, "call_id"),
        ({"call_id": "c", "started_at": DAY, "debtor_tz": "Asia/Shanghai"}, "text"),
        (
            {"call_id": "c", "started_at": DAY, "debtor_tz": "Asia/Shanghai", "text": "", "x": 1},
            "x",
        ),
    ],
)
def test_bad_calls_are_refused_naming_the_field(line: dict, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^{field}: "):
        Inspector().inspect(line)
