"""The pages, their bilingual titles and the roles that may open each (admin opens every page).
The server answers 403 to any other role: the navigation only mirrors this table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from zhudai.api.keys import Principal
from zhudai.store.models import ApiRole


@dataclass(frozen=True)
class Page:
    name: str
    en: str
    zh: str
    roles: tuple[ApiRole, ...]

    def allows(self, caller: Principal) -> bool:
        return caller.role is ApiRole.ADMIN or caller.role in self.roles


_RISK = (ApiRole.ANALYST,)
PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "总览", _RISK),
    Page(
        "acquisition", "Acquisition", "获客经济", (ApiRole.ANALYST, ApiRole.CHANNEL, ApiRole.FUNDER)
    ),
    Page("portfolio", "Portfolio", "资产质量", _RISK),
    Page("fraud", "Fraud", "反欺诈", _RISK),
    Page("models", "Models", "模型", _RISK),
    Page("policies", "Policies", "策略", _RISK),
    Page("monitoring", "Monitoring", "监控预警", _RISK),
    Page("collections", "Collections", "催收", (ApiRole.ANALYST, ApiRole.COLLECTOR)),
    Page("callqa", "Call QA", "录音质检", _RISK),
    Page("applications", "Applications", "进件列表", _RISK),
)
BY_NAME = {p.name: p for p in PAGES}


@dataclass
class Figure:
    """A key figure on a page: ``key`` names it for tests, ``value`` is the raw number."""

    key: str
    en: str
    zh: str
    value: float | int | None
    kind: str = "count"  # count, rate, ratio, money

    @property
    def text(self) -> str:
        if self.value is None:
            return "–"
        if self.kind == "rate":
            return f"{self.value:.2%}"
        if self.kind == "ratio":
            return f"{self.value:.4f}"
        if self.kind == "money":
            return f"{self.value:,.2f}"
        return f"{self.value:,}"


@dataclass
class Section:
    """A heading, its charts, then its table (HTML made by the reports' table builders)."""

    en: str
    zh: str
    charts: list[go.Figure] = field(default_factory=list)
    table: str = ""
    note: str = ""


@dataclass
class PageView:
    """What one page shows; the same view renders in the server and in ``zhudai report``."""

    page: Page
    figures: list[Figure] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
