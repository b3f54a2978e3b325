"""The inspection of one call: lexicon hits kept where their context makes them the collector's
own, un-negated, un-quoted words; the paraphrase model where the lexicon is silent; the call's
time against the compliance guard's quiet hours; and, when given, the guard's own counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from zhudai.callqa.call import Call
from zhudai.callqa.context import Context
from zhudai.callqa.flags import Flag, FlagType
from zhudai.callqa.lexicon import Hit, Lexicon
from zhudai.callqa.model import ParaphraseModel, collector_words
from zhudai.collections.guard import GuardDecision
from zhudai.collections.rules import GuardRules, RuleId
from zhudai.parsing import parse_input
from zhudai.privacy.masking import mask_text

#: Confidence of a phrase found only by its pinyin (the ASR may have heard another word).
HOMOPHONE_CONFIDENCE = 0.9
_LIMIT_RULES = frozenset({RuleId.EFFECTIVE_CALLS, RuleId.UNANSWERED_ATTEMPTS})


class Inspection(BaseModel):
    """What inspection found on one call; ``score`` (0-1) orders calls of equal severity."""

    model_config = ConfigDict(frozen=True)

    call_id: str
    flags: tuple[Flag, ...]
    score: float

    def contract(self) -> dict[str, object]:
        """The line ``zhudai callqa inspect`` prints."""
        return {
            "call_id": self.call_id,
            "flags": [f.contract() for f in self.flags],
            "score": self.score,
        }


class Inspector:
    """Inspects calls with a lexicon, the guard's rules and optionally a paraphrase model.

    Examples
    --------
    >>> inspector = Inspector()
    >>> found = inspector.inspect({"call_id": "c1", "started_at": "2026-06-01T10:00:00+08:00",
    ...     "debtor_tz": "Asia/Shanghai", "text": "催收员：再不还钱就让你做牢。"})
    >>> [(f.type.value, f.evidence, f.rule) for f in found.flags]
    [('false_legal_threat', '做牢', 'lexicon:false_legal_jail:homophone')]
    >>> inspector.inspect({"call_id": "c2", "started_at": "2026-06-01T10:00:00+08:00",
    ...     "debtor_tz": "Asia/Shanghai", "text": "催收员：放心，我们不会上门。"}).flags
    ()
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        rules: GuardRules | None = None,
        model: ParaphraseModel | None = None,
    ) -> None:
        self.lexicon = lexicon or Lexicon.default()
        self.rules = rules or GuardRules()
        self.model = model

    def inspect(
        self, call: Call | Mapping[str, Any], guard: GuardDecision | None = None
    ) -> Inspection:
        """Every flag of ``call``; a bad call raises ``InvalidInputError`` naming the field.
        ID, card and mobile numbers are masked first, so no evidence shows one.
        ``guard`` is the compliance guard's decision on the call, if it was proposed to it."""
        call = parse_input(Call, call)
        call = call.model_copy(update={"text": mask_text(call.text)})  # same length: spans hold
        ctx = Context(call.text)
        flags = _longest_per_type(
            [f for h in self.lexicon.hits(call.text) if (f := self._judge(h, ctx))]
        )
        score = max((f.confidence for f in flags), default=0.0)
        if self.model is not None:
            words = collector_words(ctx)
            found = {f.type for f in flags}
            for kind, prob, span, why in self.model.explain(words):
                score = max(score, prob)
                if kind not in found and prob >= self.model.threshold:
                    start, end = ctx.clause_of(*span)
                    flags.append(
                        self._flag(kind, start, end, call.text, f"model:{kind}", prob, why)
                    )
        flags.extend(self._time_flags(call, guard))
        score = max([score, *(f.confidence for f in flags)])
        flags.sort(key=lambda f: (-f.severity, f.start, f.type))
        return Inspection(call_id=call.call_id, flags=tuple(flags), score=round(score, 4))

    def _judge(self, hit: Hit, ctx: Context) -> Flag | None:
        cat = hit.category
        line = ctx.line_at(hit.start)
        if not line.is_collector or hit.start < line.body:
            return None
        if cat.third_party_only and not ctx.third_party_call:
            return None
        cue = ctx.cue_before(hit.start, cat.requires) if cat.requires else None
        if cat.requires and cue is None:
            return None
        if ctx.negated(hit.start) or ctx.quoted(hit.start):
            return None
        said = ctx.text[hit.start : hit.end]
        why = f"phrase {hit.term!r} of category {cat.id}"
        if hit.homophone:
            why += f", heard as {said!r} (same pinyin)"
        if cue:
            why += f", after {cue!r}"
        rule = f"lexicon:{cat.id}" + (":homophone" if hit.homophone else "")
        confidence = HOMOPHONE_CONFIDENCE if hit.homophone else 1.0
        return self._flag(cat.type, hit.start, hit.end, ctx.text, rule, confidence, why)

    def _time_flags(self, call: Call, guard: GuardDecision | None) -> list[Flag]:
        out = []
        quiet = self.rules.quiet_hours
        moment = call.local_time()
        if quiet is not None and quiet.contains(moment):
            why = (
                f"started {moment:%H:%M} in {call.debtor_tz} (debtor local time), inside the "
                f"quiet hours {quiet}"
            )
            out.append(
                self._flag(FlagType.OFF_HOURS, 0, 0, why, RuleId.QUIET_HOURS.value, 1.0, why)
            )
        if guard is not None and guard.rule in _LIMIT_RULES:
            out.append(
                self._flag(
                    FlagType.OVER_LIMIT, 0, 0, guard.reason, str(guard.rule), 1.0, guard.reason
                )
            )
        return out

    def _flag(
        self, kind: FlagType, start: int, end: int, text: str, rule: str, conf: float, why: str
    ) -> Flag:
        evidence = text[start:end] if end > start else text
        return Flag(
            type=kind,
            severity=self.lexicon.severity(kind),
            start=start,
            end=end,
            evidence=evidence,
            rule=rule,
            confidence=round(conf, 4),
            explanation=why,
        )


def _longest_per_type(flags: list[Flag]) -> list[Flag]:
    """One flag per overlapping stretch of one type: the longest phrase (法院传票 over 传票)."""
    kept: list[Flag] = []
    for flag in sorted(flags, key=lambda f: (f.type, f.start, -(f.end - f.start))):
        last = kept[-1] if kept else None
        if last is not None and last.type == flag.type and flag.start < last.end:
            continue
        kept.append(flag)
    return kept
