"""Segments as named, composable predicates over profiles; the events of membership; offers.

A :class:`Segment` is a name and a test of a :class:`Profile`. Segments compose with ``&``,
``|`` and ``~`` into new segments; the hub keeps the membership of the segments it was told
about (``hub.insights.define``) and records :class:`CustomerEnteredSegment` and
:class:`CustomerLeftSegment` as profiles change. An :class:`OfferRule` targets an offer at a
segment through one contact channel, within a validity window, at a priority.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import attrs

from orderhub._identity import AttributeValue
from orderhub._insight_profiles import Profile
from orderhub._insight_rfm import RFM_SEGMENTS
from orderhub._money import Money
from orderhub._values import Channel, ConsentChannel
from orderhub.errors import ValidationError
from orderhub.events import CustomerEnteredSegment, CustomerLeftSegment

__all__ = [
    "CustomerEnteredSegment",
    "CustomerLeftSegment",
    "OfferMatch",
    "OfferRule",
    "Segment",
    "Target",
]


def _name(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=a.alias, value=value)


def _segment(other: object, op: str) -> Segment:
    if not isinstance(other, Segment):
        raise ValidationError(f"can only {op} a Segment", field="other", value=other)
    return other


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=field, value=value)
    return value


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("must be a non-negative int", field=field, value=value)
    return value


# The tests of composed and ready-made segments are values, so that two segments built the
# same way are equal (and defining one twice changes nothing).


@attrs.frozen
class _All:
    parts: tuple[Callable[[Profile], bool], ...]

    def __call__(self, p: Profile) -> bool:
        return all(t(p) for t in self.parts)


@attrs.frozen
class _Any:
    parts: tuple[Callable[[Profile], bool], ...]

    def __call__(self, p: Profile) -> bool:
        return any(t(p) for t in self.parts)


@attrs.frozen
class _Not:
    part: Callable[[Profile], bool]

    def __call__(self, p: Profile) -> bool:
        return not self.part(p)


@attrs.frozen
class _RfmSegment:
    name: str

    def __call__(self, p: Profile) -> bool:
        return p.rfm_score is not None and p.rfm_score.segment == self.name


@attrs.frozen
class _Consented:
    channel: ConsentChannel

    def __call__(self, p: Profile) -> bool:
        return p.consents.get(self.channel, False)


@attrs.frozen
class _Attribute:
    name: str
    value: AttributeValue

    def __call__(self, p: Profile) -> bool:
        return self.name in p.attributes and p.attributes[self.name] == self.value


@attrs.frozen
class _OrderedAtLeast:
    orders: int

    def __call__(self, p: Profile) -> bool:
        return p.orders >= self.orders


@attrs.frozen
class _SpentAtLeast:
    amount: Money

    def __call__(self, p: Profile) -> bool:
        return p.revenue_in(self.amount.currency) >= self.amount


@attrs.frozen
class _BoughtCategory:
    category: str

    def __call__(self, p: Profile) -> bool:
        return p.category_mix.get(self.category, 0) > 0


@attrs.frozen
class _UsedChannel:
    channel: Channel

    def __call__(self, p: Profile) -> bool:
        return p.channel_mix.get(self.channel, 0) > 0


@attrs.frozen
class _IdleFor:
    days: int

    def __call__(self, p: Profile) -> bool:
        idle = p.days_since_last_purchase
        return idle is not None and idle >= self.days


class Segment:
    """A named test of a customer's :class:`Profile`.

    ``Segment("big spenders", lambda p: p.revenue_in("USD") >= Money("500.00", "USD"))``.
    ``a & b``, ``a | b`` and ``~a`` are segments too (named ``(a & b)``, ``(a | b)``,
    ``~a``; rename one with :meth:`named`). The test must depend on the profile alone, so
    that membership can be kept as profiles change. Two segments are equal when their names
    and tests are: the ready-made ones and their compositions compare by value.

    A segment is code, not data: it is not serialised. What refers to one (an
    :class:`OfferRule`) names it.
    """

    __slots__ = ("name", "test")

    name: str
    test: Callable[[Profile], bool]

    def __init__(self, name: str, test: Callable[[Profile], bool]) -> None:
        object.__setattr__(self, "name", _text(name, "name"))
        if not callable(test):
            raise ValidationError("must be callable with a Profile", field="test", value=test)
        object.__setattr__(self, "test", test)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Segment is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segment):
            return NotImplemented
        return (self.name, self.test) == (other.name, other.test)

    def __hash__(self) -> int:
        return hash((self.name, self.test))

    def __repr__(self) -> str:
        return f"Segment({self.name!r})"

    def __call__(self, profile: Profile) -> bool:
        """Whether ``profile`` belongs to this segment."""
        return bool(self.test(profile))

    def __and__(self, other: Segment) -> Segment:
        b = _segment(other, "combine")
        return Segment(f"({self.name} & {b.name})", _All((self.test, b.test)))

    def __or__(self, other: Segment) -> Segment:
        b = _segment(other, "combine")
        return Segment(f"({self.name} | {b.name})", _Any((self.test, b.test)))

    def __invert__(self) -> Segment:
        return Segment(f"~{self.name}", _Not(self.test))

    def named(self, name: str) -> Segment:
        """The same test under another name."""
        return Segment(name, self.test)

    # -- ready-made segments --------------------------------------------------------------

    @classmethod
    def rfm(cls, name: str) -> Segment:
        """Customers whose RFM scores (from the last refresh) put them in the named RFM
        segment: one of ``champions``, ``loyal``, ``potential loyalists``, ``new``,
        ``at risk``, ``can't lose``, ``hibernating``, ``lost``."""
        if name not in RFM_SEGMENTS:
            raise ValidationError(
                f"must be one of {', '.join(RFM_SEGMENTS)}", field="name", value=name
            )
        return cls(name, _RfmSegment(name))

    @classmethod
    def consented(cls, channel: ConsentChannel) -> Segment:
        """Customers who consent to marketing through ``channel``."""
        if not isinstance(channel, ConsentChannel):
            raise ValidationError("must be a ConsentChannel", field="channel", value=channel)
        return cls(f"consented:{channel.value}", _Consented(channel))

    @classmethod
    def attribute(cls, name: str, value: AttributeValue) -> Segment:
        """Customers whose latest captured ``name`` attribute equals ``value``."""
        return cls(f"{_text(name, 'name')}={value!r}", _Attribute(name, value))

    @classmethod
    def ordered_at_least(cls, orders: int) -> Segment:
        """Customers with at least ``orders`` live orders."""
        return cls(f"orders>={_count(orders, 'orders')}", _OrderedAtLeast(orders))

    @classmethod
    def spent_at_least(cls, amount: Money) -> Segment:
        """Customers whose net revenue in ``amount``'s currency is at least ``amount``."""
        if not isinstance(amount, Money):
            raise ValidationError("must be Money", field="amount", value=amount)
        return cls(f"spent>={amount}", _SpentAtLeast(amount))

    @classmethod
    def bought_category(cls, category: str) -> Segment:
        """Customers who kept at least one unit of ``category``."""
        return cls(f"category:{_text(category, 'category')}", _BoughtCategory(category))

    @classmethod
    def used_channel(cls, channel: Channel) -> Segment:
        """Customers with a live order captured on ``channel``."""
        if not isinstance(channel, Channel):
            raise ValidationError("must be a Channel", field="channel", value=channel)
        return cls(f"channel:{channel.value}", _UsedChannel(channel))

    @classmethod
    def idle_for(cls, days: int) -> Segment:
        """Customers whose last purchase lies at least ``days`` days before the last
        refresh (never-buyers are not idle: they never started)."""
        return cls(f"idle>={_count(days, 'days')}d", _IdleFor(days))


# -- offers -------------------------------------------------------------------------------


def _segment_name(_: object, a: attrs.Attribute[Any], value: object) -> None:
    _text(value, "segment")


def _is_consent_channel(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, ConsentChannel):
        raise ValidationError("must be a ConsentChannel", field="channel", value=value)


def _is_int(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("must be an int", field=a.alias, value=value)


def _is_day(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise ValidationError("must be a date or None", field=a.alias, value=value)


@attrs.frozen(kw_only=True)
class OfferRule:
    """Offer ``offer`` to the members of the defined segment named ``segment`` through
    ``channel``.

    Valid from ``valid_from`` to ``valid_until``, both days included (``None``: open). A
    higher ``priority`` wins when several offers fit a customer. Only customers who consent
    to marketing through ``channel`` are ever targeted. The rule names its segment: rules
    are data, which a host may store; segments are code, defined with ``Insights.define``.
    """

    segment: str = attrs.field(validator=_segment_name)
    offer: str = attrs.field(validator=_name)
    channel: ConsentChannel = attrs.field(validator=_is_consent_channel)
    priority: int = attrs.field(default=0, validator=_is_int)
    valid_from: date | None = attrs.field(default=None, validator=_is_day)
    valid_until: date | None = attrs.field(default=None, validator=_is_day)

    def __attrs_post_init__(self) -> None:
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        ):
            raise ValidationError(
                f"must not lie before valid_from ({self.valid_from.isoformat()})",
                field="valid_until",
                value=self.valid_until.isoformat(),
            )

    def is_valid_on(self, day: date) -> bool:
        """Whether the rule applies on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    @property
    def window(self) -> str:
        """The validity window in words."""
        a = "always" if self.valid_from is None else f"from {self.valid_from.isoformat()}"
        b = "" if self.valid_until is None else f" until {self.valid_until.isoformat()}"
        if self.valid_from is None and self.valid_until is not None:
            return b.strip()
        return a + b


@attrs.frozen(kw_only=True)
class Target:
    """One customer to receive ``offer`` through ``channel``, and the rule that chose it."""

    customer_id: str
    offer: str
    channel: ConsentChannel
    priority: int
    segment: str


@attrs.frozen(kw_only=True)
class OfferMatch:
    """An offer that fits a customer on a day, and why."""

    offer: str
    channel: ConsentChannel
    priority: int
    segment: str
    why: str
