"""Whether a bank's declared appetite takes an applicant, and if not, why: the same checks
for every allocation strategy, so none of them can push an applicant the bank never wanted."""

from __future__ import annotations

from zhudai.acquisition.terms import Candidate, FunderTerms


def refusal(funder: FunderTerms, c: Candidate) -> str | None:
    """The first declared condition ``c`` fails at ``funder`` (``None``: eligible).

    An unknown value never passes a restriction: a bank that caps multi-lending does not take
    an applicant whose count is missing (fail closed)."""
    checks: tuple[tuple[str, bool], ...] = (
        ("product", funder.products is None or c.product in funder.products),
        ("channel", funder.partner_channels is None or c.channel in funder.partner_channels),
        ("apr", c.apr <= funder.max_apr + 1e-12),
        (
            "score",
            funder.min_score is None or (c.score is not None and c.score >= funder.min_score),
        ),
        ("grade", funder.grades is None or c.grade in funder.grades),
        ("province", funder.provinces is None or c.province in funder.provinces),
        ("age", c.age is not None and funder.min_age <= c.age <= funder.max_age),
        (
            "multi_lending",
            funder.max_multi_lending is None
            or (c.multi_lending is not None and c.multi_lending <= funder.max_multi_lending),
        ),
        (
            "occupation",
            not funder.excluded_occupations
            or (c.occupation is not None and c.occupation not in funder.excluded_occupations),
        ),
    )
    for name, ok in checks:
        if not ok:
            return name
    return None


def eligible(funder: FunderTerms, c: Candidate) -> bool:
    return refusal(funder, c) is None
