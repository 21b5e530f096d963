"""The ports through which the host plugs the outside world into the hub.

Every port is a small :class:`typing.Protocol`. The hub never reads the system clock nor makes
up ids: both are injected, so that the same inputs always give the same books.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, TypeAlias, runtime_checkable

import attrs

from orderhub._journal import RevenuePolicy
from orderhub._tax import TaxPolicy
from orderhub.routing import RoutingStrategy

__all__ = [
    "AsyncErpAdapter",
    "AsyncFinanceAdapter",
    "AsyncFulfillmentAdapter",
    "Clock",
    "ErpAdapter",
    "Failed",
    "FinanceAdapter",
    "FulfillmentAdapter",
    "IdFactory",
    "Outcome",
    "Payload",
    "Rejected",
    "RevenuePolicy",
    "RoutingStrategy",
    "Succeeded",
    "TaxPolicy",
]

Payload: TypeAlias = Mapping[str, Any]
"""JSON-safe data describing the document an adapter is asked to act on (see
:mod:`orderhub.serialization`)."""


@attrs.frozen
class Succeeded:
    """The outside system did it; ``reference`` is its own id for the document."""

    reference: str


@attrs.frozen
class Rejected:
    """The outside system refused, for good (``reason`` says why): not retried."""

    reason: str


@attrs.frozen
class Failed:
    """The call failed in a way worth retrying (a timeout, an outage). An adapter that
    raises counts as this."""

    reason: str


Outcome: TypeAlias = Succeeded | Rejected | Failed
"""What an adapter call came to: data, never an exception."""


@runtime_checkable
class Clock(Protocol):
    """Protocol: the time source of the hub; must return timezone-aware datetimes."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


@runtime_checkable
class IdFactory(Protocol):
    """Protocol: makes ids for new entities; must never return the same id twice per kind."""

    def new_id(self, kind: str) -> str:
        """A fresh id for an entity of ``kind`` (``"order"``, ``"customer"``, …)."""
        ...


class ErpAdapter(Protocol):
    """Protocol: an ERP back end. Every call carries an idempotency key that stays the same
    on every retry, so an adapter can make each document exactly-once (upsert by key)."""

    def submit_order(self, payload: Payload, key: str) -> Outcome:
        """Create the sales order for the lines routed to this ERP."""
        ...

    def cancel_order(self, payload: Payload, key: str) -> Outcome:
        """Cancel a sales order (or some of its lines).

        The payload holds ``order_id``, ``reason``, ``whole_order`` and ``lines`` (each
        ``line_no``, ``sku``, ``quantity``): the units of the lines routed to this ERP that
        this cancellation withdrew. With ``whole_order`` false the sales order stays, less
        those units; with it true, nothing is left of the order (``lines`` then names the
        units that were still on it, possibly none). Each cancellation comes under its own
        key, so two partial cancellations of one line are two calls.
        """
        ...

    def post_invoice(self, payload: Payload, key: str) -> Outcome:
        """Book an invoice."""
        ...

    def post_credit_note(self, payload: Payload, key: str) -> Outcome:
        """Book a credit note."""
        ...

    def post_payment(self, payload: Payload, key: str) -> Outcome:
        """Book a customer payment."""
        ...

    def upsert_customer(self, payload: Payload, key: str) -> Outcome:
        """Create or update a customer."""
        ...


class FulfillmentAdapter(Protocol):
    """Protocol: a location or provider that fulfils (a DC's WMS, a store, a 3PL, a drop
    shipper). Acceptance, rejection and shipments come back as hub commands."""

    def release(self, payload: Payload, key: str) -> Outcome:
        """Hand a fulfilment order over to be picked, packed and shipped."""
        ...

    def cancel(self, payload: Payload, key: str) -> Outcome:
        """Withdraw a fulfilment order, or part of it.

        The payload is the fulfilment order as it now stands (the shape of a release). In
        state ``cancelled`` the whole document is withdrawn. Otherwise only part is:
        ``withdrawn`` lists the units taken off (``line_no``, ``sku``, ``quantity``) and
        ``lines`` what remains (amend the document to them). Each withdrawal comes under
        its own key. It may come before the release it amends was acknowledged: an adapter
        that does not know the document yet answers :class:`Failed`, to be retried.
        """
        ...


class FinanceAdapter(Protocol):
    """Protocol: the general ledger that receives the hub's journal entries."""

    def post_journal_entry(self, payload: Payload, key: str) -> Outcome:
        """Post one balanced journal entry."""
        ...


class AsyncErpAdapter(Protocol):
    """Protocol: the asyncio twin of :class:`ErpAdapter`."""

    async def submit_order(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`ErpAdapter.submit_order`."""
        ...

    async def cancel_order(self, payload: Payload, key: str) -> Outcome:
        """Cancel a sales order, or some of its lines: ``whole_order`` says which, and
        ``lines`` the units withdrawn (see :meth:`ErpAdapter.cancel_order`)."""
        ...

    async def post_invoice(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`ErpAdapter.post_invoice`."""
        ...

    async def post_credit_note(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`ErpAdapter.post_credit_note`."""
        ...

    async def post_payment(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`ErpAdapter.post_payment`."""
        ...

    async def upsert_customer(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`ErpAdapter.upsert_customer`."""
        ...


class AsyncFulfillmentAdapter(Protocol):
    """Protocol: the asyncio twin of :class:`FulfillmentAdapter`."""

    async def release(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`FulfillmentAdapter.release`."""
        ...

    async def cancel(self, payload: Payload, key: str) -> Outcome:
        """Withdraw a fulfilment order, or part of it: unless its ``state`` is
        ``cancelled``, ``withdrawn`` lists the units taken off and ``lines`` what remains
        (see :meth:`FulfillmentAdapter.cancel`)."""
        ...


class AsyncFinanceAdapter(Protocol):
    """Protocol: the asyncio twin of :class:`FinanceAdapter`."""

    async def post_journal_entry(self, payload: Payload, key: str) -> Outcome:
        """See :meth:`FinanceAdapter.post_journal_entry`."""
        ...
