"""orderhub.routing: which location (and so which ERP back end) fulfils which units of an
order, which units wait for incoming supply, and why.

A :class:`RoutingStrategy` turns an order and a :class:`NetworkView` into a
:class:`RoutingPlan`. Every strategy here follows the same rules:

- Only open units are routed, and all of them: for every line, Σ assigned + Σ backordered
  equals the line's open quantity (:meth:`RoutingPlan.check`).
- On-hand stock beats incoming supply. Units that cannot be filled from on-hand are
  backordered against supplies, the earliest expected date first and equal dates by the
  lowest supply id, using only their uncommitted units. With no supply they wait
  (a :class:`Backorder` without a supply): waiting is a plan, not an error.
- Demand for one SKU is summed over the order's lines before it is checked against a
  location, and what one plan takes from a location or a supply is tracked, so a plan
  never counts the same units twice.
- A single location that fills the whole order is preferred to a split.
- Ties always end in the location id (the lowest id first): the documented stable rule.
  The same order over the same view gives the same plan, reasons included.
- Strategies work from the view's per-SKU candidates, never from a scan of the network, so
  their cost does not grow with the number of locations.
- Every assignment and backorder carries a human-readable reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from orderhub._network import Location
from orderhub._orders import Order, OrderLine
from orderhub._routing_plan import (
    NO_SUPPLY,
    Assignment,
    Backorder,
    Claimer,
    LocationFilter,
    PlannedLine,
    Ranker,
    RoutingPlan,
    RoutingStrategy,
    _tuple_of,
    _v_text,
)
from orderhub._routing_rules import (
    AllowSplit,
    ByCost,
    ByDistance,
    ByRank,
    ForChannel,
    HasCapability,
    HasCapacity,
    OwnedBy,
    ServesShipTo,
    ShipComplete,
    SplitPolicy,
    shipment_cost,
)
from orderhub._routing_run import _holding, _line_numbers, _merge, _narrowed, _pipeline_plan, _Run
from orderhub._view import UNLIMITED, NetworkView
from orderhub.errors import ValidationError

__all__ = [
    "NO_SUPPLY",
    "UNLIMITED",
    "AllowSplit",
    "Assignment",
    "Backorder",
    "ByCost",
    "ByDistance",
    "ByOwner",
    "ByRank",
    "Claimer",
    "Closest",
    "Composed",
    "DropShip",
    "FewestShipments",
    "ForChannel",
    "HasCapability",
    "HasCapacity",
    "LocationFilter",
    "LowestCost",
    "NetworkView",
    "OwnedBy",
    "Pipeline",
    "PlannedLine",
    "Priority",
    "Ranker",
    "RoutingPlan",
    "RoutingStrategy",
    "ServesShipTo",
    "ShipComplete",
    "SplitPolicy",
    "compose",
    "shipment_cost",
]


def _claimers(value: Iterable[Claimer]) -> tuple[Claimer, ...]:
    return _tuple_of(Claimer, "claimers")(value)


def _filters(value: Iterable[LocationFilter]) -> tuple[LocationFilter, ...]:
    return _tuple_of(LocationFilter, "filters")(value)


def _rankers(value: Iterable[Ranker]) -> tuple[Ranker, ...]:
    return _tuple_of(Ranker, "rankers")(value)


def _v_split(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, (ShipComplete, AllowSplit)):
        raise ValidationError("must be ShipComplete() or AllowSplit()", field="split", value=value)


def _v_fallback(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, RoutingStrategy):
        raise ValidationError("must be a RoutingStrategy or None", field="fallback", value=value)


@attrs.frozen(kw_only=True)
class Pipeline:
    """The general strategy: eligibility ``filters``, ``rankers`` for the order of
    preference, a ``split`` policy and an optional ``fallback``.

    Candidates are the locations with stock of the order's SKUs (and, for drop-ship items,
    their vendor's drop shippers) that every filter accepts. They are sorted by each ranker
    in turn, then by location id. The first location that fills every open unit gets the
    whole order. Otherwise, under :class:`ShipComplete` nothing ships; under
    :class:`AllowSplit` locations are taken in ranked order, first for the SKUs each can
    fill completely, then for partial quantities, within the policy's limits. Units left
    over go to ``fallback`` (which sees the rest of the order and a view without the units
    already taken), or without one are backordered against the supplies of eligible
    locations.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    rankers: tuple[Ranker, ...] = attrs.field(default=(), converter=_rankers)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units (see the class docstring)."""
        return _pipeline_plan(
            order, network, self.filters, self.rankers, self.split, self.fallback
        )


_BY_DISTANCE: tuple[Ranker, ...] = (ByDistance(),)
_BY_RANK: tuple[Ranker, ...] = (ByRank(),)
_BY_COST: tuple[Ranker, ...] = (ByCost(),)


@attrs.frozen(kw_only=True)
class Closest:
    """The nearest location to the ship-to point (great-circle distance), ties by location
    id; orders or locations without a position fall back to the location id.

    A :class:`Pipeline` with one ranker, :class:`ByDistance`; ``filters``, ``split`` and
    ``fallback`` as there. Reasons read ``closest with full availability: 12.4 km``.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units, nearest first."""
        return _pipeline_plan(
            order, network, self.filters, _BY_DISTANCE, self.split, self.fallback
        )


@attrs.frozen(kw_only=True)
class Priority:
    """The location with the lowest :attr:`Location.rank` (1 before 2), ties by id.

    A :class:`Pipeline` with one ranker, :class:`ByRank`. Reasons read
    ``highest priority with full availability: rank 1``.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units, highest priority first."""
        return _pipeline_plan(order, network, self.filters, _BY_RANK, self.split, self.fallback)


@attrs.frozen(kw_only=True)
class LowestCost:
    """The location whose shipment costs least (:func:`shipment_cost`), ties by id.

    A :class:`Pipeline` with one ranker, :class:`ByCost`. Reasons read
    ``lowest cost with full availability: 12.40 USD``.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units, cheapest first."""
        return _pipeline_plan(order, network, self.filters, _BY_COST, self.split, self.fallback)


@attrs.frozen(kw_only=True)
class FewestShipments:
    """As few locations as possible, then the nearest, then the lowest id.

    One location that fills the order wins. Otherwise locations are chosen greedily: each
    step takes the location that can fill the most of the units still needed (ties:
    nearer, then lower id). Greedy set cover is not always the minimum, but it is close and
    its cost stays small. Leftovers go to ``fallback`` or are backordered.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units over the fewest locations."""
        run = _Run(order, network, self.filters)
        if not run.groups:
            return RoutingPlan(order_id=order.id)
        single = run.best_single(_BY_DISTANCE)
        if single is not None:
            km = _BY_DISTANCE[0].measure(single, order, network)
            reason = f"fewest shipments: one location fills the order ({km})"
            run.take(single.id, run.offer(single.id, whole=False), reason)
            return run.finish(self.fallback)
        ranked = run.ranked(_BY_DISTANCE)
        chosen: list[Location] = []
        while run.remaining:
            best: tuple[Location, dict[str, int]] | None = None
            best_units = 0
            for location in ranked:
                takes = run.offer(location.id, whole=False)
                units = sum(takes.values())
                if units > best_units:
                    best, best_units = (location, takes), units
            if best is None:
                break
            run.take(best[0].id, best[1], "")
            chosen.append(best[0])
        for i, location in enumerate(chosen, 1):
            km = _BY_DISTANCE[0].measure(location, order, network)
            run.reasons[location.id] = (
                f"split: fewest shipments: shipment {i} of {len(chosen)} ({km})"
            )
        return run.finish(self.fallback)


# -- claimers ----------------------------------------------------------------------------


def _only(order: Order, keep: Iterable[int]) -> Order:
    """``order`` with every line but ``keep`` moved out of the way (nothing open)."""
    kept = set(keep)
    return _narrowed(
        order,
        {line.line_no: line.quantities.open for line in order.lines if line.line_no not in kept},
    )


def _by_key(order: Order, key: Callable[[OrderLine], str | None]) -> dict[str, list[OrderLine]]:
    """The open lines with a key, grouped by it in order of first appearance."""
    groups: dict[str, list[OrderLine]] = {}
    for line in order.lines:
        k = key(line)
        if k is not None and line.quantities.open > 0:
            groups.setdefault(k, []).append(line)
    return groups


@attrs.frozen(kw_only=True)
class ByOwner:
    """Lines whose item belongs to another company than ``home`` (an acquired brand) go to
    that company's locations, and so to its ERP back end; other lines fall through.

    Within the owner's locations the ``rankers`` and ``split`` of a :class:`Pipeline`
    decide; the owner's incoming supply fills backorders; with neither, the lines wait —
    they never go to another company's locations. Reasons read ``items owned by acme are
    fulfilled by acme's ERP (erp-acme); closest with full availability: 12.4 km``.

    In :func:`compose` it claims those lines; used alone, the other lines go to
    :class:`Closest`.
    """

    home: str = attrs.field(default="main", validator=_v_text)
    rankers: tuple[Ranker, ...] = attrs.field(default=_BY_DISTANCE, converter=_rankers)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)

    def claim(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for the lines owned by companies other than ``home``."""
        plans: list[RoutingPlan] = []
        view = network
        for owner, lines in _by_key(
            order, lambda line: None if line.owner == self.home else line.owner
        ).items():
            inner = _pipeline_plan(
                _only(order, (line.line_no for line in lines)),
                view,
                (OwnedBy(owner),),
                self.rankers,
                self.split,
                None,
            )
            view = _holding(view, inner)
            plans.append(
                RoutingPlan(
                    order_id=order.id,
                    assignments=tuple(
                        attrs.evolve(
                            a,
                            reason=f"items owned by {owner} are fulfilled by {owner}'s ERP "
                            f"({a.erp}); {a.reason}",
                        )
                        for a in inner.assignments
                    ),
                    backorders=tuple(
                        attrs.evolve(b, reason=f"items owned by {owner}: {b.reason}")
                        for b in inner.backorders
                    ),
                )
            )
        return _merge(order.id, plans) if plans else RoutingPlan(order_id=order.id)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Claim the other companies' lines; the rest go to :class:`Closest`."""
        return Composed(claimers=(self,), then=Closest()).plan(order, network)


@attrs.frozen
class DropShip:
    """Lines of drop-ship items go to their vendor's drop shipper (the nearest, then the
    lowest id, if the vendor has several); other lines fall through, and so do the lines of
    a vendor with no drop-ship location in view. Reasons read ``drop-shipped by
    boardworks``.

    In :func:`compose` it claims those lines; used alone, the other lines go to
    :class:`Closest`.
    """

    def claim(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for the lines of vendors that have a drop shipper in view."""
        plans: list[RoutingPlan] = []
        for vendor, lines in _by_key(order, lambda line: line.drop_ship_vendor).items():
            shippers = network.drop_shippers(vendor)
            if not shippers:
                continue
            best = min(
                shippers, key=lambda loc: (*_BY_DISTANCE[0].key(loc, order, network), loc.id)
            )
            assignment = Assignment(
                location_id=best.id,
                erp=best.erp,
                lines=tuple(
                    PlannedLine(line_no=line.line_no, sku=line.sku, quantity=line.quantities.open)
                    for line in lines
                ),
                reason=f"drop-shipped by {vendor}",
            )
            plans.append(RoutingPlan(order_id=order.id, assignments=(assignment,)))
        return _merge(order.id, plans)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Claim the drop-ship lines; the rest go to :class:`Closest`."""
        return Composed(claimers=(self,), then=Closest()).plan(order, network)


def _claims_nothing(claimer: Claimer, order: Order) -> bool:
    """True when ``claimer`` is a built-in one with no open line of ``order`` to claim: its
    plan would be empty, so :class:`Composed` need not ask for it."""
    if type(claimer) is ByOwner:
        home = claimer.home
        return all(line.owner == home or not line.quantities.open for line in order.lines)
    if type(claimer) is DropShip:
        return all(
            line.drop_ship_vendor is None or not line.quantities.open for line in order.lines
        )
    return False


# -- composition -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Composed:
    """Claimers in turn, then a full strategy for what nobody claimed (see :func:`compose`).

    Each stage sees the order with the lines claimed before it taken out (no open units)
    and a view in which the units planned before it are already held.
    """

    claimers: tuple[Claimer, ...] = attrs.field(converter=_claimers)
    then: RoutingStrategy = attrs.field()

    @then.validator
    def _check_then(self, a: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, RoutingStrategy):
            raise ValidationError("must be a RoutingStrategy", field="then", value=value)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Every claimer's plan, then the final strategy's, merged into one."""
        plans: list[RoutingPlan] = []
        rest, view = order, network
        for claimer in self.claimers:
            if _claims_nothing(claimer, rest):
                continue
            claimed = claimer.claim(rest, view)
            if claimed.is_empty:
                continue
            plans.append(claimed)
            rest = _narrowed(rest, {n: claimed.quantity_for(n) for n in _line_numbers(rest)})
            view = _holding(view, claimed)
        plans.append(self.then.plan(rest, view))
        return _merge(order.id, plans)


def compose(*strategies: Claimer | RoutingStrategy) -> Composed:
    """Chain claimers ending in a full strategy: ``compose(ByOwner(), DropShip(),
    Closest())``.

    Every stage but the last must be a :class:`Claimer`; the last must be a
    :class:`RoutingStrategy`.

    Raises:
        ValidationError: no strategies, a stage before the last that cannot claim, or a
            last stage that cannot plan.
    """
    if not strategies:
        raise ValidationError("compose needs at least one strategy", field="strategies", value=())
    *stages, last = strategies
    claimers: list[Claimer] = []
    for i, c in enumerate(stages):
        if not isinstance(c, Claimer):
            raise ValidationError(
                "only the last strategy may be a full strategy; this one cannot claim lines",
                field=f"strategies[{i}]",
                value=c,
            )
        claimers.append(c)
    if not isinstance(last, RoutingStrategy):
        raise ValidationError(
            "the last strategy must plan whole orders",
            field=f"strategies[{len(strategies) - 1}]",
            value=last,
        )
    return Composed(claimers=tuple(claimers), then=last)
