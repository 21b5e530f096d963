"""Builders and state snapshots shared by the tests of the customer master, catalog and orders.

Local to the test suite on purpose: the public strategies live in ``orderhub.testing`` once
they exist; these are the plain builders the example-based tests read best with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from orderhub import (
    Address,
    CatalogPolicy,
    Channel,
    Customer,
    CustomerIdentity,
    Item,
    LineRequest,
    Money,
    Order,
    OrderHub,
    OrderRequest,
)
from orderhub.events import Event
from orderhub.testing import FixedClock, SequentialIds

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The time every test hub's clock starts at."""

CATALOG = (
    Item(sku="TENT", description="2-person tent", price=Money("149.00", "USD"), category="camp"),
    Item(sku="MAT", description="sleeping mat", price=Money("30.00", "USD")),
    Item(sku="LAMP", description="head lamp", price=Money("9.99", "USD"), owner="acme"),
    Item(
        sku="STOVE",
        description="camp stove",
        price=Money("59.50", "USD"),
        drop_ship_vendor="stoves-inc",
    ),
    Item(sku="TEA", description="matcha", price=Money(1200, "JPY")),
    Item(sku="DATES", description="dates, 1 kg", price=Money("4.125", "KWD")),
)
"""The items every test hub's catalog starts with (USD, and one JPY and one KWD item)."""


class HubState(NamedTuple):
    """Everything a command could change, copied: compare two with ``==``.

    The indexes and the idempotency map are private, but they are exactly what a command
    that half-applied before raising would leave corrupted, so they are compared too.
    """

    orders: tuple[Order, ...]
    customers: tuple[Customer, ...]
    queue: tuple[str, ...]
    events: tuple[Event, ...]
    catalog: tuple[Item, ...]
    identifier_index: dict[tuple[str, object], str]
    aliases: dict[str, str]
    requests: dict[str, Any]


def hub_state(hub: OrderHub) -> HubState:
    """A snapshot of the hub's state; orders and customers are frozen, so copies are cheap."""
    return HubState(
        orders=tuple(hub.orders()),
        customers=tuple(hub.customers),
        queue=hub.queued(),
        events=hub.events,
        catalog=tuple(hub.catalog),
        identifier_index=dict(hub.customers._index),
        aliases=dict(hub.customers._aliases),
        requests=dict(hub._requests),
    )


def make_hub(
    *, policy: CatalogPolicy = CatalogPolicy.STRICT, start: datetime = T0
) -> tuple[OrderHub, FixedClock]:
    """A hub on a fixed clock with sequential ids and :data:`CATALOG` loaded."""
    clock = FixedClock(start)
    hub = OrderHub(clock=clock, ids=SequentialIds(), catalog_policy=policy)
    for item in CATALOG:
        hub.catalog.add(item)
    return hub, clock


def address(**overrides: Any) -> Address:
    """A ship-to address in Chicago, with ``overrides``."""
    fields: dict[str, Any] = {
        "line1": "1 Main St",
        "city": "Chicago",
        "postal_code": "60601",
        "country": "US",
        "region": "IL",
    }
    fields.update(overrides)
    return Address(**fields)


def request(
    external_id: str = "W-1",
    *,
    channel: Channel = Channel.WEB,
    lines: Sequence[LineRequest] | None = None,
    customer: CustomerIdentity | None = None,
    email: str | None = None,
    **fields: Any,
) -> OrderRequest:
    """An order request for one tent unless told otherwise.

    ``email`` is a shortcut for ``customer=CustomerIdentity(email=email)``.
    """
    if customer is None:
        customer = CustomerIdentity(email=email) if email is not None else CustomerIdentity()
    return OrderRequest(
        channel=channel,
        external_id=external_id,
        customer=customer,
        lines=lines if lines is not None else [LineRequest(sku="TENT", quantity=1)],
        **fields,
    )


def events_of(events: Sequence[Event], kind: type[Event]) -> list[Any]:
    """The events of ``kind`` among ``events``, in order."""
    return [e for e in events if isinstance(e, kind)]


def reconciles(order: Order) -> bool:
    """True when every line has ordered = open + allocated + backordered + shipped + cancelled."""
    return all(
        line.quantities.ordered
        == line.quantities.open
        + line.quantities.allocated
        + line.quantities.backordered
        + line.quantities.shipped
        + line.quantities.cancelled
        for line in order.lines
    )
