"""Where a phrase stands: who says it, in which clause, negated or quoted, on a call to whom.

A transcript is lines, each optionally labelled with its speaker (``催收员：``, ``客户：``);
unlabelled lines are the collector's (ASR of the agent channel). Only the collector's words
can break a collection rule. A phrase is *negated* when a negation cue stands shortly before it
in its clause with no condition in between (我们不会上门, but not 你不还我们就上门), and *quoted*
inside quotation marks or after a reporting cue (您担心会坐牢, 所谓的黑名单).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Speaker labels of the people a collector talks to (their words are never the violation).
OTHER_SPEAKERS = frozenset(
    {
        "客户",
        "借款人",
        "联系人",
        "家属",
        "朋友",
        "同事",
        "第三方",
        "系统",
        "customer",
        "debtor",
        "contact",
        "system",
    }
)
#: Labels that mark a call to someone other than the debtor.
THIRD_PARTY_SPEAKERS = frozenset({"联系人", "家属", "朋友", "同事", "第三方", "contact"})
#: What a collector says when the callee is not the debtor.
THIRD_PARTY_CUES = ("请问您认识", "您认识", "麻烦您转告", "请您转告", "帮忙转告")
NEGATION_CUES = (
    "不会",
    "不是",
    "不能",
    "不得",
    "没有",
    "并不",
    "绝不",
    "从不",
    "从来不",
    "不存在",
    "无需",
    "不用",
    "并非",
    "禁止",
    "严禁",
    "不允许",
    "不可以",
    "不至于",
    "没",
    "never",
    "not",
    "won't",
)
#: Words that make what follows a consequence, ending a negation's scope (不还就上门).
CONDITION_BREAKS = ("就", "便", "否则", "只能", "才", "那", "then")
REPORTING_CUES = (
    "听说",
    "有人说",
    "网上说",
    "所谓",
    "传言",
    "谣传",
    "您担心",
    "你担心",
    "您说的",
    "你说的",
    "您提到",
    "您是不是怕",
    "担心会",
    "害怕会",
)
#: How far before a phrase (characters, same clause) a negation or a required cue reaches.
CUE_REACH = 10

_LABEL = re.compile(r"^\s*([^\s：:]{1,8})[：:]")
_CLAUSE_END = re.compile(r"[，。！？；,.!?;\n]")
_QUOTES = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’"}


@dataclass(frozen=True)
class Line:
    """One speaker turn: ``text[start:end]``, said by ``speaker`` (``None``: unlabelled)."""

    start: int
    end: int
    body: int  # where the words start, after the label
    speaker: str | None

    @property
    def is_collector(self) -> bool:
        return self.speaker is None or self.speaker.lower() not in OTHER_SPEAKERS


class Context:
    """The positions of one transcript's speakers, clauses and quotations."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.third_party_call = any(
            line.speaker is not None and line.speaker.lower() in THIRD_PARTY_SPEAKERS
            for line in self.lines
        ) or any(cue in text for cue in THIRD_PARTY_CUES)
        self._quoted = _quoted_spans(text)

    def line_at(self, pos: int) -> Line:
        """The line holding character ``pos``."""
        for line in self.lines:
            if line.start <= pos < line.end:
                return line
        return self.lines[-1]

    def clause_before(self, pos: int) -> str:
        """The text of ``pos``'s clause before ``pos``, at most :data:`CUE_REACH` characters."""
        line = self.line_at(pos)
        start = max(line.start, pos - CUE_REACH)
        head = self.text[start:pos]
        cut = max((m.end() for m in _CLAUSE_END.finditer(head)), default=0)
        return head[cut:]

    def clause_of(self, start: int, end: int) -> tuple[int, int]:
        """The clause (``[start, end)`` offsets) around a span, for evidence."""
        line = self.line_at(start)
        before = [m.end() for m in _CLAUSE_END.finditer(self.text, line.start, start)]
        after = _CLAUSE_END.search(self.text, end, line.end)
        return (before[-1] if before else line.body), (after.end() if after else line.end)

    def negated(self, pos: int) -> str | None:
        """The negation cue that scopes over ``pos``, if any."""
        head = self.clause_before(pos)
        for cue in NEGATION_CUES:
            at = head.rfind(cue)
            if at >= 0 and not any(b in head[at + len(cue) :] for b in CONDITION_BREAKS):
                return cue
        return None

    def quoted(self, pos: int) -> str | None:
        """Why ``pos`` is reported speech (the quote mark or reporting cue), if it is."""
        for start, end, mark in self._quoted:
            if start < pos < end:
                return mark
        head = self.clause_before(pos)
        return next((cue for cue in REPORTING_CUES if cue in head), None)

    def cue_before(self, pos: int, cues: tuple[str, ...]) -> str | None:
        """The first of ``cues`` found shortly before ``pos`` in its clause."""
        head = self.clause_before(pos)
        return next((cue for cue in cues if cue in head), None)


def _lines(text: str) -> list[Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        label = _LABEL.match(raw)
        speaker, body = (label.group(1), pos + label.end()) if label else (None, pos)
        out.append(Line(pos, pos + len(raw) + 1, body, speaker))
        pos += len(raw) + 1
    return out


def _quoted_spans(text: str) -> list[tuple[int, int, str]]:
    spans, i = [], 0
    while i < len(text):
        close = _QUOTES.get(text[i])
        if close is not None:
            j = text.find(close, i + 1)
            if j > 0:
                spans.append((i, j, text[i]))
                i = j
        i += 1
    return spans
