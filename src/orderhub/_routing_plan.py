"""The routing plan (assignments and backorders, each with its reason) and the
protocols of the routing machinery; public through :mod:`orderhub.routing`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, Protocol, runtime_checkable

import attrs

from orderhub._network import Location
from orderhub._orders import Order
from orderhub._view import NetworkView
from orderhub.errors import InvalidQuantity, ValidationError

__all__ = [
    "NO_SUPPLY",
    "Assignment",
    "Backorder",
    "Claimer",
    "LocationFilter",
    "PlannedLine",
    "Ranker",
    "RoutingPlan",
    "RoutingStrategy",
]

NO_SUPPLY = "no stock and no incoming supply"
"""The reason of a backorder that waits with no supply to fill it."""


# -- validation helpers ------------------------------------------------------------------


def _v_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=a.alias, value=value)


def _v_opt_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _v_text(_, a, value)


def _v_positive(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidQuantity("must be a positive integer", field=a.alias, value=value)


@functools.cache
def _tuple_of(kind: type | tuple[type, ...], name: str) -> Callable[[Any], tuple[Any, ...]]:
    """The converter of a field that holds a tuple of ``kind`` (made once per field)."""

    def convert(value: Any) -> tuple[Any, ...]:
        t = type(value)
        if (
            t is not tuple  # tuples and lists pass: no need to ask the ABCs
            and t is not list
            and (isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable))
        ):
            raise ValidationError("must be a sequence", field=name, value=value)
        items = tuple(value)
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise ValidationError(
                    f"must be a {getattr(kind, '__name__', 'valid item')}",
                    field=f"{name}[{i}]",
                    value=item,
                )
        return items

    return convert


# -- the plan ----------------------------------------------------------------------------


def _planned_lines(value: Iterable[PlannedLine]) -> tuple[PlannedLine, ...]:
    return _tuple_of(PlannedLine, "lines")(value)


def _assignments(value: Iterable[Assignment]) -> tuple[Assignment, ...]:
    return _tuple_of(Assignment, "assignments")(value)


def _backorders(value: Iterable[Backorder]) -> tuple[Backorder, ...]:
    return _tuple_of(Backorder, "backorders")(value)


@attrs.frozen(kw_only=True)
class PlannedLine:
    """``quantity`` units of order line ``line_no`` (SKU ``sku``) in one assignment."""

    line_no: int = attrs.field(validator=_v_positive)
    sku: str = attrs.field(validator=_v_text)
    quantity: int = attrs.field(validator=_v_positive)


@attrs.frozen(kw_only=True)
class Assignment:
    """One shipment of a plan: the location, the ERP back end it runs on, the units of each
    line it fills, and why it was chosen.

    Guarantees: at least one line, each line number at most once, in line order.
    """

    location_id: str = attrs.field(validator=_v_text)
    erp: str = attrs.field(validator=_v_text)
    lines: tuple[PlannedLine, ...] = attrs.field(converter=_planned_lines)
    reason: str = attrs.field(validator=_v_text)

    def __attrs_post_init__(self) -> None:
        numbers = [pl.line_no for pl in self.lines]
        if not numbers:
            raise ValidationError("an assignment needs at least one line", field="lines", value=[])
        if numbers != sorted(set(numbers)):
            raise ValidationError(
                "each line at most once, in line order", field="lines", value=numbers
            )

    def quantity_for(self, line_no: int) -> int:
        """Units of line ``line_no`` in this assignment (0 if none)."""
        return sum(pl.quantity for pl in self.lines if pl.line_no == line_no)


@attrs.frozen(kw_only=True)
class Backorder:
    """Units of one line that wait: for supply ``supply_id`` expected at ``location_id`` on
    ``expected``, or, when ``supply_id`` is None, for stock nobody has ordered yet.

    Waiting without supply is a legitimate outcome, not an error.
    """

    line_no: int = attrs.field(validator=_v_positive)
    sku: str = attrs.field(validator=_v_text)
    quantity: int = attrs.field(validator=_v_positive)
    supply_id: str | None = attrs.field(default=None, validator=_v_opt_text)
    location_id: str | None = attrs.field(default=None, validator=_v_opt_text)
    expected: date | None = attrs.field(default=None)
    reason: str = attrs.field(validator=_v_text)

    def __attrs_post_init__(self) -> None:
        if self.supply_id is not None and (self.location_id is None or self.expected is None):
            raise ValidationError(
                "a backorder against a supply names its location and expected date",
                field="supply_id",
                value=self.supply_id,
            )

    @property
    def has_supply(self) -> bool:
        """True when the units wait for a known incoming supply."""
        return self.supply_id is not None


@attrs.frozen(kw_only=True)
class RoutingPlan:
    """What a strategy decided for the open units of one order: assignments (one per
    location) and backorders, each with its reason.

    Guarantees on construction: at most one assignment per location. :meth:`check` verifies
    the plan against its order: every line's open units are planned exactly once.
    """

    order_id: str = attrs.field(validator=_v_text)
    assignments: tuple[Assignment, ...] = attrs.field(default=(), converter=_assignments)
    backorders: tuple[Backorder, ...] = attrs.field(default=(), converter=_backorders)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for a in self.assignments:
            if a.location_id in seen:
                raise ValidationError(
                    "one assignment per location",
                    field="assignments",
                    value=a.location_id,
                    entity_id=self.order_id,
                )
            seen.add(a.location_id)

    @property
    def locations(self) -> tuple[str, ...]:
        """The ids of the locations assigned, in plan order."""
        return tuple(a.location_id for a in self.assignments)

    @property
    def is_empty(self) -> bool:
        """True when the plan assigns and backorders nothing."""
        return not self.assignments and not self.backorders

    def assigned(self, line_no: int) -> int:
        """Units of line ``line_no`` assigned to locations."""
        return sum(a.quantity_for(line_no) for a in self.assignments)

    def backordered(self, line_no: int) -> int:
        """Units of line ``line_no`` backordered."""
        return sum(b.quantity for b in self.backorders if b.line_no == line_no)

    def quantity_for(self, line_no: int) -> int:
        """Units of line ``line_no`` planned: assigned + backordered."""
        return self.assigned(line_no) + self.backordered(line_no)

    def check(self, order: Order) -> None:
        """Verify that this plan routes exactly ``order``'s open units.

        Raises:
            ValidationError: the plan is for another order, or names a line the order does
                not have, or with another SKU.
            InvalidQuantity: a line's planned units differ from its open quantity.
        """
        if order.id != self.order_id:
            raise ValidationError(
                "plan is for another order",
                field="order_id",
                value=self.order_id,
                entity_id=order.id,
            )
        lines = {line.line_no: line for line in order.lines}
        planned: dict[int, int] = {}
        entries = [
            *((pl.line_no, pl.sku, pl.quantity) for a in self.assignments for pl in a.lines),
            *((b.line_no, b.sku, b.quantity) for b in self.backorders),
        ]
        for line_no, sku, quantity in entries:
            line = lines.get(line_no)
            if line is None or line.sku != sku:
                raise ValidationError(
                    "plan names a line the order does not have",
                    field="line_no",
                    value=(line_no, sku),
                    entity_id=order.id,
                )
            planned[line_no] = planned.get(line_no, 0) + quantity
        for i, line in enumerate(order.lines):
            n = planned.get(line.line_no, 0)
            if n != line.quantities.open:
                raise InvalidQuantity(
                    f"line {line.line_no}: plan routes {n} unit(s), {line.quantities.open} "
                    "are open",
                    field=f"lines[{i}]",
                    value=n,
                    entity_id=order.id,
                )


# -- ports of the routing machinery -------------------------------------------------------


@runtime_checkable
class RoutingStrategy(Protocol):
    """Protocol: decides where an order's open units come from.

    ``plan`` must route every open unit of every line (lines with nothing open are left
    alone), use only what ``network`` shows (never an excluded location), give a reason
    for every choice, and be deterministic: the same order and view give an equal plan.
    """

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units over ``network``."""
        ...


@runtime_checkable
class Claimer(Protocol):
    """Protocol: a stage of :func:`compose` that routes the lines it claims (all their open
    units) and leaves the other lines, untouched, to the next stage."""

    def claim(self, order: Order, network: NetworkView) -> RoutingPlan:
        """A plan covering the open units of the claimed lines and nothing else."""
        ...


@runtime_checkable
class LocationFilter(Protocol):
    """Protocol: an eligibility rule of a :class:`Pipeline`; a location it refuses is not
    used for the order (neither its stock nor its incoming supply)."""

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True when ``location`` may fulfil ``order``."""
        ...


@runtime_checkable
class Ranker(Protocol):
    """Protocol: orders eligible locations, lower keys first; a :class:`Pipeline` sorts by
    its rankers' keys in turn and then by location id.

    ``label`` names the preference in reasons (``"closest"``), ``measure`` shows a
    location's value (``"12.4 km"``).
    """

    @property
    def label(self) -> str:
        """The preference, as reasons say it."""
        ...

    def key(self, location: Location, order: Order, network: NetworkView) -> tuple[Any, ...]:
        """The sort key of ``location`` for ``order``; must be totally ordered."""
        ...

    def measure(self, location: Location, order: Order, network: NetworkView) -> str:
        """``location``'s value for the reason, e.g. ``"12.4 km"``."""
        ...
