"""Real-time funder routing: the cheapest funder whose declared appetite fits, with its daily
quota reserved atomically; and the funder's own decision, which books or releases it.

Under 助贷 rules (金规〔2025〕9号) the bank approves credit itself: the platform only
*recommends* a funder and reserves the amount against that funder's quota for the day. The
reservation is one conditional ``UPDATE ... WHERE reserved + booked + amount <= quota``, so on
SQLite (one writer at a time) and on PostgreSQL (row lock) concurrent requests never overshoot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.origination.catalogue import FunderAppetite
from zhudai.store.models import FunderQuotaDay, FunderStatus, Origination

_QUOTA: Table = FunderQuotaDay.__table__  # type: ignore[assignment]
_ORIG: Table = Origination.__table__  # type: ignore[assignment]


# Built once with bound parameters (compiled once; see zhudai.origination.recorder).
_DAY = {"funder_id": bindparam("fid"), "day": bindparam("d"), "reserved": 0, "booked": 0}
_ENSURE_DAY = {
    "sqlite": sqlite.insert(_QUOTA).values(**_DAY).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(_QUOTA).values(**_DAY).on_conflict_do_nothing(),
}
_KEY = and_(_QUOTA.c.funder_id == bindparam("fid"), _QUOTA.c.day == bindparam("d"))
_DAY_EXISTS = select(_QUOTA.c.day).where(_KEY)
_INSERT_DAY = _QUOTA.insert().values(**_DAY)
_RESERVE = (
    update(_QUOTA)
    .where(_KEY, _QUOTA.c.reserved + _QUOTA.c.booked + bindparam("amount") <= bindparam("quota"))
    .values(reserved=_QUOTA.c.reserved + bindparam("amount"))
)
_BOOK = (
    update(_QUOTA)
    .where(_KEY)
    .values(
        reserved=_QUOTA.c.reserved - bindparam("amount"),
        booked=_QUOTA.c.booked + bindparam("amount"),
    )
)
_RELEASE = update(_QUOTA).where(_KEY).values(reserved=_QUOTA.c.reserved - bindparam("amount"))


@dataclass(frozen=True)
class RoutingRequest:
    """What a funder ranking may weigh: the approved offer and the applicant's declared and
    bought facts (``None`` where unknown)."""

    application_id: str
    amount: float
    term_months: int
    apr: float
    product: str
    channel: str
    grade: str | None
    score: float | None
    pd: float | None
    province: str | None
    age: int | None
    multi_lending: int | None
    occupation: str | None


class FunderRanking(Protocol):
    """The order in which funders are tried for one approved application (a funder left out
    is not tried); routing still checks each one's declared appetite and reserves its quota."""

    def rank(
        self, funders: Sequence[FunderAppetite], request: RoutingRequest
    ) -> Sequence[FunderAppetite]: ...


class CheapestFirst:
    """The catalogue's order: cheapest cost of funds first, every funder tried."""

    def rank(
        self, funders: Sequence[FunderAppetite], request: RoutingRequest
    ) -> Sequence[FunderAppetite]:
        return funders


def _ensure_day(conn: Connection, funder_id: int, day: date) -> None:
    """The funder's row for ``day``, created empty if missing (no race: ON CONFLICT DO NOTHING)."""
    key = {"fid": funder_id, "d": day}
    statement = _ENSURE_DAY.get(conn.dialect.name)
    if statement is not None:
        conn.execute(statement, key)
    elif conn.scalar(_DAY_EXISTS, key) is None:
        conn.execute(_INSERT_DAY, key)


def reserve(conn: Connection, funder: FunderAppetite, day: date, amount: Decimal) -> bool:
    """Reserve ``amount`` of the funder's quota for ``day``; false if it does not fit."""
    if funder.daily_quota is None:
        return True
    _ensure_day(conn, funder.id, day)
    done = conn.execute(
        _RESERVE, {"fid": funder.id, "d": day, "amount": amount, "quota": funder.daily_quota}
    )
    return done.rowcount == 1


def route(
    conn: Connection,
    funders: Sequence[FunderAppetite],
    *,
    grade: str | None,
    score: float | None,
    apr: float,
    product: str,
    day: date,
    amount: Decimal,
) -> FunderAppetite | None:
    """The first funder of ``funders`` (in the order given: a :class:`FunderRanking`'s)
    whose appetite fits and whose quota takes ``amount`` (reserved in ``conn``'s
    transaction); ``None`` if no funder can."""
    for funder in funders:
        if funder.accepts(grade=grade, score=score, apr=apr, product=product) and reserve(
            conn, funder, day, amount
        ):
            return funder
    return None


def settle(conn: Connection, external_id: str, accepted: bool) -> FunderStatus:
    """Record the recommended funder's own decision: book the reserved amount (accepted) or
    release it (refused). Deciding twice the same way is a no-op; changing it is an error."""
    o = conn.execute(select(_ORIG).where(_ORIG.c.external_id == external_id)).first()
    if o is None:
        raise NotFoundError("application_id", external_id)
    wanted = FunderStatus.ACCEPTED if accepted else FunderStatus.REFUSED
    current = FunderStatus(o.funder_status)
    if current == wanted:
        return current
    if current != FunderStatus.RECOMMENDED:
        raise InvalidInputError(
            "accepted",
            f"application {external_id} has funder status {current.value}; "
            "only a recommended application takes a funder decision",
        )
    params = {"fid": o.funder_id, "d": o.funder_day, "amount": o.funder_amount or Decimal(0)}
    conn.execute(_BOOK if accepted else _RELEASE, params)
    conn.execute(
        update(_ORIG).where(_ORIG.c.external_id == external_id).values(funder_status=wanted)
    )
    return wanted
