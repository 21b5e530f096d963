"""One routing run (the demand per SKU, what is left where, what is taken), the
helpers that compose plans and the pipeline every built-in strategy runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from orderhub._money import Money
from orderhub._network import Location
from orderhub._orders import Order, OrderLine
from orderhub._routing_plan import (
    NO_SUPPLY,
    Assignment,
    Backorder,
    LocationFilter,
    PlannedLine,
    Ranker,
    RoutingPlan,
    RoutingStrategy,
)
from orderhub._routing_rules import (
    _PURE_FILTERS,
    AllowSplit,
    ByDistance,
    HasCapacity,
    ShipComplete,
    SplitPolicy,
    _nearest_candidates,
)
from orderhub._view import NetworkView
from orderhub.errors import CurrencyMismatch, InvalidQuantity

if TYPE_CHECKING:
    from orderhub._stock import Supply

__all__ = ["_Run", "_holding", "_line_numbers", "_merge", "_narrowed", "_pipeline_plan"]

# -- one routing run: demand, what is left where, what is taken ---------------------------


def _can_defer(view: NetworkView, filters: Sequence[LocationFilter]) -> bool:
    """Whether a routing run may gather its candidates only when it needs them all: over
    the hub's own view, with built-in filters only."""
    return type(view) is NetworkView and all(type(f) in _PURE_FILTERS for f in filters)


class _Group:
    """The open demand of one SKU in one order, over its lines in line order."""

    __slots__ = ("lines", "need", "price", "sku", "vendor")

    def __init__(self, line: OrderLine) -> None:
        self.sku = line.sku
        self.vendor = line.drop_ship_vendor
        self.lines: list[OrderLine] = [line]
        self.need = line.quantities.open
        self.price = line.unit_price

    def add(self, line: OrderLine) -> None:
        self.lines.append(line)
        self.need += line.quantities.open
        if line.unit_price.currency == self.price.currency and line.unit_price < self.price:
            self.price = line.unit_price


class _Spread:
    """Hands a SKU's units out to its lines in line order: line 1 is filled first."""

    __slots__ = ("_cursor", "_left")

    def __init__(self, group: _Group) -> None:
        self._left = [[line.line_no, line.quantities.open] for line in group.lines]
        self._cursor = 0

    def take(self, n: int) -> list[tuple[int, int]]:
        """(line no, units) for the next ``n`` units."""
        out: list[tuple[int, int]] = []
        while n:
            entry = self._left[self._cursor]
            k = min(n, entry[1])
            out.append((entry[0], k))
            entry[1] -= k
            n -= k
            if not entry[1]:
                self._cursor += 1
        return out


class _Run:
    """The state of routing one order: the demand per SKU, the eligible candidates and the
    units left at each, the shipments chosen so far and the backorders."""

    def __init__(self, order: Order, view: NetworkView, filters: Sequence[LocationFilter]) -> None:
        self.order = order
        self.view = view
        self.filters = filters
        self._accepted: dict[str, bool] = {}
        groups: dict[str, _Group] = {}
        for line in order.lines:
            if line.quantities.open > 0:
                group = groups.get(line.sku)
                if group is None:
                    groups[line.sku] = _Group(line)
                else:
                    group.add(line)
        self.groups = list(groups.values())
        self.locations: dict[str, Location] = {}
        self.left: dict[tuple[str, str], int] = {}
        self.shipments: dict[str, dict[str, int]] = {}
        self.reasons: dict[str, str] = {}
        self.waits: dict[str, list[tuple[Supply | None, int, str]]] = {}
        self.blocked: list[str] = []
        # The hub's own view with built-in filters (pure, cheap) gathers the candidates only
        # when something needs them all: a single location that fills the order is found
        # without them (see best_single), and then only its units are entered.
        self._lazy = _can_defer(view, filters)
        if not self._lazy:
            self._gather()

    def _gather(self) -> None:
        """Enter every eligible candidate of every SKU and the units left at each."""
        view, locations, left = self.view, self.locations, self.left
        accepts = self.accepts if self.filters else None
        if type(view) is NetworkView:  # the hub's own view: straight into the tables
            for g in self.groups:
                view._gather(g.sku, g.vendor, locations, left, accepts)
        else:
            for g in self.groups:
                sku = g.sku
                for location, available in view.candidates(sku, drop_ship_vendor=g.vendor):
                    if accepts is None or accepts(location):
                        location_id = location.id
                        if location_id not in locations:
                            locations[location_id] = location
                        left[(location_id, sku)] = available

    def _tables(self) -> None:
        """Make the tables whole: a lazy run gathers every candidate now, less what it took."""
        if self._lazy:
            self._lazy = False
            self.locations = {}
            self.left = {}
            self._gather()
            left = self.left
            for location_id, shipment in self.shipments.items():
                for sku, n in shipment.items():
                    left[(location_id, sku)] -= n

    def accepts(self, location: Location, *, for_supply: bool = False) -> bool:
        if not self.filters:
            return True
        key = location.id if not for_supply else f"\0{location.id}"
        ok = self._accepted.get(key)
        if ok is None:
            ok = all(
                f.accepts(location, self.order, self.view)
                for f in self.filters
                if not (for_supply and isinstance(f, HasCapacity))
            )
            self._accepted[key] = ok
        return ok

    @property
    def remaining(self) -> int:
        return sum(g.need for g in self.groups)

    def _key(self, rankers: Sequence[Ranker]) -> Callable[[Location], tuple[Any, ...]]:
        order, view = self.order, self.view
        if len(rankers) == 1:
            (ranker,) = rankers
            return lambda loc: (ranker.key(loc, order, view), loc.id)
        return lambda loc: (*(r.key(loc, order, view) for r in rankers), loc.id)

    def ranked(self, rankers: Sequence[Ranker]) -> list[Location]:
        """The eligible candidates, best first: by each ranker in turn, then by id."""
        self._tables()
        return sorted(self.locations.values(), key=self._key(rankers))

    def best_single(self, rankers: Sequence[Ranker]) -> Location | None:
        """The best-ranked candidate that fills every open unit alone, if any."""
        lazy = self._lazy and not self.shipments
        if lazy:
            view = self.view
            needs = [(g.sku, g.vendor, g.need) for g in self.groups]
            full = view._filling(needs, self.accepts if self.filters else None)
        else:
            self._tables()
            full = self._full()
        if not full:
            return None
        if len(full) > 1 and len(rankers) == 1 and type(rankers[0]) is ByDistance:
            full = _nearest_candidates(full, self.order)
        best = min(full, key=self._key(rankers))
        if lazy:
            view._enter(best, [(g.sku, g.vendor) for g in self.groups], self.locations, self.left)
        return best

    def _full(self) -> list[Location]:
        """The candidates that fill every open unit alone, in the tables' order."""
        needs = [(g.sku, g.need) for g in self.groups if g.need]
        left = self.left
        full = []
        for location_id, location in self.locations.items():
            for sku, need in needs:
                if left.get((location_id, sku), 0) < need:
                    break
            else:
                full.append(location)
        return full

    def offer(self, location_id: str, *, whole: bool) -> dict[str, int]:
        """What ``location_id`` could take of the remaining demand (``whole``: only SKUs it
        can fill completely)."""
        if self._lazy and location_id not in self.locations:
            self._tables()
        takes: dict[str, int] = {}
        for g in self.groups:
            if g.need:
                have = self.left.get((location_id, g.sku), 0)
                if have > 0 and (not whole or have >= g.need):
                    takes[g.sku] = min(have, g.need)
        return takes

    def value(self, location_id: str, takes: Mapping[str, int]) -> Money:
        total = Money.zero(self.order.currency)
        by_sku = {g.sku: g for g in self.groups}
        for sku, n in (*self.shipments.get(location_id, {}).items(), *takes.items()):
            total = total + by_sku[sku].price * n
        return total

    def take(self, location_id: str, takes: Mapping[str, int], reason: str) -> None:
        if self._lazy and location_id not in self.locations:
            self._tables()
        shipment = self.shipments.setdefault(location_id, {})
        self.reasons.setdefault(location_id, reason)
        by_sku = {g.sku: g for g in self.groups}
        for sku, n in takes.items():
            shipment[sku] = shipment.get(sku, 0) + n
            self.left[(location_id, sku)] -= n
            by_sku[sku].need -= n

    def block(self, why: str) -> None:
        if why not in self.blocked:
            self.blocked.append(why)

    def backorder(self) -> None:
        """Backorder every unit still needed: against supplies, then waiting with none."""
        if self.remaining:
            self._tables()
        view = self.view
        for g in self.groups:
            if not g.need:
                continue
            has_stock = any(self.left.get((loc, g.sku), 0) > 0 for loc in self.locations)
            prefix = "; ".join(self.blocked) if self.blocked and has_stock else ""
            waits = self.waits.setdefault(g.sku, [])
            for supply, free in view.supplies(g.sku):
                if not self.accepts(view.location(supply.location_id), for_supply=True):
                    continue
                n = min(free, g.need)
                reason = f"on order: {supply.id} expected {supply.expected.isoformat()}"
                waits.append((supply, n, f"{prefix}; {reason}" if prefix else reason))
                g.need -= n
                if not g.need:
                    break
            if g.need:
                reason = f"{prefix}; no incoming supply" if prefix else NO_SUPPLY
                waits.append((None, g.need, reason))
                g.need = 0

    def plan(self) -> RoutingPlan:
        """The plan of what was taken and backordered, spread over the lines in line order."""
        planned: dict[str, list[PlannedLine]] = {loc: [] for loc in self.shipments}
        backorders: list[Backorder] = []
        for g in self.groups:
            spread = _Spread(g)
            for location_id, shipment in self.shipments.items():
                for line_no, k in spread.take(shipment.get(g.sku, 0)):
                    planned[location_id].append(
                        PlannedLine(line_no=line_no, sku=g.sku, quantity=k)
                    )
            for supply, n, reason in self.waits.get(g.sku, ()):
                for line_no, k in spread.take(n):
                    backorders.append(
                        Backorder(
                            line_no=line_no,
                            sku=g.sku,
                            quantity=k,
                            supply_id=None if supply is None else supply.id,
                            location_id=None if supply is None else supply.location_id,
                            expected=None if supply is None else supply.expected,
                            reason=reason,
                        )
                    )
        assignments = tuple(
            Assignment(
                location_id=loc,
                erp=self.locations[loc].erp,
                lines=sorted(lines, key=lambda pl: pl.line_no),
                reason=self.reasons[loc],
            )
            for loc, lines in planned.items()
            if lines
        )
        backorders.sort(key=lambda b: b.line_no)  # stable: per line, in the order decided
        return RoutingPlan(
            order_id=self.order.id, assignments=assignments, backorders=tuple(backorders)
        )

    def finish(self, fallback: RoutingStrategy | None) -> RoutingPlan:
        """The plan: what is left goes to ``fallback``, or is backordered."""
        if fallback is None or not self.remaining:
            self.backorder()
            return self.plan()
        taken = self.plan()
        rest = _narrowed(self.order, {n: taken.quantity_for(n) for n in _line_numbers(self.order)})
        return _merge(self.order.id, [taken, fallback.plan(rest, _holding(self.view, taken))])


# -- composition helpers -----------------------------------------------------------------


def _line_numbers(order: Order) -> list[int]:
    return [line.line_no for line in order.lines]


def _narrowed(order: Order, taken: Mapping[int, int]) -> Order:
    """``order`` with ``taken`` units of each line moved from open to allocated: what the
    next stage of a composition sees (it routes only what is still open)."""
    lines = []
    for line in order.lines:
        n = taken.get(line.line_no, 0)
        if n:
            q = line.quantities
            if n > q.open:
                raise InvalidQuantity(
                    f"a stage planned {n} unit(s) of line {line.line_no}, only {q.open} open",
                    field="quantity",
                    value=n,
                    entity_id=order.id,
                )
            line = attrs.evolve(
                line, quantities=attrs.evolve(q, open=q.open - n, allocated=q.allocated + n)
            )
        lines.append(line)
    return attrs.evolve(order, lines=tuple(lines))


def _holding(view: NetworkView, plan: RoutingPlan) -> NetworkView:
    """``view`` with the units ``plan`` takes held, so the next stage cannot take them."""
    on_hand: dict[tuple[str, str], int] = {}
    for a in plan.assignments:
        for pl in a.lines:
            key = (a.location_id, pl.sku)
            on_hand[key] = on_hand.get(key, 0) + pl.quantity
    supply: dict[str, int] = {}
    for b in plan.backorders:
        if b.supply_id is not None:
            supply[b.supply_id] = supply.get(b.supply_id, 0) + b.quantity
    if not on_hand and not supply:
        return view
    return view.holding(on_hand, supply)


def _merge(order_id: str, plans: Sequence[RoutingPlan]) -> RoutingPlan:
    """One plan of several stages': assignments to one location merged (reasons joined)."""
    plans = [p for p in plans if not p.is_empty]
    if len(plans) == 1:
        return plans[0]
    if not plans:
        return RoutingPlan(order_id=order_id)
    merged: dict[str, tuple[str, dict[int, PlannedLine], list[str]]] = {}
    backorders: list[Backorder] = []
    for p in plans:
        for a in p.assignments:
            _, lines, reasons = merged.setdefault(a.location_id, (a.erp, {}, []))
            for pl in a.lines:
                old = lines.get(pl.line_no)
                lines[pl.line_no] = (
                    pl if old is None else attrs.evolve(old, quantity=old.quantity + pl.quantity)
                )
            if a.reason not in reasons:
                reasons.append(a.reason)
        backorders.extend(p.backorders)
    return RoutingPlan(
        order_id=order_id,
        assignments=tuple(
            Assignment(
                location_id=loc,
                erp=erp,
                lines=tuple(lines[n] for n in sorted(lines)),
                reason="; ".join(reasons),
            )
            for loc, (erp, lines, reasons) in merged.items()
        ),
        backorders=tuple(backorders),
    )


# -- the pipeline ------------------------------------------------------------------------


def _reason(
    rankers: Sequence[Ranker], location: Location, order: Order, view: NetworkView, full: bool
) -> str:
    label = rankers[0].label if rankers else "first by location id"
    measures = ", ".join(r.measure(location, order, view) for r in rankers)
    text = f"{label} with {'full' if full else 'partial'} availability"
    if measures:
        text = f"{text}: {measures}"
    return text if full else f"split: {text}"


def _check_split_currency(split: SplitPolicy, order: Order) -> None:
    floor = split.min_shipment_value if isinstance(split, AllowSplit) else None
    if floor is not None and floor.currency != order.currency:
        raise CurrencyMismatch(
            f"order is in {order.currency}",
            field="min_shipment_value",
            value=str(floor),
            entity_id=order.id,
        )


def _pipeline_plan(
    order: Order,
    view: NetworkView,
    filters: Sequence[LocationFilter],
    rankers: Sequence[Ranker],
    split: SplitPolicy,
    fallback: RoutingStrategy | None,
) -> RoutingPlan:
    _check_split_currency(split, order)
    run = _Run(order, view, filters)
    if not run.groups:
        return RoutingPlan(order_id=order.id)
    single = run.best_single(rankers)
    if single is not None:
        takes = run.offer(single.id, whole=False)
        run.take(single.id, takes, _reason(rankers, single, order, view, True))
        return run.finish(fallback)
    if isinstance(split, ShipComplete):
        run.block("ship complete: no single location can fill the order")
        return run.finish(fallback)
    ranked = run.ranked(rankers)
    limit, floor = split.max_shipments, split.min_shipment_value
    for whole in (True, False):  # whole SKUs from one place first, then partial quantities
        for location in ranked:
            if not run.remaining:
                break
            takes = run.offer(location.id, whole=whole)
            if not takes:
                continue
            is_new = location.id not in run.shipments
            if is_new and limit is not None and len(run.shipments) >= limit:
                run.block(f"split limit: at most {limit} shipment(s)")
                continue
            if floor is not None and run.value(location.id, takes) < floor:
                run.block(f"split limit: each shipment worth at least {floor}")
                continue
            run.take(location.id, takes, _reason(rankers, location, order, view, False))
    return run.finish(fallback)
