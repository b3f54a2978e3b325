"""The inspection lexicon: categories of phrases, each raising one violation type, found in one
Aho-Corasick pass over the text and a second pass over its pinyin (ASR writes 做牢 for 坐牢).

Two-character phrases count only where jieba's segmentation has a word boundary on both sides
(上门 is not in 早上门口), because short phrases are the ones found inside innocent words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

import ahocorasick
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhudai.callqa.flags import TIME_TYPES, FlagType, Severity
from zhudai.exceptions import InvalidInputError, MissingFileError
from zhudai.parsing import parse_input

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
#: Phrases this short are checked against the word boundaries of the segmentation.
_SHORT_PHRASE = 2


class Category(BaseModel):
    """A named group of phrases that raise one violation type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    type: FlagType
    terms: tuple[str, ...] = Field(min_length=1)
    requires: tuple[str, ...] = ()
    third_party_only: bool = False
    homophones: bool = True
    lang: Literal["zh", "en"] = "zh"

    @field_validator("type")
    @classmethod
    def _not_a_time_rule(cls, value: FlagType) -> FlagType:
        if value in TIME_TYPES:
            raise ValueError(f"{value} is judged from the call's time and counts, not from words")
        return value


class LexiconSpec(BaseModel):
    """The lexicon file: a severity per type and the categories."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severities: dict[FlagType, Literal["low", "medium", "high", "critical"]]
    categories: tuple[Category, ...] = Field(min_length=1)

    @field_validator("severities")
    @classmethod
    def _every_type(cls, value: dict[FlagType, str]) -> dict[FlagType, str]:
        missing = sorted(set(FlagType) - set(value))
        if missing:
            raise ValueError(f"a severity is needed for every type; missing {missing}")
        return value


@dataclass(frozen=True)
class Hit:
    """A phrase of ``category`` at ``text[start:end]``; ``homophone`` when found by its pinyin."""

    category: Category
    term: str
    start: int
    end: int
    homophone: bool


def pinyin_of(text: str) -> tuple[str, dict[int, int]]:
    """The toneless pinyin of the Han characters of ``text``, one space around each syllable and
    ``|`` between runs, with the character offset of each syllable's start.

    Examples
    --------
    >>> pinyin_of("要做牢")[0]
    '| yao zuo lao |'
    """
    from pypinyin import lazy_pinyin

    parts, where, pos = ["|"], {}, 1
    for run in _HAN_RUN.finditer(text):
        syllables = lazy_pinyin(run.group())
        if len(syllables) != len(run.group()):  # never seen; keep offsets exact if it happens
            syllables = [lazy_pinyin(ch)[0] for ch in run.group()]
        for offset, syllable in enumerate(syllables):
            where[pos + 1] = run.start() + offset
            parts.append(f" {syllable}")
            pos += len(syllable) + 1
        parts.append(" |")
        pos += 2
    return "".join(parts), where


def _misheard(said: str, term: str) -> bool:
    """Whether ``said`` reads as an ASR slip of ``term``: some, at most half, of its
    characters differ (待不 sounds like 逮捕 but is another word, not a slip).

    Examples
    --------
    >>> _misheard("做牢", "坐牢"), _misheard("待不", "逮捕"), _misheard("征信黑明单", "征信黑名单")
    (True, False, True)
    """
    differ = sum(a != b for a, b in zip(said, term, strict=True))
    return 0 < differ <= len(term) // 2


def _pinyin_key(term: str) -> str:
    from pypinyin import lazy_pinyin

    return " " + " ".join(lazy_pinyin(term)) + " "


def _automaton(keys: dict[str, list[tuple[Category, str]]]) -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for key, entries in keys.items():
        auto.add_word(key, entries)
    auto.make_automaton()
    return auto


def _word_bounds(text: str) -> set[int]:
    import jieba

    jieba.setLogLevel(60)
    return {b for _, start, end in jieba.tokenize(text) for b in (start, end)}


class Lexicon:
    """The categories of a :class:`LexiconSpec`, ready to match.

    Examples
    --------
    >>> lex = Lexicon.default()
    >>> [(h.category.id, h.term, h.start, h.homophone) for h in lex.hits("要让你做牢")]
    [('false_legal_jail', '坐牢', 3, True)]
    """

    def __init__(self, spec: LexiconSpec) -> None:
        self.spec = spec
        raw: dict[str, list[tuple[Category, str]]] = {}
        sound: dict[str, list[tuple[Category, str]]] = {}
        english: dict[str, list[tuple[Category, str]]] = {}
        for cat in spec.categories:
            for term in cat.terms:
                if cat.lang == "en":
                    english.setdefault(term.lower(), []).append((cat, term))
                    continue
                raw.setdefault(term, []).append((cat, term))
                if cat.homophones and len(term) >= 2 and _HAN_RUN.fullmatch(term):
                    sound.setdefault(_pinyin_key(term), []).append((cat, term))
        self._raw, self._sound = _automaton(raw), _automaton(sound)
        self._english = _automaton(english) if english else None

    @classmethod
    def default(cls) -> Lexicon:
        """The lexicon shipped in the package (``zhudai/callqa/lexicon.yaml``)."""
        return _default_lexicon()

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """A lexicon file of the shipped file's form; a bad one is refused naming the field."""
        if not path.is_file():
            raise MissingFileError("lexicon", path)
        return cls(_parse(path.read_text(encoding="utf-8"), str(path)))

    def severity(self, kind: FlagType) -> Severity:
        """The declared severity of a violation type."""
        return Severity[self.spec.severities[kind].upper()]

    def hits(self, text: str) -> list[Hit]:
        """Every phrase found in ``text``, literal and homophone, without context rules."""
        found: dict[tuple[str, int, int], Hit] = {}
        for end, entries in self._raw.iter(text):
            for cat, term in entries:
                start = end - len(term) + 1
                found.setdefault((cat.id, start, end + 1), Hit(cat, term, start, end + 1, False))
        if len(self._sound):
            spoken, where = pinyin_of(text)
            for end, entries in self._sound.iter(spoken):
                for cat, term in entries:
                    start = where[end - len(_pinyin_key(term)) + 2]
                    said = text[start : start + len(term)]
                    if _misheard(said, term):
                        key = (cat.id, start, start + len(term))
                        found.setdefault(key, Hit(cat, term, start, start + len(term), True))
        if self._english is not None:
            found.update(self._english_hits(text))
        return self._on_word_bounds(text, sorted(found.values(), key=lambda h: (h.start, h.end)))

    def _english_hits(self, text: str) -> dict[tuple[str, int, int], Hit]:
        assert self._english is not None
        lower, out = text.lower(), {}
        for end, entries in self._english.iter(lower):
            for cat, term in entries:
                start = end - len(term) + 1
                before = lower[start - 1] if start else " "
                after = lower[end + 1] if end + 1 < len(lower) else " "
                if not (before.isalnum() or after.isalnum()):
                    out[(cat.id, start, end + 1)] = Hit(cat, term, start, end + 1, False)
        return out

    @staticmethod
    def _on_word_bounds(text: str, hits: list[Hit]) -> list[Hit]:
        short = [h for h in hits if h.category.lang == "zh" and h.end - h.start <= _SHORT_PHRASE]
        if not short:
            return hits
        bounds = _word_bounds(text)
        return [
            h
            for h in hits
            if h.category.lang != "zh"
            or h.end - h.start > _SHORT_PHRASE
            or (h.start in bounds and h.end in bounds)
        ]


def _parse(text: str, source: str) -> LexiconSpec:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise InvalidInputError("lexicon", f"{source} must hold a mapping")
    return parse_input(LexiconSpec, data)


@cache
def _default_lexicon() -> Lexicon:
    return Lexicon(
        _parse(files("zhudai.callqa").joinpath("lexicon.yaml").read_text("utf-8"), "lexicon.yaml")
    )
