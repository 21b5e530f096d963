"""The order aggregate: lines, quantities that always reconcile, states, holds."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from orderhub._money import Money
from orderhub._requests import CaptureContext, Discount, ServiceLevel
from orderhub._statemachine import StateTable, evolver, replacer
from orderhub._values import Address, Channel
from orderhub.errors import IllegalTransition, InvalidQuantity, ValidationError

__all__ = [
    "ORDER_STATES",
    "Hold",
    "HoldKind",
    "LineQuantities",
    "Order",
    "OrderLine",
    "OrderState",
]


class OrderState(enum.Enum):
    """Where an order is in its life. The legal moves are :data:`ORDER_STATES`.

    ``INVOICED``: everything shipped (or cancelled) and invoiced, something still owed;
    ``CLOSED``: nothing owed on any of its invoices. A payment reversal that re-opens an
    invoice of a closed order moves it back to ``INVOICED``.
    """

    CAPTURED = "captured"
    ON_HOLD = "on_hold"
    BACKORDERED = "backordered"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"
    RELEASED = "released"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"


_S = OrderState
_BEFORE_SHIPMENT: Final = frozenset(
    {_S.CAPTURED, _S.BACKORDERED, _S.PARTIALLY_ALLOCATED, _S.ALLOCATED, _S.RELEASED}
)

_CHANGEABLE: Final = _BEFORE_SHIPMENT | {_S.ON_HOLD, _S.PARTIALLY_SHIPPED}

ORDER_STATES: Final = StateTable(
    "order",
    _S.CAPTURED,
    {
        _S.CAPTURED: frozenset(
            {_S.ON_HOLD, _S.BACKORDERED, _S.PARTIALLY_ALLOCATED, _S.ALLOCATED, _S.CANCELLED}
        ),
        _S.ON_HOLD: frozenset(
            _BEFORE_SHIPMENT | {_S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.INVOICED, _S.CANCELLED}
        ),
        _S.BACKORDERED: frozenset(
            {_S.CAPTURED, _S.ON_HOLD, _S.PARTIALLY_ALLOCATED, _S.ALLOCATED, _S.CANCELLED}
        ),
        _S.PARTIALLY_ALLOCATED: frozenset(
            {_S.CAPTURED, _S.ON_HOLD, _S.BACKORDERED, _S.ALLOCATED, _S.RELEASED, _S.CANCELLED}
        ),
        _S.ALLOCATED: frozenset(
            {
                _S.CAPTURED,
                _S.ON_HOLD,
                _S.BACKORDERED,
                _S.PARTIALLY_ALLOCATED,
                _S.RELEASED,
                _S.CANCELLED,
            }
        ),
        _S.RELEASED: frozenset(
            {
                _S.ON_HOLD,
                _S.PARTIALLY_ALLOCATED,
                _S.ALLOCATED,
                _S.PARTIALLY_SHIPPED,
                _S.SHIPPED,
                _S.CANCELLED,
            }
        ),
        _S.PARTIALLY_SHIPPED: frozenset({_S.ON_HOLD, _S.SHIPPED, _S.INVOICED}),
        _S.SHIPPED: frozenset({_S.INVOICED, _S.CLOSED}),
        _S.INVOICED: frozenset({_S.CLOSED}),
        _S.CLOSED: frozenset({_S.INVOICED}),
        _S.CANCELLED: frozenset(),
    },
    labels={(_S.CLOSED, _S.INVOICED): "only by a payment reversal"},
)
"""The order lifecycle as data: each state and the states it may move to.

An invoiced order closes once nothing is owed on its invoices. Closed goes back to invoiced
only when a payment reversal (a bounced cheque, a charge-back) re-opens one of its invoices:
the hub takes that move in ``OrderHub.reverse_payment`` and nowhere else (an order refuses
to leave closed by any other path).
"""


class HoldKind(enum.Enum):
    """Why an order is held back from processing."""

    PAYMENT = "payment"
    FRAUD = "fraud"
    CREDIT = "credit"
    MANUAL = "manual"


@attrs.frozen(kw_only=True)
class Hold:
    """A hold on an order: its kind, the reason given, and when it was placed."""

    kind: HoldKind
    reason: str
    placed_at: datetime


@attrs.frozen(kw_only=True)
class LineQuantities:
    """The units of one line by state; they always add up to ``ordered``.

    ordered = open + allocated + backordered + shipped + cancelled.
    """

    ordered: int
    open: int
    allocated: int = 0
    backordered: int = 0
    shipped: int = 0
    cancelled: int = 0

    def __attrs_post_init__(self) -> None:
        o, a, b, s, c = self.open, self.allocated, self.backordered, self.shipped, self.cancelled
        if o < 0 or a < 0 or b < 0 or s < 0 or c < 0 or o + a + b + s + c != self.ordered:
            raise InvalidQuantity(
                "line quantities must be non-negative and add up to the ordered quantity",
                field="quantities",
                value=(self.ordered, o, a, b, s, c),
            )


@attrs.frozen(kw_only=True)
class OrderLine:
    """One priced line of a captured order.

    ``gross`` = unit price × quantity; ``net`` = gross − line discount − its share of the
    order discounts (spread by the largest-remainder rule). The amounts are fixed at capture.
    """

    line_no: int
    sku: str
    description: str
    unit_price: Money
    quantities: LineQuantities
    line_discount: Money
    order_discount: Money
    discounts: tuple[Discount, ...] = ()
    owner: str = "main"
    category: str | None = None
    drop_ship_vendor: str | None = None

    @property
    def quantity(self) -> int:
        """The quantity ordered."""
        return self.quantities.ordered

    @property
    def gross(self) -> Money:
        """Unit price × quantity ordered."""
        return self.unit_price * self.quantities.ordered

    @property
    def net(self) -> Money:
        """Gross less every discount on the line."""
        return self.gross - self.line_discount - self.order_discount


@attrs.frozen(kw_only=True)
class Order:
    """A captured order, as an immutable snapshot; the hub's commands make new snapshots.

    Ask ``hub.order(id)`` for the current one.

    Guarantees: the lines' quantities always reconcile; the state only moves along
    :data:`ORDER_STATES`; the amounts fixed at capture add up (Σ line nets = total).
    Personal data (addresses) is masked in the repr.
    """

    id: str
    channel: Channel
    customer_id: str
    placed_at: datetime
    captured_at: datetime
    currency: str
    lines: tuple[OrderLine, ...]
    idempotency_key: str
    external_id: str | None = None
    discounts: tuple[Discount, ...] = ()
    ship_to: Address | None = None
    bill_to: Address | None = None
    context: CaptureContext = attrs.field(factory=CaptureContext)
    service_level: ServiceLevel = ServiceLevel.STANDARD
    state: OrderState = OrderState.CAPTURED
    holds: tuple[Hold, ...] = ()
    resume_state: OrderState | None = None

    # -- reading -------------------------------------------------------------------------

    @property
    def subtotal(self) -> Money:
        """Σ line gross amounts."""
        return _sum((line.gross for line in self.lines), self.currency)

    @property
    def discount_total(self) -> Money:
        """Σ line and order discounts."""
        return _sum(
            (line.line_discount + line.order_discount for line in self.lines), self.currency
        )

    @property
    def total(self) -> Money:
        """Σ line nets: what the customer pays before tax."""
        return _sum((line.net for line in self.lines), self.currency)

    @property
    def is_on_hold(self) -> bool:
        """True while any hold is in place."""
        return bool(self.holds)

    def line(self, line_no: int) -> OrderLine:
        """The line numbered ``line_no`` (1-based)."""
        lines = self.lines
        if type(line_no) is int and 0 < line_no <= len(lines):
            return lines[line_no - 1]
        if isinstance(line_no, bool) or not isinstance(line_no, int):
            raise ValidationError(
                "must be an int", field="line_no", value=line_no, entity_id=self.id
            )
        if not 1 <= line_no <= len(self.lines):
            raise ValidationError(
                "no such line", field="line_no", value=line_no, entity_id=self.id
            )
        return self.lines[line_no - 1]

    def quantities(self) -> Mapping[int, LineQuantities]:
        """Every line's quantities by line number."""
        return {line.line_no: line.quantities for line in self.lines}

    # -- changes (the hub validates, then stores the new snapshot) ----------------------

    def _moved(self, target: OrderState) -> Order:
        if self.state is target:
            return self
        ORDER_STATES.check(self.state, target, self.id)
        if self.state is _S.CLOSED:
            raise IllegalTransition(
                "a closed order re-opens only by a payment reversal",
                field="state",
                value=f"{self.state.value} -> {target.value}",
                entity_id=self.id,
            )
        return _order_with_state(self, target)

    def _reopened(self) -> Order:
        """The closed order back to invoiced, because a payment reversal re-opened one of
        its invoices (the one move out of closed, and only the reversal makes it)."""
        if self.state is not _S.CLOSED:
            raise IllegalTransition(
                "only a closed order re-opens",
                field="state",
                value=f"{self.state.value} -> {_S.INVOICED.value}",
                entity_id=self.id,
            )
        return _order_with_state(self, _S.INVOICED)

    def _check_lines_changeable(self) -> None:
        if self.state not in _CHANGEABLE:
            raise IllegalTransition(
                "lines can only be cancelled while something is still to ship",
                field="state",
                value=self.state.value,
                entity_id=self.id,
            )

    def _with_quantities(self, line_no: int, **quantities: int) -> Order:
        lines = list(self.lines)
        line = lines[line_no - 1]
        lines[line_no - 1] = _line_with_quantities(
            line, _requantified(line.quantities, quantities)
        )
        return _order_with_lines(self, tuple(lines))

    def _with_line_quantities(self, changes: Mapping[int, Mapping[str, int]]) -> Order:
        """The order with the quantities of several lines changed at once: {line no:
        {quantity name: new value}} (each line's quantities are checked as always)."""
        lines = list(self.lines)
        for line_no, quantities in changes.items():
            line = lines[line_no - 1]
            lines[line_no - 1] = _line_with_quantities(
                line, _requantified(line.quantities, quantities)
            )
        return _order_with_lines(self, tuple(lines))


_evolve_quantities = evolver(LineQuantities)

# LineQuantities are immutable and their values few (a line of 2 units is open, allocated
# or shipped...): equal quantities share one instance, so that an order's lines keep fewer
# objects for the cyclic GC to scan. An instance enters only once its constructor made it
# (and checked it) from six ints; the table stops growing at _SHARED_MAX entries.
_SHARED: dict[tuple[int, int, int, int, int, int], LineQuantities] = {}
_SHARED_MAX = 4096
_QUANTITY_NAMES = frozenset(
    {"ordered", "open", "allocated", "backordered", "shipped", "cancelled"}
)


def line_quantities(
    ordered: int,
    open: int,
    allocated: int = 0,
    backordered: int = 0,
    shipped: int = 0,
    cancelled: int = 0,
) -> LineQuantities:
    """``LineQuantities(...)`` of these values, shared with any equal instance made before
    (the values are checked, and refused, exactly as by the constructor)."""
    if (
        type(ordered) is int
        and type(open) is int
        and type(allocated) is int
        and type(backordered) is int
        and type(shipped) is int
        and type(cancelled) is int
    ):
        key = (ordered, open, allocated, backordered, shipped, cancelled)
        found = _SHARED.get(key)
        if found is not None:
            return found
        made = LineQuantities(
            ordered=ordered,
            open=open,
            allocated=allocated,
            backordered=backordered,
            shipped=shipped,
            cancelled=cancelled,
        )
        if len(_SHARED) < _SHARED_MAX:
            _SHARED[key] = made
        return made
    return LineQuantities(
        ordered=ordered,
        open=open,
        allocated=allocated,
        backordered=backordered,
        shipped=shipped,
        cancelled=cancelled,
    )


def _requantified(q: LineQuantities, changes: Mapping[str, int]) -> LineQuantities:
    # ``attrs.evolve(q, **changes)``, through the shared table.
    if type(q) is not LineQuantities or not _QUANTITY_NAMES.issuperset(changes):
        return _evolve_quantities(q, **changes)  # a subclass, or an unknown name's TypeError
    get = changes.get
    return line_quantities(
        get("ordered", q.ordered),
        get("open", q.open),
        get("allocated", q.allocated),
        get("backordered", q.backordered),
        get("shipped", q.shipped),
        get("cancelled", q.cancelled),
    )


_line_with_quantities = replacer(OrderLine, "quantities")
_order_with_state = replacer(Order, "state")
_order_with_lines = replacer(Order, "lines")


def _sum(amounts: Any, currency: str) -> Money:
    total = Money.zero(currency)
    for a in amounts:
        total = total + a
    return total
