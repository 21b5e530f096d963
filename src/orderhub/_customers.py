"""The customer master: one customer across every channel."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

import attrs

from orderhub._identity import AttributeValue, CustomerIdentity, check_attributes
from orderhub._pii import mask
from orderhub._values import Channel, ConsentChannel, aware
from orderhub.errors import UnknownCustomer, ValidationError
from orderhub.events import (
    ConsentChanged,
    CustomerAttributeCaptured,
    CustomerCreated,
    CustomerErased,
    CustomersMerged,
    CustomerUpdated,
    Event,
    PossibleDuplicate,
)
from orderhub.ports import Clock, IdFactory

__all__ = ["AttributeRecord", "ConsentRecord", "Customer", "CustomerMaster", "ExternalId"]

MATCH_ORDER: Final = ("customer_id", "external_id", "loyalty_id", "email", "phone")
"""Identifiers from strongest to weakest: an ambiguous identity attaches to the customer the
strongest identifier points at."""


@attrs.frozen
class ExternalId:
    """A channel's own id for a customer (a marketplace buyer id, a store member number)."""

    channel: Channel
    value: str


@attrs.frozen(kw_only=True)
class AttributeRecord:
    """One captured value of an attribute, with where and when it was captured."""

    name: str
    value: AttributeValue = attrs.field(repr=mask)
    captured_at: datetime
    channel: Channel | None = None
    order_id: str | None = None


@attrs.frozen(kw_only=True)
class ConsentRecord:
    """Consent for one contact channel granted (``granted=True``) or withdrawn, and when."""

    consent_channel: ConsentChannel
    granted: bool
    at: datetime
    source: Channel | None = None


def _sort_key(r: AttributeRecord | ConsentRecord) -> datetime:
    return r.captured_at if isinstance(r, AttributeRecord) else r.at


@attrs.frozen(kw_only=True)
class Customer:
    """A customer as the hub knows them across channels: an immutable snapshot.

    The customer master replaces the snapshot on every change, so a ``Customer`` you hold
    never changes under you; ask ``hub.customers.get(id)`` for the current one.
    Identifiers, attribute history and consent history only grow (until
    :meth:`CustomerMaster.erase`). The latest captured value of an attribute wins (by
    capture time, not by arrival: an imported old order does not overwrite a newer value);
    the whole history is kept. Personal data never appears in the repr.
    """

    id: str
    created_at: datetime
    name: str | None = attrs.field(default=None, repr=mask)
    emails: tuple[str, ...] = attrs.field(default=(), repr=mask)
    phones: tuple[str, ...] = attrs.field(default=(), repr=mask)
    loyalty_ids: tuple[str, ...] = attrs.field(default=(), repr=mask)
    external_ids: tuple[ExternalId, ...] = attrs.field(default=(), repr=mask)
    attribute_history: tuple[AttributeRecord, ...] = attrs.field(default=(), repr=False)
    consent_history: tuple[ConsentRecord, ...] = attrs.field(default=(), repr=False)
    order_ids: tuple[str, ...] = ()
    merged_ids: tuple[str, ...] = ()
    is_erased: bool = False

    @property
    def attributes(self) -> dict[str, AttributeValue]:
        """The latest captured value of every attribute."""
        return {r.name: r.value for r in self.attribute_history}

    def history(self, name: str) -> tuple[AttributeRecord, ...]:
        """Every captured value of attribute ``name``, oldest first."""
        return tuple(r for r in self.attribute_history if r.name == name)

    def consent(self, channel: ConsentChannel) -> bool:
        """Whether marketing may contact this customer through ``channel`` now."""
        granted = False
        for r in self.consent_history:
            if r.consent_channel is channel:
                granted = r.granted
        return granted

    @property
    def consents(self) -> dict[ConsentChannel, bool]:
        """Current consent for every contact channel."""
        return {c: self.consent(c) for c in ConsentChannel}


_FIELD_OF: Final = {
    "email": "emails",
    "phone": "phones",
    "loyalty_id": "loyalty_ids",
    "external_id": "external_ids",
}


class _Blank:
    """The customer an identity creates, before it exists: no identifiers, no history."""

    emails = phones = loyalty_ids = external_ids = order_ids = attribute_history = ()


_NEW: Final[Any] = _Blank()


@attrs.frozen
class _Match:
    customer_id: str | None
    others: tuple[str, ...]
    matched_on: tuple[str, ...]


_R = TypeVar("_R", AttributeRecord, ConsentRecord)


def _merged_history(a: tuple[_R, ...], b: tuple[_R, ...]) -> tuple[_R, ...]:
    # Stable sort by time: on equal times, records already held come first.
    return tuple(sorted(a + b, key=_sort_key))


class CustomerMaster:
    """Every customer of the hub, indexed by each identifier; reached as ``hub.customers``.

    Guarantees: an identifier (e-mail, phone, loyalty id, channel external id) belongs to at
    most one customer; a merged customer's id answers with the survivor forever; nothing is
    ever merged without an explicit :meth:`merge`.
    """

    def __init__(self, clock: Clock, ids: IdFactory) -> None:
        self._clock = clock
        self._ids = ids
        self._customers: dict[str, Customer] = {}
        self._aliases: dict[str, str] = {}
        self._index: dict[tuple[str, object], str] = {}
        self._on_erase: list[Callable[[str, Sequence[str]], None]] = []
        self._publish: Callable[[Sequence[Event]], object] = lambda events: None

    # -- queries -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._customers)

    def __iter__(self) -> Iterator[Customer]:
        return iter(self._customers.values())

    def __contains__(self, customer_id: object) -> bool:
        return customer_id in self._customers or customer_id in self._aliases

    def resolve(self, customer_id: str) -> str:
        """The id that answers for ``customer_id`` now (the survivor, if it was merged)."""
        cid = self._aliases.get(customer_id, customer_id)
        if cid not in self._customers:
            raise UnknownCustomer("no such customer", field="customer_id", value=customer_id)
        return cid

    def get(self, customer_id: str) -> Customer:
        """The customer with ``customer_id``, or the survivor it was merged into."""
        return self._customers[self.resolve(customer_id)]

    def find(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        loyalty_id: str | None = None,
        channel: Channel | None = None,
        external_id: str | None = None,
    ) -> Customer | None:
        """The customer matched by the strongest given identifier, or ``None``."""
        identity = CustomerIdentity(
            email=email, phone=phone, loyalty_id=loyalty_id, external_id=external_id
        )
        m = self._match(identity, channel)
        return None if m.customer_id is None else self._customers[m.customer_id]

    # -- matching (pure) -----------------------------------------------------------------

    def _keys(
        self, identity: CustomerIdentity, channel: Channel | None
    ) -> list[tuple[str, object]]:
        keys: list[tuple[str, object]] = []
        if identity.external_id is not None and channel is not None:
            keys.append(("external_id", ExternalId(channel, identity.external_id)))
        if identity.loyalty_id is not None:
            keys.append(("loyalty_id", identity.loyalty_id))
        if identity.email is not None:
            keys.append(("email", identity.email))
        if identity.phone is not None:
            keys.append(("phone", identity.phone))
        return keys

    def _match(self, identity: CustomerIdentity, channel: Channel | None) -> _Match:
        found: list[tuple[str, str]] = []
        if identity.customer_id is not None:
            found.append(("customer_id", self.resolve(identity.customer_id)))
        for key in self._keys(identity, channel):
            cid = self._index.get(key)
            if cid is not None:
                found.append((key[0], cid))
        if not found:
            return _Match(None, (), ())
        first = found[0][1]
        others: dict[str, str] = {}
        for kind, cid in found[1:]:
            if cid != first and cid not in others:
                others[cid] = kind
        return _Match(first, tuple(others), tuple(others.values()))

    # -- commands ------------------------------------------------------------------------

    def _put(self, customer: Customer, **changes: Any) -> Customer:
        updated = attrs.evolve(customer, **changes) if changes else customer
        self._customers[updated.id] = updated
        return updated

    def _identify(
        self,
        identity: CustomerIdentity,
        channel: Channel | None,
        at: datetime,
        match: _Match,
        new_id: str | None,
        order_id: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        attributes_at: datetime | None = None,
    ) -> tuple[Customer, list[Event]]:
        """Apply a match computed by :meth:`_match`: attach or create, index new identifiers,
        record the order and the attributes captured with it — in one new snapshot (capture
        is on every order's path)."""
        events: list[Event] = []
        changes: dict[str, Any] = {}
        if match.customer_id is None:
            assert new_id is not None
            customer = _NEW
            cid = new_id
            changes["id"] = new_id
            changes["created_at"] = at
            changes["name"] = identity.name
            events.append(CustomerCreated(occurred_at=at, customer_id=new_id, channel=channel))
        else:
            customer = self._customers[match.customer_id]
            cid = customer.id
            if identity.name is not None and customer.name is None:
                changes["name"] = identity.name
            if match.others:
                events.append(
                    PossibleDuplicate(
                        occurred_at=at,
                        customer_id=customer.id,
                        other_customer_ids=match.others,
                        matched_on=match.matched_on,
                    )
                )
        added: list[str] = []
        for key in self._keys(identity, channel):
            if key not in self._index:
                self._index[key] = cid
                field = _FIELD_OF[key[0]]
                changes[field] = (*changes.get(field, getattr(customer, field)), key[1])
                added.append(key[0])
        if order_id is not None:
            changes["order_ids"] = (*customer.order_ids, order_id)
        if added and match.customer_id is not None:
            events.append(CustomerUpdated(occurred_at=at, customer_id=cid, changes=tuple(added)))
        if attributes:
            when = attributes_at if attributes_at is not None else at
            records = tuple(
                AttributeRecord(
                    name=k, value=v, captured_at=when, channel=channel, order_id=order_id
                )
                for k, v in attributes.items()
            )
            changes["attribute_history"] = _merged_history(customer.attribute_history, records)
            events.extend(
                CustomerAttributeCaptured(
                    occurred_at=at, customer_id=cid, name=r.name, channel=channel
                )
                for r in records
            )
        if customer is _NEW:
            updated = Customer(**changes)
            self._customers[updated.id] = updated
            return updated, events
        return self._put(customer, **changes), events

    def _capture_attributes(
        self,
        customer: Customer,
        attributes: Mapping[str, AttributeValue],
        at: datetime,
        channel: Channel | None,
        order_id: str | None,
    ) -> tuple[Customer, list[Event]]:
        if not attributes:
            return customer, []
        records = tuple(
            AttributeRecord(name=k, value=v, captured_at=at, channel=channel, order_id=order_id)
            for k, v in attributes.items()
        )
        customer = self._put(
            customer, attribute_history=_merged_history(customer.attribute_history, records)
        )
        now = self._clock.now()
        return customer, [
            CustomerAttributeCaptured(
                occurred_at=now, customer_id=customer.id, name=r.name, channel=channel
            )
            for r in records
        ]

    def _record_consent(
        self,
        customer: Customer,
        consents: Mapping[ConsentChannel, bool],
        at: datetime,
        source: Channel | None,
    ) -> tuple[Customer, list[Event]]:
        new: list[ConsentRecord] = []
        known = {r.consent_channel for r in customer.consent_history}
        for channel, granted in consents.items():
            if channel not in known or customer.consent(channel) != granted:
                new.append(
                    ConsentRecord(consent_channel=channel, granted=granted, at=at, source=source)
                )
        if not new:
            return customer, []
        before = customer.consents
        customer = self._put(
            customer, consent_history=_merged_history(customer.consent_history, tuple(new))
        )
        # A back-dated record joins the history but may not change the consent now: only a
        # first answer, or a change of the current consent, is an event.
        after = customer.consents
        events: list[Event] = [
            ConsentChanged(
                occurred_at=at, customer_id=customer.id, consent_channel=c, granted=after[c]
            )
            for c in consents
            if c not in known or before[c] != after[c]
        ]
        return customer, events

    def capture_attributes(
        self,
        customer_id: str,
        attributes: Mapping[str, AttributeValue],
        *,
        channel: Channel | None = None,
        captured_at: datetime | None = None,
    ) -> list[Event]:
        """Record attribute values for a customer outside an order (a profile form, a CRM)."""
        checked = check_attributes(attributes)
        at = self._when(captured_at, "captured_at")
        customer = self.get(customer_id)
        events = self._capture_attributes(customer, checked, at, channel, None)[1]
        self._publish(events)
        return events

    def set_consent(
        self,
        customer_id: str,
        consent_channel: ConsentChannel,
        granted: bool,
        *,
        source: Channel | None = None,
        at: datetime | None = None,
    ) -> list[Event]:
        """Grant (``granted=True``) or withdraw marketing consent for one contact channel.

        Recording the consent the customer already has changes nothing and returns no event.
        """
        if not isinstance(consent_channel, ConsentChannel):
            raise ValidationError(
                "must be a ConsentChannel", field="consent_channel", value=consent_channel
            )
        if not isinstance(granted, bool):
            raise ValidationError("must be a bool", field="granted", value=granted)
        when = self._when(at, "at")
        customer = self.get(customer_id)
        events = self._record_consent(customer, {consent_channel: granted}, when, source)[1]
        self._publish(events)
        return events

    def merge(self, survivor_id: str, duplicate_id: str) -> list[Event]:
        """Merge ``duplicate_id`` into ``survivor_id``: one customer with both histories.

        The survivor gains the duplicate's identifiers, attribute and consent histories and
        orders; the duplicate's id answers with the survivor from now on.

        Raises:
            UnknownCustomer: either id is unknown.
            ValidationError: both ids already answer for the same customer.
        """
        survivor = self.get(survivor_id)
        duplicate = self.get(duplicate_id)
        if survivor.id == duplicate.id:
            raise ValidationError(
                "is already the same customer as the survivor",
                field="duplicate_id",
                value=duplicate_id,
                entity_id=survivor.id,
            )
        at = self._clock.now()
        self._put(
            survivor,
            name=survivor.name if survivor.name is not None else duplicate.name,
            emails=survivor.emails + duplicate.emails,
            phones=survivor.phones + duplicate.phones,
            loyalty_ids=survivor.loyalty_ids + duplicate.loyalty_ids,
            external_ids=survivor.external_ids + duplicate.external_ids,
            attribute_history=_merged_history(
                survivor.attribute_history, duplicate.attribute_history
            ),
            consent_history=_merged_history(survivor.consent_history, duplicate.consent_history),
            order_ids=survivor.order_ids + duplicate.order_ids,
            merged_ids=(*survivor.merged_ids, duplicate.id, *duplicate.merged_ids),
        )
        for key, cid in self._index.items():
            if cid == duplicate.id:
                self._index[key] = survivor.id
        for alias, cid in self._aliases.items():
            if cid == duplicate.id:
                self._aliases[alias] = survivor.id
        self._aliases[duplicate.id] = survivor.id
        del self._customers[duplicate.id]
        return [
            CustomersMerged(occurred_at=at, survivor_id=survivor.id, duplicate_id=duplicate.id)
        ]

    def erase(self, customer_id: str) -> list[Event]:
        """Pseudonymise a customer's personal data (right to erasure).

        Name, e-mails, phones, loyalty and external ids and captured attributes are removed,
        and every marketing consent is withdrawn; the id, order ids and everything financial
        stay. The hub also erases the addresses on the customer's orders. Erasing again
        removes whatever was captured since, and otherwise changes nothing.
        """
        customer = self.get(customer_id)
        has_personal_data = (
            customer.name is not None
            or customer.emails
            or customer.phones
            or customer.loyalty_ids
            or customer.external_ids
            or customer.attribute_history
            or any(customer.consents.values())
        )
        if customer.is_erased and not has_personal_data:
            return []
        at = self._clock.now()
        for key in [k for k, cid in self._index.items() if cid == customer.id]:
            del self._index[key]
        withdrawn = tuple(
            ConsentRecord(consent_channel=c, granted=False, at=at)
            for c, granted in customer.consents.items()
            if granted
        )
        for listener in self._on_erase:
            listener(customer.id, customer.order_ids)
        self._put(
            customer,
            name=None,
            emails=(),
            phones=(),
            loyalty_ids=(),
            external_ids=(),
            attribute_history=(),
            consent_history=customer.consent_history + withdrawn,
            is_erased=True,
        )
        events: list[Event] = [CustomerErased(occurred_at=at, customer_id=customer.id)]
        self._publish(events)
        return events

    def _when(self, at: datetime | None, field: str) -> datetime:
        now = aware(self._clock.now(), "clock.now()")
        if at is None:
            return now
        when = aware(at, field)
        if when > now:
            raise ValidationError("must not lie in the future", field=field, value=at.isoformat())
        return when
