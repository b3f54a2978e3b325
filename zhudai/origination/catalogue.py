"""The store's catalogue as the pipeline reads it: channel codes, products and their ranges,
funders and their declared appetite. Read once per service and refreshed on demand, so a
decision never waits on a catalogue query."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhudai.exceptions import NotFoundError
from zhudai.store.models import Channel, Funder, Product


@dataclass(frozen=True)
class ProductTerms:
    code: str
    min_amount: float
    max_amount: float
    terms: tuple[int, ...]


@dataclass(frozen=True)
class FunderAppetite:
    """What a partner bank declared it funds; ``None`` fields do not restrict."""

    id: int
    code: str
    name: str
    min_score: float
    max_apr: float
    cost_of_funds: float
    daily_quota: Decimal | None
    grades: frozenset[str] | None
    products: frozenset[str] | None

    def accepts(self, *, grade: str | None, score: float | None, apr: float, product: str) -> bool:
        """Whether an approved application fits this funder's appetite (quota aside)."""
        if self.grades is not None and grade not in self.grades:
            return False
        if self.products is not None and product not in self.products:
            return False
        if score is None or score < self.min_score:
            return False
        return apr <= self.max_apr + 1e-12


@dataclass(frozen=True)
class Catalogue:
    channels: dict[str, int]
    products: dict[str, ProductTerms]
    funders: tuple[FunderAppetite, ...]  # cheapest cost of funds first

    def channel_id(self, code: str) -> int:
        if code not in self.channels:
            raise NotFoundError("channel", code)
        return self.channels[code]

    def product(self, code: str) -> ProductTerms:
        if code not in self.products:
            raise NotFoundError("product", code)
        return self.products[code]

    def funder(self, code: str) -> FunderAppetite:
        for f in self.funders:
            if f.code == code:
                return f
        raise NotFoundError("funder", code)


def load_catalogue(session: Session) -> Catalogue:
    """The catalogue as stored now (a channel without a code is listed by its kind)."""
    channels = {c.code or c.kind: c.id for c in session.scalars(select(Channel))}
    products = {
        p.code: ProductTerms(
            p.code, float(p.min_amount), float(p.max_amount), tuple(int(t) for t in p.terms)
        )
        for p in session.scalars(select(Product))
    }
    funders = tuple(
        FunderAppetite(
            id=f.id,
            code=f.code or f"funder_{f.id}",
            name=f.name,
            min_score=float(f.min_score),
            max_apr=float(f.max_apr),
            cost_of_funds=float(f.cost_of_funds),
            daily_quota=f.daily_quota,
            grades=frozenset(f.grades) if f.grades is not None else None,
            products=frozenset(f.products) if f.products is not None else None,
        )
        for f in session.scalars(select(Funder).order_by(Funder.cost_of_funds, Funder.id))
    )
    return Catalogue(channels, products, funders)
