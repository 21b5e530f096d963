"""The hub's outbox: effects derived from what happened, and their resolution.

A mixin of :class:`orderhub.OrderHub`. Effects are derived in one place — from the events
the hub records and the journal entries it posts — so every command gets its outside
actions without knowing about adapters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from orderhub._effects import (
    Effect,
    EffectKind,
    EffectStatus,
    Outbox,
    RetryPolicy,
    evolve_effect,
    lazy_effect,
)
from orderhub._fulfilment import FulfillmentOrder, FulfillmentState
from orderhub._journal import JournalEntry
from orderhub._orders import ORDER_STATES, HoldKind, Order, OrderState
from orderhub._payloads import (
    WithdrawnLines,
    fulfillment_withdrawal,
    plain,
    sales_order,
    sales_order_cancellation,
    withdrawn_lines,
)
from orderhub.errors import NotFound, ValidationError
from orderhub.events import (
    AssignmentRejected,
    CreditNoteIssued,
    EffectAbandoned,
    Event,
    InvoiceIssued,
    OrderCancelled,
    OrderEdited,
    OrderLineCancelled,
    OrderRouted,
    OrderStateChanged,
    PaymentRecorded,
    ReservationsExpired,
)
from orderhub.ports import Failed, Outcome, Rejected, Succeeded

if TYPE_CHECKING:
    from orderhub._allocation import Allocator
    from orderhub._billing import Invoice
    from orderhub._customers import CustomerMaster
    from orderhub.ports import IdFactory

__all__ = ["EffectCommands"]


# What each kind of event asks of the outbox (the events of other kinds ask nothing).
_ROUTED, _MOVED, _INVOICED, _CREDITED, _PAID, _WITHDRAWN, _CANCELLED = range(7)
_DISPATCH: tuple[tuple[type[Event] | tuple[type[Event], ...], int], ...] = (
    (OrderRouted, _ROUTED),
    (OrderStateChanged, _MOVED),
    (InvoiceIssued, _INVOICED),
    (CreditNoteIssued, _CREDITED),
    (PaymentRecorded, _PAID),
    ((OrderLineCancelled, ReservationsExpired, OrderEdited, AssignmentRejected), _WITHDRAWN),
    (OrderCancelled, _CANCELLED),
)
_ROLE_OF: dict[type, int | None] = {}
_ON_HOLD = OrderState.ON_HOLD.value


def _role(cls: type) -> int | None:
    """The role of events of class ``cls`` (the first of :data:`_DISPATCH` it is an
    instance of), looked up once per class."""
    try:
        return _ROLE_OF[cls]
    except KeyError:
        role = next((r for base, r in _DISPATCH if issubclass(cls, base)), None)
        _ROLE_OF[cls] = role
        return role


class EffectCommands:
    """The outbox of the hub: what must happen outside, and what came of it."""

    if TYPE_CHECKING:  # provided by OrderHub
        _orders: dict[str, Order]
        _alloc: Allocator
        _ids: IdFactory
        _invoices: dict[str, Invoice]
        customers: CustomerMaster

        def _now(self) -> datetime: ...
        def _record(self, events: Sequence[Event]) -> tuple[Event, ...]: ...
        def order(self, order_id: str) -> Order: ...
        def reject(self, order_id: str, location_id: str, *, reason: str) -> tuple[Event, ...]: ...
        def hold(self, order_id: str, kind: HoldKind, reason: str) -> tuple[Event, ...]: ...

    def _init_effects(self, *, retry: RetryPolicy, default_erp: str) -> None:
        self._outbox = Outbox()
        self._retry = retry
        self._default_erp = default_erp
        # order id → ERPs it was submitted to (tuples, untracked by the collector)
        self._submitted: dict[str, tuple[str, ...]] = {}
        self._released_fos: set[str] = set()
        self._upserted: set[tuple[str, str]] = set()

    # -- deriving effects ----------------------------------------------------------------

    def _emit(
        self,
        kind: EffectKind,
        target: str,
        subject_id: str,
        source: Any,
        build: Callable[[Any], Mapping[str, Any]],
        key: str,
    ) -> None:
        """Queue an effect whose payload ``build`` makes from ``source`` (frozen documents
        as they are now) when it is read."""
        now = self._now()
        self._outbox.add(
            lazy_effect(
                source,
                build,
                id=self._ids.new_id("effect"),
                kind=kind,
                target=target,
                subject_id=subject_id,
                idempotency_key=key,
                created_at=now,
                next_attempt_at=now,
            )
        )

    def _effects_for(
        self,
        events: Sequence[Event],
        fos_before: Mapping[str, tuple[FulfillmentOrder, ...]] | None = None,
    ) -> None:
        """Derive the outside actions of what just happened: ``events``, the last recorded.

        ``fos_before`` holds, by order id, the fulfilment orders of the orders the command
        may have taken units from (a cancellation, an expiry, an edit, a rejection), as they
        were before it: what an announced one lost is withdrawn at its location, and, for a
        cancellation, at its ERP.
        """
        unannounced = dict(fos_before) if fos_before else None
        # order id → ERP → lines withdrawn, for the OrderCancelled later in this batch
        for_whole: dict[str, dict[str, WithdrawnLines]] | None = None
        for i, e in enumerate(events):
            role = _role(e.__class__)
            if role is None:
                continue
            if role == _ROUTED:
                assert isinstance(e, OrderRouted)
                self._effects_for_routing(e.order_id)
            elif role == _MOVED:
                assert isinstance(e, OrderStateChanged)
                if e.to_state == _ON_HOLD or e.from_state == _ON_HOLD:
                    self._releases_follow_hold(e.order_id)
            elif role == _INVOICED:
                assert isinstance(e, InvoiceIssued)
                invoice = self._invoices[e.invoice_id]
                erp = self._erp_of_shipment(e.shipment_id, e.order_id)
                self._emit(
                    EffectKind.POST_INVOICE,
                    erp,
                    e.invoice_id,
                    invoice,
                    plain,
                    f"invoice:{e.invoice_id}",
                )
            elif role == _CREDITED:
                assert isinstance(e, CreditNoteIssued)
                note = self._invoices[e.credit_note_id]
                invoice = self._invoices[e.invoice_id]
                erp = self._erp_of_shipment(invoice.shipment_id, e.order_id)
                self._emit(
                    EffectKind.POST_CREDIT_NOTE,
                    erp,
                    e.credit_note_id,
                    note,
                    plain,
                    f"credit-note:{e.credit_note_id}",
                )
            elif role == _PAID:
                assert isinstance(e, PaymentRecorded)
                self._emit(
                    EffectKind.POST_PAYMENT,
                    self._default_erp,
                    e.payment_id,
                    e,
                    plain,
                    f"payment:{e.payment_id}",
                )
            elif role == _WITHDRAWN:
                assert isinstance(
                    e, (OrderLineCancelled, ReservationsExpired, OrderEdited, AssignmentRejected)
                )
                if unannounced is not None and e.order_id in unannounced:
                    fos = unannounced.pop(e.order_id)
                    whole = self._effects_for_withdrawal(e, fos, events, i)
                    if whole is not None:
                        for_whole = for_whole or {}
                        for_whole[e.order_id] = whole
            else:
                assert isinstance(e, OrderCancelled)
                by_erp = for_whole.pop(e.order_id, {}) if for_whole else {}
                for erp in self._submitted.get(e.order_id, ()):
                    self._emit(
                        EffectKind.CANCEL_ORDER,
                        erp,
                        e.order_id,
                        (e, by_erp.get(erp, ())),
                        sales_order_cancellation,
                        f"cancel:{e.order_id}:{erp}",
                    )

    def _effects_for_withdrawal(
        self,
        event: OrderLineCancelled | ReservationsExpired | OrderEdited | AssignmentRejected,
        fos_before: tuple[FulfillmentOrder, ...],
        events: Sequence[Event],
        i: int,
    ) -> dict[str, WithdrawnLines] | None:
        """The outside actions of ``event`` (``events[i]``, the first of its order's
        withdrawals in the batch): the locations hear what left their fulfilment orders;
        for a cancellation, so does each ERP — now, or, when the batch goes on to cancel
        the whole order, with that cancellation (the lines are returned for it)."""
        by_erp = self._effects_for_withdrawn(fos_before)
        if not isinstance(event, OrderLineCancelled) or not by_erp:
            return None  # expired, edited or rejected units move on: they stay ordered
        order_id = event.order_id
        if any(
            type(later) is OrderCancelled and later.order_id == order_id
            for later in events[i + 1 :]
        ):
            return by_erp
        for erp in self._submitted.get(order_id, ()):
            if erp in by_erp:
                self._emit(
                    EffectKind.CANCEL_ORDER,
                    erp,
                    order_id,
                    (event, by_erp[erp]),
                    sales_order_cancellation,
                    self._numbered(f"cancel-lines:{order_id}:{erp}:"),
                )
        return None

    def _effects_for_routing(self, order_id: str) -> None:
        new = [
            fo
            for fo in self._alloc.fulfillment.of_order(order_id)
            if fo.state is FulfillmentState.PENDING and fo.id not in self._released_fos
        ]
        if not new:
            return
        order = self._orders[order_id]
        by_erp: dict[str, list[Any]] = {}
        for fo in new:
            by_erp.setdefault(fo.erp, []).append(fo)
        submitted = self._submitted.get(order_id, ())
        for erp, fos in by_erp.items():
            if erp in submitted:
                continue  # the ERP has the sales order; a move between its locations is
                # the fulfilment side's business (a release to the new location)
            submitted = self._submitted[order_id] = (*submitted, erp)
            customer = self.customers.get(order.customer_id)
            if (customer.id, erp) not in self._upserted:
                self._upserted.add((customer.id, erp))
                self._emit(
                    EffectKind.UPSERT_CUSTOMER,
                    erp,
                    customer.id,
                    customer,
                    plain,
                    f"customer:{customer.id}:{erp}",
                )
            self._emit(
                EffectKind.SUBMIT_ORDER,
                erp,
                order_id,
                (order, *fos),
                sales_order,
                f"submit:{order_id}:{erp}",
            )
        for fo in new:
            self._released_fos.add(fo.id)
            self._alloc.fulfillment.seal(fo.id)
            location = self._alloc.network.get(fo.location_id)
            target = location.vendor if location.vendor is not None else "default"
            self._emit(
                EffectKind.RELEASE_FULFILLMENT, target, fo.id, fo, plain, f"release:{fo.id}"
            )
        if order.state is OrderState.ON_HOLD:
            self._releases_follow_hold(order_id)

    def _releases_follow_hold(self, order_id: str) -> None:
        """Hold back the pending releases of ``order_id`` while it is on hold, and let them
        go when it is not (a release whose fulfilment order was cancelled meanwhile is
        called off instead). The withdrawals in part of a fulfilment order whose release
        waits wait with it. Only these wait for a hold: the ERP's sales order, the
        customer and the books go on."""
        held = self._orders[order_id].state is OrderState.ON_HOLD
        outbox = self._outbox
        for fo in self._alloc.fulfillment.of_order(order_id):
            if fo.id not in self._released_fos:
                continue
            release = outbox.pending_with_key(f"release:{fo.id}")
            if release is None:
                continue
            if held:
                outbox.hold_back(release.id)
            elif not outbox.is_held_back(release.id):
                continue
            elif fo.state is FulfillmentState.CANCELLED:
                self._withdraw(fo)
                continue
            else:
                outbox.let_go(release.id)
            # withdrawals in part go with their release
            for part in self._withdrawals_in_part(fo.id):
                if part.status is EffectStatus.PENDING:
                    (outbox.hold_back if held else outbox.let_go)(part.id)

    def _hold_back_releases_of_held_orders(self) -> None:
        """Hold back every pending release of an order on hold (for a hub restored from a
        snapshot written before releases waited for holds)."""
        fos = self._alloc.fulfillment
        orders = dict.fromkeys(
            fos.get(e.subject_id).order_id
            for e in self._outbox.pending()
            if e.kind is EffectKind.RELEASE_FULFILLMENT
        )
        for order_id in orders:
            if self._orders[order_id].state is OrderState.ON_HOLD:
                self._releases_follow_hold(order_id)

    def _effects_for_withdrawn(
        self, fos_before: tuple[FulfillmentOrder, ...]
    ) -> dict[str, WithdrawnLines]:
        """Tell each location what left its announced fulfilment orders since
        ``fos_before``: a fulfilment order now cancelled is withdrawn whole (once, see
        :meth:`_withdraw`); one that keeps units (or shipped the rest) is withdrawn in part,
        once per withdrawal (held back with its release while that is held back); one the
        location rejected is not its to hear of again. Returns, by ERP, the units withdrawn
        from its fulfilment orders (rejected ones aside) per order line."""
        book = self._alloc.fulfillment
        by_erp: dict[str, dict[int, tuple[str, int]]] = {}
        for before in fos_before:
            if not before.is_open or before.id not in self._released_fos:
                continue
            after = book.get(before.id)
            lines = withdrawn_lines(before, after)
            if not lines or after.state is FulfillmentState.REJECTED:
                continue
            if after.state is FulfillmentState.CANCELLED:
                self._withdraw(after)
            else:
                self._withdraw_part(before, after)
            at_erp = by_erp.setdefault(after.erp, {})
            for line_no, sku, quantity in lines:
                held = at_erp.get(line_no)
                at_erp[line_no] = (sku, quantity + (held[1] if held else 0))
        return {
            erp: tuple((n, sku, q) for n, (sku, q) in sorted(lines_of.items()))
            for erp, lines_of in by_erp.items()
        }

    def _withdraw_part(self, before: FulfillmentOrder, after: FulfillmentOrder) -> None:
        """Tell the location that ``after`` keeps only part of what ``before`` had. While
        the release is held back (its order on hold), so is this: it goes with the release,
        after it."""
        outbox = self._outbox
        key = self._numbered(f"cancel-fulfillment-lines:{after.id}:")
        location = self._alloc.network.get(after.location_id)
        target = location.vendor if location.vendor is not None else "default"
        self._emit(
            EffectKind.CANCEL_FULFILLMENT,
            target,
            after.id,
            (before, after),
            fulfillment_withdrawal,
            key,
        )
        release = outbox.pending_with_key(f"release:{after.id}")
        if release is not None and outbox.is_held_back(release.id):
            withdrawal = outbox.pending_with_key(key)
            assert withdrawal is not None
            outbox.hold_back(withdrawal.id)

    def _withdrawals_in_part(self, fulfillment_order_id: str) -> list[Effect]:
        """The withdrawals in part of a fulfilment order, in order, whatever their status."""
        return self._series(f"cancel-fulfillment-lines:{fulfillment_order_id}:")

    def _series(self, prefix: str) -> list[Effect]:
        """The effects queued under the keys ``prefix`` + 1, 2, … in order (a few at most:
        looked up one by one)."""
        out: list[Effect] = []
        while (found := self._outbox.with_key(f"{prefix}{len(out) + 1}")) is not None:
            out.append(found)
        return out

    def _numbered(self, prefix: str) -> str:
        """The next key of the series ``prefix`` + 1, 2, …: one per withdrawal, fixed once
        its effect is queued, the same after a restore or a replay."""
        return f"{prefix}{len(self._series(prefix)) + 1}"

    def _withdraw(self, fo: FulfillmentOrder) -> None:
        """Tell the location of the cancelled ``fo`` to withdraw it — unless it cannot have
        had it: a release held back (its order on hold) is called off instead, and the
        location is told only if an attempt to release was made. Withdrawals in part held
        back with the release are called off either way (nothing is left of it)."""
        outbox = self._outbox
        key = f"release:{fo.id}"
        release = outbox.pending_with_key(key)
        if release is not None and outbox.is_held_back(release.id):
            called_off = evolve_effect(release, status=EffectStatus.CANCELLED)
            outbox.put(release, called_off)
            release = called_off
            for part in self._withdrawals_in_part(fo.id):
                if part.status is EffectStatus.PENDING and outbox.is_held_back(part.id):
                    outbox.put(part, evolve_effect(part, status=EffectStatus.CANCELLED))
        else:
            release = outbox.with_key(key)
        if (
            release is not None
            and release.status is EffectStatus.CANCELLED
            and not release.attempts
        ):
            return  # never sent (a late answer says otherwise: see resolve)
        self._send_withdrawal(fo)

    def _send_withdrawal(self, fo: FulfillmentOrder) -> None:
        location = self._alloc.network.get(fo.location_id)
        target = location.vendor if location.vendor is not None else "default"
        self._emit(
            EffectKind.CANCEL_FULFILLMENT,
            target,
            fo.id,
            fo,
            plain,
            f"cancel-fulfillment:{fo.id}",
        )

    def _effects_for_entry(self, entry: JournalEntry) -> None:
        self._emit(
            EffectKind.POST_JOURNAL_ENTRY,
            "finance",
            entry.id,
            entry,
            plain,
            f"journal:{entry.id}",
        )

    def _erp_of_shipment(self, shipment_id: str | None, order_id: str | None) -> str:
        if shipment_id is not None:
            shipment = self._shipments.get(shipment_id)  # type: ignore[attr-defined]
            if shipment is not None:
                return self._alloc.network.get(shipment.location_id).erp
        if order_id is not None:
            for fo in self._alloc.fulfillment.of_order(order_id):
                return fo.erp
        return self._default_erp

    # -- the outbox ----------------------------------------------------------------------

    def pending_effects(self) -> tuple[Effect, ...]:
        """The effects due now on the hub's clock, in the order they became due.

        The release of a fulfilment order whose order is on hold is not due: it waits,
        pending, without counting as an attempt, and comes due again (at its own
        ``next_attempt_at``, or at once if that has passed) when the last hold is released.
        """
        return self._outbox.due(self._now())

    def effects(self) -> tuple[Effect, ...]:
        """Every effect the hub ever queued, in order, whatever its status."""
        return tuple(self._outbox)

    def effect(self, effect_id: str) -> Effect:
        """The effect ``effect_id``."""
        found = self._outbox.get(effect_id)
        if found is None:
            raise NotFound("no such effect", field="effect_id", value=effect_id)
        return found

    def resolve(self, effect: Effect | str, outcome: Outcome) -> tuple[Event, ...]:
        """Feed back what came of an effect: the one path both drivers use.

        Succeeded: done (a released fulfilment order moves to released). Failed: retried
        later by the retry policy, and compensated when it gives up. Rejected: compensated
        at once — a refused release is re-routed elsewhere, a refused sales order puts the
        order on hold with the reason. An outcome for an effect already settled (a
        duplicate, a late answer) changes nothing — except that a release the hub called
        off while it was in flight, answered succeeded or failed, may have reached its
        location: the location is sent a cancel for it.
        """
        effect_id = effect.id if isinstance(effect, Effect) else effect
        current = self.effect(effect_id)
        if not isinstance(outcome, (Succeeded, Rejected, Failed)):
            raise ValidationError(
                "must be Succeeded, Rejected or Failed",
                field="outcome",
                value=outcome,
                entity_id=effect_id,
            )
        if current.status is not EffectStatus.PENDING:
            if (
                current.status is EffectStatus.CANCELLED
                and current.kind is EffectKind.RELEASE_FULFILLMENT
                and not isinstance(outcome, Rejected)
            ):
                self._send_withdrawal(self._alloc.fulfillment.get(current.subject_id))
            return ()
        now = self._now()
        if isinstance(outcome, Succeeded):
            done = evolve_effect(
                current,
                status=EffectStatus.SUCCEEDED,
                reference=outcome.reference,
                attempts=current.attempts + 1,
            )
            self._outbox.put(current, done)
            return self._succeeded(done)
        attempts = current.attempts + 1
        if isinstance(outcome, Failed) and not self._retry.gives_up(attempts):
            later = evolve_effect(
                current,
                attempts=attempts,
                last_error=outcome.reason,
                next_attempt_at=now + self._retry.delay(attempts),
            )
            self._outbox.put(current, later)
            return ()
        status = EffectStatus.REJECTED if isinstance(outcome, Rejected) else EffectStatus.ABANDONED
        ended = evolve_effect(
            current,
            status=status,
            attempts=attempts,
            last_error=outcome.reason,
        )
        self._outbox.put(current, ended)
        return self._compensate(ended, now)

    def _succeeded(self, effect: Effect) -> tuple[Event, ...]:
        if effect.kind is not EffectKind.RELEASE_FULFILLMENT:
            return ()
        fo = self._alloc.fulfillment.get(effect.subject_id)
        if fo.state is not FulfillmentState.PENDING:
            return ()  # cancelled or re-routed meanwhile: nothing left to release
        now = self._now()
        events: list[Event] = list(self._fo_moved(fo, FulfillmentState.RELEASED, now))  # type: ignore[attr-defined]
        order = self._orders[fo.order_id]
        if order.state is OrderState.ON_HOLD and order.resume_state in (
            OrderState.ALLOCATED,
            OrderState.PARTIALLY_ALLOCATED,
        ):
            # The location has it: when the hold is released the order resumes released.
            self._orders[order.id] = attrs.evolve(order, resume_state=OrderState.RELEASED)
        elif order.state in (OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED):
            self._orders[order.id] = order._moved(OrderState.RELEASED)
            events.append(
                OrderStateChanged(
                    occurred_at=now,
                    order_id=order.id,
                    from_state=order.state.value,
                    to_state=OrderState.RELEASED.value,
                )
            )
        return self._record(events)

    def _compensate(self, effect: Effect, now: datetime) -> tuple[Event, ...]:
        reason = f"{effect.target} {effect.status.value}: {effect.last_error}"
        events: tuple[Event, ...] = self._record(
            [
                EffectAbandoned(
                    occurred_at=now,
                    effect_id=effect.id,
                    kind=effect.kind.value,
                    target=effect.target,
                    subject_id=effect.subject_id,
                    reason=reason,
                )
            ]
        )
        if effect.kind is EffectKind.RELEASE_FULFILLMENT:
            fo = self._alloc.fulfillment.get(effect.subject_id)
            if fo.is_open and not any(line.shipped for line in fo.lines):
                if fo.state is FulfillmentState.PENDING:
                    self._alloc.fulfillment.put(attrs.evolve(fo, state=FulfillmentState.RELEASED))
                events += self.reject(fo.order_id, fo.location_id, reason=reason)
        elif effect.kind is EffectKind.SUBMIT_ORDER:
            order = self._orders[effect.subject_id]
            # Hold what can still be held; an order already shipped or invoiced is past
            # holding: the EffectAbandoned event above asks a person to look.
            if order.state is OrderState.ON_HOLD or ORDER_STATES.can(
                order.state, OrderState.ON_HOLD
            ):
                events += self.hold(
                    order.id, HoldKind.MANUAL, f"sales order not accepted: {reason}"
                )
        return events
