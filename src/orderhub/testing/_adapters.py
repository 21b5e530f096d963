"""In-memory adapters for tests and demos, with seeded fault injection."""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from typing import Any

import attrs

from orderhub.errors import ValidationError
from orderhub.ports import Failed, Outcome, Rejected, Succeeded

__all__ = ["Fault", "FaultPlan", "InMemoryErp", "InMemoryFinance", "InMemoryFulfillment"]


class Fault(enum.Enum):
    """A way an outside system misbehaves."""

    TRANSIENT = "transient"
    """The call fails and nothing happened: retry."""
    TIMEOUT_AFTER_EFFECT = "timeout_after_effect"
    """The document was created, then the answer was lost: the retry must not duplicate."""
    REJECT = "reject"
    """The system refuses the request for good."""
    DUPLICATE_DELIVERY = "duplicate_delivery"
    """The call is delivered twice: the second must change nothing."""


@attrs.define
class FaultPlan:
    """Seeded fault injection: each call draws a fault with probability ``rate`` (from
    ``kinds``), deterministically for a given ``seed``. ``enabled`` switches it on and off."""

    seed: int = 0
    rate: float = 0.0
    kinds: tuple[Fault, ...] = (Fault.TRANSIENT, Fault.TIMEOUT_AFTER_EFFECT)
    enabled: bool = True
    injected: int = 0
    _rng: random.Random = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> Fault | None:
        """The fault for the next call, or None."""
        if not self.enabled or not self.kinds or self._rng.random() >= self.rate:
            return None
        self.injected += 1
        return self._rng.choice(self.kinds)


class _Recorder:
    """Documents by idempotency key: exactly-once however often a call is retried.

    ``keep_payloads=False`` makes an adapter for long runs (a soak test, a benchmark): it
    still dedupes by idempotency key, numbers its documents and records its calls, but keeps
    only the action of each document, not the payload, as a remote system keeps its
    documents on its own side; :meth:`received` then raises
    :class:`~orderhub.errors.ValidationError`.
    """

    prefix = "doc"

    def __init__(self, faults: FaultPlan | None = None, *, keep_payloads: bool = True) -> None:
        if not isinstance(keep_payloads, bool):
            raise ValidationError(
                "must be True or False", field="keep_payloads", value=keep_payloads
            )
        self.faults = faults or FaultPlan()
        self.keep_payloads = keep_payloads
        self.documents: dict[str, tuple[str, Mapping[str, Any] | None]] = {}
        self._numbers: dict[str, int] = {}
        self.calls: list[tuple[str, str]] = []
        self.script: dict[str, Outcome] = {}

    def _do(self, action: str, payload: Mapping[str, Any], key: str) -> Outcome:
        self.calls.append((action, key))
        if key in self.script:
            return self.script[key]
        fault = self.faults.draw()
        if fault is Fault.TRANSIENT:
            return Failed("injected transient failure")
        if fault is Fault.REJECT:
            return Rejected("injected rejection")
        reference = self._record(action, payload, key)
        if fault is Fault.DUPLICATE_DELIVERY:
            self._record(action, payload, key)
        if fault is Fault.TIMEOUT_AFTER_EFFECT:
            raise TimeoutError("injected timeout after the document was created")
        return Succeeded(reference)

    def _record(self, action: str, payload: Mapping[str, Any], key: str) -> str:
        number = self._numbers.get(key)
        if number is None:
            self.documents[key] = (action, payload if self.keep_payloads else None)
            number = self._numbers[key] = len(self._numbers) + 1
        return f"{self.prefix}-{number}"

    def received(self, action: str | None = None) -> list[Mapping[str, Any]]:
        """The documents received (of ``action``), once each, in order."""
        if not self.keep_payloads:
            raise ValidationError(
                "this adapter was made with keep_payloads=False and kept no payloads",
                field="keep_payloads",
                value=False,
            )
        return [
            p
            for a, p in self.documents.values()
            if p is not None and (action is None or a == action)
        ]


class InMemoryErp(_Recorder):
    """An ERP back end in memory: records each document once per idempotency key.

    ``script`` maps idempotency keys to the outcome to answer (to script a rejection).
    Made with ``keep_payloads=False`` (for a soak test or a benchmark), it still dedupes,
    numbers and records its calls but keeps no payloads, so :meth:`received` raises.
    """

    prefix = "erp"

    def submit_order(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a sales order."""
        return self._do("submit_order", payload, key)

    def cancel_order(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a cancellation, of the whole sales order or of some of its lines (one
        document per key: two partial cancellations are two documents)."""
        return self._do("cancel_order", payload, key)

    def post_invoice(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record an invoice."""
        return self._do("post_invoice", payload, key)

    def post_credit_note(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a credit note."""
        return self._do("post_credit_note", payload, key)

    def post_payment(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a payment."""
        return self._do("post_payment", payload, key)

    def upsert_customer(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a customer."""
        return self._do("upsert_customer", payload, key)


class InMemoryFulfillment(_Recorder):
    """A fulfilment provider in memory: accepts every release unless scripted or faulty.

    ``keep_payloads=False`` keeps no payloads, as for :class:`InMemoryErp`.
    """

    prefix = "wms"

    def release(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a released fulfilment order."""
        return self._do("release", payload, key)

    def cancel(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a withdrawal, of a whole fulfilment order or of part of it (one
        document per key)."""
        return self._do("cancel", payload, key)


class InMemoryFinance(_Recorder):
    """A general ledger in memory: records each journal entry once.

    ``keep_payloads=False`` keeps no payloads, as for :class:`InMemoryErp`.
    """

    prefix = "gl"

    def post_journal_entry(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Record a journal entry."""
        return self._do("post_journal_entry", payload, key)
