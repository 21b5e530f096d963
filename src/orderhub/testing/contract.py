"""Contract suites for adapter authors: subclass one per port and provide a factory.

Each class is a plain pytest test class whose name does not start with ``Test``, so pytest
collects nothing until you subclass it under a ``Test`` name::

    from orderhub.testing.contract import ErpAdapterContract

    class TestMyErp(ErpAdapterContract):
        def make_adapter(self):
            return MyErp(url="http://localhost:8069")  # a fresh adapter for every test

The suites check what the drivers rely on: every call answers an
:data:`~orderhub.ports.Outcome` (never anything else); the same call twice with the same
idempotency key answers the same reference; different keys answer different references;
and a retry after an answer got lost (the call raised, or answered ``Failed``, after the
document was created) does not create a second document. Override :meth:`documents_for` to
let the suites count documents in your system as well; override :meth:`payload_for` if your
adapter needs different payloads; override :meth:`close_adapter` to tear one down.

The payloads are the real, JSON-safe payloads a small hub flow produces (order, customer,
fulfilment order, a line partly cancelled after routing, invoice, credit note, payment,
journal entry).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from orderhub.ports import Failed, Rejected, Succeeded

__all__ = [
    "AdapterContract",
    "ErpAdapterContract",
    "FinanceAdapterContract",
    "FulfillmentAdapterContract",
    "LoseFirstAnswer",
]

OUTCOMES = (Succeeded, Rejected, Failed)


class LoseFirstAnswer:
    """Wraps an adapter: the first call is carried out, then its answer is lost — it raises
    :class:`TimeoutError` (or, with ``as_failed``, answers :class:`~orderhub.ports.Failed`).

    This is the dangerous case of a real integration: the document exists, the hub does not
    know, and retries with the same idempotency key. ``lost`` is the answer that got lost.
    """

    def __init__(self, adapter: Any, *, as_failed: bool = False) -> None:
        self.adapter = adapter
        self.as_failed = as_failed
        self.lost: Any = None
        self._armed = True

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.adapter, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if not self._armed:
                return result
            self._armed = False
            self.lost = result
            if self.as_failed:
                return Failed("the answer was lost")
            raise TimeoutError("timed out after the call took effect")

        return call


@functools.cache
def _flow_payloads() -> dict[str, Mapping[str, Any]]:
    """The first payload of each effect kind from a small order-to-cash flow."""
    from orderhub import (
        Address,
        Channel,
        CustomerIdentity,
        GeoPoint,
        Item,
        LineRequest,
        Location,
        LocationKind,
        Money,
        OrderHub,
        OrderRequest,
    )
    from orderhub.testing import FixedClock, SequentialIds

    hub = OrderHub(clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)), ids=SequentialIds())
    hub.catalog.add(Item(sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD")))
    hub.network.add(Location(id="dc-nj", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03)))
    hub.stock.receive("dc-nj", "TENT-2P", 20)
    hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id="W-1001",
            customer=CustomerIdentity(email="ann@example.com"),
            ship_to=Address(
                line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
            ),
            lines=[LineRequest(sku="TENT-2P", quantity=2)],
        )
    )
    changed = hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id="W-1002",
            customer=CustomerIdentity(email="ann@example.com"),
            ship_to=Address(
                line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
            ),
            lines=[LineRequest(sku="TENT-2P", quantity=3)],
        )
    ).order
    hub.process()
    # One tent of the second order is cancelled after its sales order and release went out.
    hub.cancel_line(changed.id, 1, 1, reason="customer changed their mind")

    def settle() -> None:
        while due := hub.pending_effects():
            for effect in due:
                hub.resolve(effect, Succeeded(f"ref-{effect.id}"))

    settle()
    order = next(o for o in hub.orders() if o.id != changed.id)
    for fo in hub.fulfillment_orders(order.id):
        hub.confirm_shipment(fo.id, fo.to_ship, carrier="UPS", tracking=f"1Z-{fo.id}")
    (invoice,) = hub.invoices()
    hub.credit(invoice.id, reason="damaged box", amount=Money("10.00", "USD"))
    hub.record_payment(
        invoice.customer_id, Money("100.00", "USD"), reference="ACH-1", invoices=[invoice.id]
    )
    settle()
    payloads: dict[str, Mapping[str, Any]] = {}
    for effect in hub.effects():
        payloads.setdefault(effect.kind.value, json.loads(json.dumps(dict(effect.payload))))
    return payloads


class AdapterContract:
    """What every port's suite checks; subclass a per-port suite rather than this one."""

    methods: ClassVar[tuple[str, ...]] = ()
    """The port's methods, each called by every check."""

    def make_adapter(self) -> Any:
        """A fresh adapter for one test; subclasses must provide it."""
        raise NotImplementedError("subclass the contract and provide make_adapter()")

    def close_adapter(self, adapter: Any) -> None:
        """Tear ``adapter`` down after a test (by default: call its ``close()``, if any)."""
        close = getattr(adapter, "close", None)
        if callable(close):
            close()

    def documents_for(self, adapter: Any, key: str) -> int | None:
        """How many documents ``adapter``'s system holds for idempotency ``key``, or None
        (the default) if the suite cannot tell and must judge by references alone."""
        return None

    def payload_for(self, method: str) -> Mapping[str, Any]:
        """A realistic, JSON-safe payload for ``method`` (a deep copy: the call may keep it)."""
        return copy.deepcopy(_flow_payloads()[method])

    @pytest.fixture
    def adapter(self) -> Iterator[Any]:
        """A fresh adapter from :meth:`make_adapter`, closed afterwards."""
        adapter = self.make_adapter()
        yield adapter
        self.close_adapter(adapter)

    # -- helpers ----------------------------------------------------------------------------

    def _call(self, adapter: Any, method: str, key: str) -> Any:
        return getattr(adapter, method)(self.payload_for(method), key)

    def _succeeds(self, adapter: Any, method: str, key: str) -> str:
        outcome = self._call(adapter, method, key)
        assert isinstance(outcome, Succeeded), (
            f"{method}() answered {outcome!r} to a valid payload; override payload_for()"
            " if the adapter needs a different one"
        )
        assert isinstance(outcome.reference, str)
        assert outcome.reference
        return outcome.reference

    def _assert_one_document(self, adapter: Any, key: str) -> None:
        count = self.documents_for(adapter, key)
        assert count in (None, 1), f"{count} documents for idempotency key {key!r}"

    # -- the checks -------------------------------------------------------------------------

    def test_every_method_answers_an_outcome(self, adapter: Any) -> None:
        """Every method answers Succeeded, Rejected or Failed, never anything else."""
        for method in self.methods:
            outcome = self._call(adapter, method, f"contract-{method}-outcome")
            assert isinstance(outcome, OUTCOMES), f"{method}() answered {outcome!r}"

    def test_same_key_twice_answers_the_same_reference(self, adapter: Any) -> None:
        """The same call twice with the same key answers one reference and makes one document."""
        for method in self.methods:
            key = f"contract-{method}-twice"
            first = self._succeeds(adapter, method, key)
            second = self._succeeds(adapter, method, key)
            assert first == second, f"{method}() answered {first!r}, then {second!r}"
            self._assert_one_document(adapter, key)

    def test_different_keys_answer_different_references(self, adapter: Any) -> None:
        """Two calls with different keys answer two different references."""
        for method in self.methods:
            a = self._succeeds(adapter, method, f"contract-{method}-a")
            b = self._succeeds(adapter, method, f"contract-{method}-b")
            assert a != b, f"{method}() answered {a!r} for two different keys"

    @pytest.mark.parametrize("as_failed", [False, True], ids=["raised", "failed"])
    def test_retry_after_a_lost_answer_does_not_duplicate(
        self, adapter: Any, as_failed: bool
    ) -> None:
        """A retry with the same key after the answer got lost answers the lost reference."""
        for method in self.methods:
            key = f"contract-{method}-lost"
            flaky = LoseFirstAnswer(adapter, as_failed=as_failed)
            if as_failed:
                assert isinstance(self._call(flaky, method, key), Failed)
            else:
                with pytest.raises(TimeoutError):
                    self._call(flaky, method, key)
            assert isinstance(flaky.lost, Succeeded), f"{method}() answered {flaky.lost!r}"
            retried = self._succeeds(flaky, method, key)
            assert retried == flaky.lost.reference, (
                f"{method}() answered {retried!r} on the retry, {flaky.lost.reference!r} first"
            )
            self._assert_one_document(adapter, key)

    def test_payload_is_left_as_it_was(self, adapter: Any) -> None:
        """An adapter does not change the payload it is given."""
        for method in self.methods:
            payload = self.payload_for(method)
            before = copy.deepcopy(payload)
            getattr(adapter, method)(payload, f"contract-{method}-payload")
            assert payload == before, f"{method}() changed its payload"


class ErpAdapterContract(AdapterContract):
    """The contract of an :class:`~orderhub.ports.ErpAdapter`."""

    methods = (
        "submit_order",
        "cancel_order",
        "post_invoice",
        "post_credit_note",
        "post_payment",
        "upsert_customer",
    )


class FulfillmentAdapterContract(AdapterContract):
    """The contract of a :class:`~orderhub.ports.FulfillmentAdapter`."""

    methods = ("release", "cancel")


class FinanceAdapterContract(AdapterContract):
    """The contract of a :class:`~orderhub.ports.FinanceAdapter`."""

    methods = ("post_journal_entry",)
