"""The one hierarchy of errors orderhub raises.

Every error is an :class:`OrderhubError`. Errors caused by bad input also subclass the
fitting builtin (``ValueError``, ``LookupError``) so that generic handlers keep working.
Each error carries the ``field`` and ``value`` it is about and, where there is one, the id of
the entity it concerns; the message is built from them. A command that raises has changed
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CurrencyMismatch",
    "DuplicateId",
    "FieldErrors",
    "IdempotencyConflict",
    "IllegalTransition",
    "InsufficientStock",
    "InvalidMoney",
    "InvalidPayload",
    "InvalidPlan",
    "InvalidQuantity",
    "InvalidSnapshot",
    "NotFound",
    "OrderhubError",
    "PayloadProblem",
    "ReplayDiverged",
    "UnknownCurrency",
    "UnknownCustomer",
    "UnknownInvoice",
    "UnknownLocation",
    "UnknownOrder",
    "UnknownPayment",
    "UnknownReservation",
    "UnknownSku",
    "UnknownSupply",
    "ValidationError",
]

_UNSET: Any = object()


class OrderhubError(Exception):
    """Base of every error orderhub raises on purpose."""

    field: str | None
    value: Any
    entity_id: str | None
    reason: str

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        value: Any = _UNSET,
        entity_id: str | None = None,
        sensitive: bool = False,
    ) -> None:
        self.reason = reason
        self.field = field
        # Personal data stays out of the message and out of the error's attributes, where
        # a logger dumping exceptions would find it.
        self.value = None if value is _UNSET or sensitive else value
        self.entity_id = entity_id
        parts = []
        if entity_id is not None:
            parts.append(f"[{entity_id}]")
        if field is not None:
            if value is _UNSET:
                parts.append(f"{field}:")
            else:
                shown = "<redacted>" if sensitive else repr(value)
                parts.append(f"{field}={shown}:")
        parts.append(reason)
        super().__init__(" ".join(parts))
        self._sensitive = sensitive

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries in hosts (task queues): keep every attribute.
        kwargs = {"field": self.field, "entity_id": self.entity_id, "sensitive": self._sensitive}
        if self.field is not None:
            kwargs["value"] = self.value
        return (_rebuild, (type(self), self.reason, kwargs))


def _rebuild(cls: type[OrderhubError], reason: str, kwargs: dict[str, Any]) -> OrderhubError:
    return cls(reason, **kwargs)


class ValidationError(OrderhubError, ValueError):
    """Input that breaks a rule of the domain; nothing was changed."""


class InvalidMoney(ValidationError):
    """An amount that is a float, not finite, or finer than its currency's minor unit."""


class UnknownCurrency(ValidationError):
    """A currency code that is not an active ISO 4217 code."""


class CurrencyMismatch(ValidationError):
    """Arithmetic or comparison between amounts in two currencies."""


class InvalidQuantity(ValidationError):
    """A quantity that is not a positive integer, or more than can be taken."""


class IdempotencyConflict(ValidationError):
    """The idempotency key was used before with a different request."""


class IllegalTransition(ValidationError):
    """A state change the state table does not allow."""


class DuplicateId(ValidationError):
    """An id that is already taken."""


class NotFound(OrderhubError, LookupError):
    """A look-up by id found nothing."""


class UnknownSku(NotFound):
    """A SKU the catalog does not know."""


class UnknownCustomer(NotFound):
    """A customer id the customer master does not know."""


class UnknownOrder(NotFound):
    """An order id the hub does not know."""


class PayloadProblem:
    """One problem found in a payload: where (``$.lines[0].quantity``) and what."""

    __slots__ = ("message", "path")

    def __reduce__(self) -> tuple[Any, ...]:
        return (PayloadProblem, (self.path, self.message))

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __repr__(self) -> str:
        return f"PayloadProblem({self.path!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PayloadProblem):
            return NotImplemented
        return (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))


class InvalidPayload(ValidationError):
    """A payload that cannot be structured; ``problems`` lists every problem with its path."""

    problems: tuple[PayloadProblem, ...]

    def __init__(self, type_name: str, problems: Sequence[PayloadProblem]) -> None:
        self.problems = tuple(problems)
        listing = "; ".join(f"{p.message} @ {p.path}" for p in self.problems)
        super().__init__(
            f"invalid {type_name} payload ({len(self.problems)} problem(s)): {listing}",
            field="$",
        )
        self.type_name = type_name

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.type_name, self.problems))


class InsufficientStock(ValidationError):
    """Fewer units available (or uncommitted, for a supply) than were asked for.

    ``location_id`` and ``sku`` name the position short of stock, ``requested`` the units
    asked for there (summed over all the requests of the command) and ``available`` what it
    had. ``entity_id`` is ``"<location_id>/<sku>"``, or the supply id for a supply. Nothing
    was changed.
    """

    location_id: str | None
    sku: str | None
    requested: int | None
    available: int | None

    def __init__(
        self,
        reason: str,
        *,
        location_id: str | None = None,
        sku: str | None = None,
        requested: int | None = None,
        available: int | None = None,
        **kwargs: Any,
    ) -> None:
        if "entity_id" not in kwargs and location_id is not None and sku is not None:
            kwargs["entity_id"] = f"{location_id}/{sku}"
        if "field" not in kwargs and requested is not None:
            kwargs["field"] = "quantity"
            kwargs["value"] = requested
        super().__init__(reason, **kwargs)
        self.location_id = location_id
        self.sku = sku
        self.requested = requested
        self.available = available

    def __reduce__(self) -> tuple[Any, ...]:
        rebuild, (cls, reason, kwargs) = super().__reduce__()
        extra = {
            "location_id": self.location_id,
            "sku": self.sku,
            "requested": self.requested,
            "available": self.available,
        }
        return (rebuild, (cls, reason, {**kwargs, **extra}))


class UnknownReservation(NotFound):
    """A reservation id the stock book does not know."""


class UnknownSupply(NotFound):
    """A supply id the stock book does not know."""


class UnknownLocation(NotFound):
    """A location id the network does not know."""


class InvalidPlan(ValidationError):
    """A routing strategy returned a plan that does not fit the order or the stock."""


class UnknownInvoice(NotFound):
    """An invoice id the receivables ledger does not know."""


class UnknownPayment(NotFound):
    """A payment id (payment reference) the receivables ledger does not know."""


class InvalidSnapshot(ValidationError):
    """Snapshot (or command-log) data this version cannot read, or code a restore needs
    that was not passed."""


class ReplayDiverged(OrderhubError, RuntimeError):
    """Replaying a command log did not do what the log recorded; the replay stopped there.

    A hub replaying a log runs each command again with the clock readings and ids it took
    the first time. This is raised when a command then fails, reads the clock or makes ids
    more or fewer times, or produces a different number of events — the hub's code or its
    configuration (routing, tax, policies) is not the one that wrote the log.
    """


class FieldErrors(ValidationError):
    """Several fields of one value are wrong at once; ``errors`` has one error per field.

    Raised by values that check all their fields in one pass, so that a payload with two
    bad fields reports two problems.
    """

    errors: tuple[OrderhubError, ...]

    def __init__(self, errors: Sequence[OrderhubError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors), field=self.errors[0].field)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


ABSENT: Any = object()
"""What a field check sees for a field the payload did not give (the check skips it)."""


def raise_all(errors: Sequence[OrderhubError]) -> None:
    """Raise nothing, the one error, or :class:`FieldErrors` for several."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
