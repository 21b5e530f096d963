"""Customer insight: profiles kept from the hub's events, the 360° view, RFM, segments,
offers and demand (reached as ``hub.insights``).

Every event the hub records passes through :meth:`Insights._apply`. Events that change a
profile are looked up by type in :data:`_HANDLERS`, a dispatch table that the areas still to
come (shipments, invoices, returns, payments) extend with one entry each. Handling is
deferred until something reads insight — or done at once while segments are defined, since
membership changes must be recorded as they happen — and each event is handled once, so
the profiles are always those of the whole history without ever rescanning it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Final

import attrs

from orderhub import events as _events
from orderhub._billing import Invoice
from orderhub._customers import Customer
from orderhub._fulfilment import Shipment
from orderhub._hub_returns import ReturnAuthorization
from orderhub._insight_forecast import DemandSeries, check_bucket, check_day
from orderhub._insight_profiles import Profile, _Store, day_of, facts_of, profile_of
from orderhub._insight_rfm import (
    RFM,
    RFMScore,
    RFMScoring,
    RFMSummary,
    _Series,
    check_period,
    rfm_of,
    summarise,
)
from orderhub._insight_segments import (
    CustomerEnteredSegment,
    CustomerLeftSegment,
    OfferMatch,
    OfferRule,
    Segment,
    Target,
)
from orderhub._money import Money, minor_units
from orderhub._orders import Order, OrderState
from orderhub._receivables_values import OpenItem
from orderhub._values import Channel, ConsentChannel
from orderhub.errors import NotFound, UnknownCustomer, ValidationError
from orderhub.events import (
    ConsentChanged,
    CustomerAttributeCaptured,
    CustomerCreated,
    CustomerErased,
    CustomersMerged,
    Event,
    OrderCancelled,
    OrderCaptured,
    OrderLineCancelled,
    ReturnAuthorized,
)

if TYPE_CHECKING:
    from orderhub._hub import OrderHub

__all__ = ["CustomerView", "Insights"]

_Touched = dict[str, None]  # customer ids whose profile changed, in order
_Handler = Callable[["Insights", Event, _Touched, list[Event]], None]

_CLOSED: Final = frozenset({OrderState.CLOSED, OrderState.CANCELLED})


@attrs.frozen(kw_only=True)
class CustomerView:
    """The 360° view of one customer: everything a call-centre agent needs in one call.

    Shipments carry their carrier and tracking number; invoices include credit notes;
    open items are the receivables still open (instalments separately).
    """

    customer: Customer
    profile: Profile
    orders: tuple[Order, ...]
    """The customer's orders (including those of customers merged into it), newest first."""
    segments: tuple[str, ...]
    """The defined segments the customer belongs to."""
    offers: tuple[OfferMatch, ...]
    """The offers that fit the customer on the view's day, best first."""
    shipments: tuple[Shipment, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    open_items: tuple[OpenItem, ...] = ()
    returns: tuple[ReturnAuthorization, ...] = ()

    @property
    def open_orders(self) -> tuple[Order, ...]:
        """The orders neither closed nor cancelled."""
        return tuple(o for o in self.orders if o.state not in _CLOSED)


class Insights:
    """What the hub learns about its customers; reached as ``hub.insights``.

    Profiles, RFM, segments, offers and demand series, kept current from the hub's events
    (never by rescanning the order history). Time moves for insight only when the host says
    so with :meth:`refresh` (as it does for reservations with ``expire_reservations``): the
    time-relative parts of a profile and the RFM scores refer to the day of the last
    refresh.
    """

    def __init__(self, hub: OrderHub) -> None:
        self._hub = hub
        self._store = _Store()
        self._pending: list[Event] = []
        self._tz: tzinfo = UTC
        self._returns: dict[str, dict[int, int]] = {}
        self._segments: dict[str, Segment] = {}
        self._members: dict[str, dict[str, None]] = {}
        self._offers: list[OfferRule] = []
        self._as_of: date | None = None
        self._period = "D"
        self._currency: str | None = None
        self._scoring: RFMScoring | None = None
        self._aliases_seen = 0
        self._demand: dict[str, dict[tuple[str | None, Channel], dict[int, int]]] = {}

    # -- settings ----------------------------------------------------------------------------

    @property
    def timezone(self) -> tzinfo:
        """The time zone whose calendar days are purchase days (UTC by default)."""
        return self._tz

    @timezone.setter
    def timezone(self, tz: tzinfo) -> None:
        if not isinstance(tz, tzinfo):
            raise ValidationError("must be a tzinfo", field="timezone", value=tz)
        if self._store.aggregates or self._pending or self._demand:
            raise ValidationError(
                "can only be set before the first order", field="timezone", value=str(tz)
            )
        self._tz = tz

    @property
    def as_of(self) -> date | None:
        """The day of the last :meth:`refresh`, or ``None`` before the first."""
        return self._as_of

    # -- the event path ----------------------------------------------------------------------

    def _apply(self, events: Iterable[Event]) -> tuple[Event, ...]:
        """Take the events the hub just recorded; returns the segment events they caused.

        Cheap on the hub's command path: events are queued, and handled now only when
        segments are defined (their membership events are due now).
        """
        handlers = _HANDLERS
        pending = self._pending
        for e in events:
            if type(e) in handlers:
                pending.append(e)
        if not self._segments:
            return ()
        return tuple(self._catch_up())

    def _current(self) -> None:
        """Handle whatever is pending before answering a query."""
        events = self._catch_up()
        if events:
            self._hub._record(events)

    def _catch_up(self) -> list[Event]:
        touched: _Touched = {}
        out: list[Event] = []
        aliases = self._hub.customers._aliases
        if len(aliases) != self._aliases_seen:
            # Merges reach insight through CustomersMerged; a merge done on the customer
            # master directly is caught here by its alias.
            for duplicate, survivor in list(aliases.items()):
                self._fold(duplicate, survivor, touched, out)
            self._aliases_seen = len(aliases)
        while self._pending:
            batch, self._pending = self._pending, []
            for e in batch:
                _HANDLERS[type(e)](self, e, touched, out)
        if self._segments and touched:
            out.extend(self._evaluate(touched))
        return out

    def _fold(self, duplicate: str, survivor: str, touched: _Touched, out: list[Event]) -> None:
        if duplicate in self._store.aggregates or duplicate in self._store.imported:
            self._store.fold(duplicate, survivor)
            touched[survivor] = None
        touched.pop(duplicate, None)
        for name, members in self._members.items():
            if duplicate in members:
                del members[duplicate]
                out.append(
                    CustomerLeftSegment(
                        occurred_at=self._hub._now(), customer_id=duplicate, segment=name
                    )
                )
                touched[survivor] = None

    def _order_changed(self, order_id: str, touched: _Touched) -> None:
        order = self._hub.order(order_id)
        cid = self._hub.customers.resolve(order.customer_id)
        facts = facts_of(order, self._tz, self._returns.get(order_id, {}))
        if self._store.record(cid, order_id, facts):
            touched[cid] = None

    def _on_order_captured(self, e: Event, touched: _Touched, out: list[Event]) -> None:
        assert isinstance(e, OrderCaptured)
        order = self._hub.order(e.order_id)
        day = day_of(order, self._tz)
        by_sku = self._demand
        where = (order.context.store_id, order.channel)
        for line in order.lines:
            days = by_sku.setdefault(line.sku, {}).setdefault(where, {})
            days[day] = days.get(day, 0) + line.quantities.ordered
        self._order_changed(e.order_id, touched)

    def _on_order_event(self, e: Event, touched: _Touched, out: list[Event]) -> None:
        order_id = getattr(e, "order_id", None)
        assert isinstance(order_id, str)
        self._order_changed(order_id, touched)

    def _on_return(self, e: Event, touched: _Touched, out: list[Event]) -> None:
        assert isinstance(e, ReturnAuthorized)
        for line_no, quantity in e.lines:
            self._note_return(e.order_id, line_no, quantity, touched)

    def _on_customer_event(self, e: Event, touched: _Touched, out: list[Event]) -> None:
        assert isinstance(e, CustomerCreated | CustomerAttributeCaptured | ConsentChanged)
        touched[self._hub.customers.resolve(e.customer_id)] = None

    def _on_customer_erased(self, e: Event, touched: _Touched, out: list[Event]) -> None:
        assert isinstance(e, CustomerErased)
        touched[self._hub.customers.resolve(e.customer_id)] = None

    def _on_customers_merged(self, e: Event, touched: _Touched, out: list[Event]) -> None:
        assert isinstance(e, CustomersMerged)
        self._fold(e.duplicate_id, self._hub.customers.resolve(e.survivor_id), touched, out)

    # Hooks for the areas to come: each one's event handler calls one of these.

    def _note_return(self, order_id: str, line_no: int, quantity: int, touched: _Touched) -> None:
        """Hook for returns: ``quantity`` units of a line came back."""
        lines = self._returns.setdefault(order_id, {})
        lines[line_no] = lines.get(line_no, 0) + quantity
        self._order_changed(order_id, touched)

    def _note_balance(self, customer_id: str, delta: Money, touched: _Touched) -> None:
        """Hook for receivables: the customer's open balance moved by ``delta``."""
        cid = self._hub.customers.resolve(customer_id)
        self._store.note_balance(cid, delta.currency, delta.minor_units)
        touched[cid] = None

    # -- profiles ------------------------------------------------------------------------------

    def _resolve(self, customer_id: str) -> str:
        try:
            return self._hub.customers.resolve(customer_id)
        except (UnknownCustomer, TypeError):
            raise UnknownCustomer(
                "no such customer", field="customer_id", value=customer_id
            ) from None

    def _rfm_of(self, cid: str, series: dict[str, _Series]) -> tuple[RFM | None, RFMScore | None]:
        if self._as_of is None or self._currency is None or self._currency not in series:
            return None, None
        kind = check_period(self._period)
        rfm = rfm_of(series[self._currency], kind, self._as_of, self._currency)
        if rfm is None or self._scoring is None or not self._scoring.size:
            return rfm, None
        return rfm, self._scoring.score(rfm)

    def _profile(self, cid: str) -> Profile:
        agg = self._store.aggregates.get(cid)
        rfm, score = self._rfm_of(cid, agg.series if agg is not None else {})
        profile = profile_of(
            self._hub.customers.get(cid), agg, as_of=self._as_of, rfm=rfm, rfm_score=score
        )
        receivables = self._hub.receivables
        currencies = receivables.currencies(cid)
        if not currencies:
            return profile
        # The ledger keeps running totals per account: reading them is not a rescan.
        return attrs.evolve(
            profile, open_balance={c: receivables.balance(cid, c) for c in currencies}
        )

    def profile(self, customer_id: str) -> Profile:
        """The profile of ``customer_id`` (or of the customer it was merged into), current.

        Raises:
            UnknownCustomer: no such customer.
        """
        cid = self._resolve(customer_id)
        self._current()
        return self._profile(cid)

    def profiles(self) -> Iterator[Profile]:
        """The profile of every customer, in the customer master's order."""
        self._current()
        for customer in list(self._hub.customers):
            yield self._profile(customer.id)

    def rebuilt(self, customer_id: str) -> Profile:
        """The profile of ``customer_id`` computed afresh from every one of its orders (and
        its imported history): slow, for audits. It always equals :meth:`profile`."""
        cid = self._resolve(customer_id)
        self._current()
        store = _Store()
        agg = store.aggregate(cid)
        for order in self._hub.orders_of(cid):
            store.record(cid, order.id, facts_of(order, self._tz, self._returns.get(order.id, {})))
        store.replay_imported(cid, self._store.imported.get(cid, []))
        own = self._store.aggregates.get(cid)
        if own is not None:
            for cur, v in own.balance.items():
                agg.balance[cur] = v
        rfm, score = self._rfm_of(cid, agg.series)
        profile = profile_of(
            self._hub.customers.get(cid), agg, as_of=self._as_of, rfm=rfm, rfm_score=score
        )
        receivables = self._hub.receivables
        currencies = receivables.currencies(cid)
        if not currencies:
            return profile
        # The ledger keeps running totals per account: reading them is not a rescan.
        return attrs.evolve(
            profile, open_balance={c: receivables.balance(cid, c) for c in currencies}
        )

    def view(self, customer_id: str, *, on: date | None = None) -> CustomerView:
        """The 360° view of ``customer_id``: the customer with identities and attributes,
        the profile, the orders with their status, segments, and the offers that fit on
        ``on`` (by default the day of the last refresh; no offers before one)."""
        cid = self._resolve(customer_id)
        if on is not None:
            check_day(on, "on")
        self._current()
        day = on if on is not None else self._as_of
        # Newest first; among orders placed at the same time, the last captured first.
        ranked = sorted(
            enumerate(self._hub.orders_of(cid)), key=lambda io: (io[1].placed_at, io[0])
        )
        orders = [o for _, o in reversed(ranked)]
        hub = self._hub
        return CustomerView(
            customer=hub.customers.get(cid),
            profile=self._profile(cid),
            orders=tuple(orders),
            segments=self._segments_of(cid),
            offers=() if day is None else self._offers_for(cid, day),
            shipments=tuple(s for o in orders for s in hub.shipments(o.id)),
            invoices=tuple(i for o in orders for i in hub.invoices(o.id)),
            open_items=hub.receivables.open_items(cid) if hub.receivables.currencies(cid) else (),
            returns=tuple(r for o in orders for r in hub.returns(o.id)),
        )

    # -- importing history ---------------------------------------------------------------------

    def import_history(self, rows: Iterable[tuple[str, date | datetime, Money]]) -> int:
        """Add purchases made outside the hub (a legacy system, a marketplace's history):
        one order per ``(customer_id, day, net_amount)`` row. Returns the number of rows.

        The fast way to load history: each row goes straight into the customer's profile
        (orders, revenue and the purchase series RFM reads) without an order in the hub, so
        the channel, category, store and campaign mixes do not include it. A datetime is
        taken on its calendar day in :attr:`timezone`. Every row is checked before any is
        added.

        Raises:
            UnknownCustomer: a row names a customer the customer master does not know.
            ValidationError, InvalidMoney: a row is malformed; the error names it.
        """
        checked: list[tuple[str, int, str, int]] = []
        resolve = self._hub.customers.resolve
        tz = self._tz
        for i, row in enumerate(rows):
            try:
                customer_id, when, amount = row
            except (TypeError, ValueError):
                raise ValidationError(
                    "must be a (customer_id, day, amount) triple", field=f"rows[{i}]", value=row
                ) from None
            try:
                cid = resolve(customer_id)
            except (UnknownCustomer, TypeError):
                raise UnknownCustomer(
                    "no such customer", field=f"rows[{i}].customer_id", value=customer_id
                ) from None
            if isinstance(when, datetime):
                if when.utcoffset() is None:
                    raise ValidationError(
                        "must be timezone-aware", field=f"rows[{i}].day", value=when.isoformat()
                    )
                day = when.astimezone(tz).toordinal()
            elif isinstance(when, date):
                day = when.toordinal()
            else:
                raise ValidationError(
                    "must be a date or datetime", field=f"rows[{i}].day", value=when
                )
            if not isinstance(amount, Money) or amount.is_negative:
                raise ValidationError(
                    "must be a non-negative Money amount", field=f"rows[{i}].amount", value=amount
                )
            checked.append((cid, day, amount.currency, amount.minor_units))
        self._current()
        touched: _Touched = {}
        store = self._store
        add = store.import_row
        checked.sort()  # each customer's days in order: every row appends to its series
        store.bulk(True)
        try:
            for cid, day, cur, value in checked:
                add(cid, day, cur, value)
                touched[cid] = None
        finally:
            store.bulk(False)
        if self._segments and touched:
            self._hub._record(self._evaluate(touched))
        return len(checked)

    # -- RFM -----------------------------------------------------------------------------------

    def _pick_currency(self, currency: str | None) -> str | None:
        if currency is not None:
            minor_units(currency)
            return currency
        present = sorted(self._store.series_by_currency)
        if len(present) > 1:
            raise ValidationError(
                f"customers bought in {', '.join(present)}: name one", field="currency", value=None
            )
        return present[0] if present else None

    def rfm(
        self, observation_end: date, period: str = "D", *, currency: str | None = None
    ) -> RFMSummary:
        """The RFM summary of every customer who bought by ``observation_end``, exactly as
        lifetimes' ``summary_data_from_transaction_data`` computes it (see the docs).

        ``period`` is ``"D"``, ``"W"`` or ``"M"``. Purchases in other currencies than
        ``currency`` are left out; it may be omitted while every purchase is in one currency.

        Raises:
            ValidationError: a bad period or date, or several currencies and none named.
        """
        kind = check_period(period)
        check_day(observation_end, "observation_end")
        self._current()
        cur = self._pick_currency(currency)
        if cur is None:  # nobody bought anything yet
            return RFMSummary.empty(observation_end, period, "")
        columns = self._store.series_by_currency.get(cur)
        return summarise(() if columns is None else columns, kind, observation_end, cur)

    def rfm_scores(
        self, observation_end: date, period: str = "D", *, currency: str | None = None
    ) -> dict[str, RFMScore]:
        """Quintile RFM scores (1–5) and named segments of every customer in
        :meth:`rfm`'s summary, scored against that summary."""
        summary = self.rfm(observation_end, period, currency=currency)
        if not summary:
            return {}
        scoring = RFMScoring.of(summary, observation_end, period, summary.currency)
        return {cid: scoring.score(r) for cid, r in summary.items()}

    def refresh(
        self, on: date, period: str = "D", *, currency: str | None = None
    ) -> tuple[Event, ...]:
        """Move insight's day to ``on``: recompute the RFM scoring population as of ``on``
        and re-evaluate every defined segment for every customer (for what depends on time).
        Returns (and records) the segment events this caused. The host calls it daily."""
        check_period(period)
        check_day(on, "on")
        summary = self.rfm(on, period, currency=currency)
        cur = self._pick_currency(currency)
        self._as_of, self._period, self._currency = on, period, cur
        self._scoring = None if cur is None else RFMScoring.of(summary, on, period, cur)
        events = self._evaluate(dict.fromkeys(c.id for c in self._hub.customers))
        return self._hub._record(events) if events else ()

    # -- segments ------------------------------------------------------------------------------

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The defined segments, in the order they were defined."""
        return tuple(self._segments.values())

    def define(self, segment: Segment) -> tuple[Event, ...]:
        """Keep the membership of ``segment`` from now on: returns (and records) a
        :class:`CustomerEnteredSegment` for each current member, and every later change of
        membership is recorded as the profiles change. Defining it again changes nothing.

        Raises:
            ValidationError: another segment of that name is defined.
        """
        if not isinstance(segment, Segment):
            raise ValidationError("must be a Segment", field="segment", value=segment)
        known = self._segments.get(segment.name)
        if known is not None:
            if known == segment:
                return ()
            raise ValidationError(
                "another segment of this name is defined", field="segment.name", value=segment.name
            )
        self._current()
        self._segments[segment.name] = segment
        self._members[segment.name] = {}
        events = self._evaluate(dict.fromkeys(c.id for c in self._hub.customers), only=segment)
        return self._hub._record(events) if events else ()

    def _evaluate(self, customers: _Touched, only: Segment | None = None) -> list[Event]:
        out: list[Event] = []
        segments = [only] if only is not None else list(self._segments.values())
        if not segments:
            return out
        now = self._hub._now()
        known = self._hub.customers
        for cid in customers:
            if cid not in known or known.resolve(cid) != cid:
                continue
            p = self._profile(cid)
            for seg in segments:
                members = self._members[seg.name]
                inside = seg(p)
                if inside and cid not in members:
                    members[cid] = None
                    out.append(
                        CustomerEnteredSegment(occurred_at=now, customer_id=cid, segment=seg.name)
                    )
                elif not inside and cid in members:
                    del members[cid]
                    out.append(
                        CustomerLeftSegment(occurred_at=now, customer_id=cid, segment=seg.name)
                    )
        return out

    def members(self, segment: Segment | str) -> frozenset[str]:
        """The customers in ``segment``: a defined segment (or its name) answers from the
        membership kept; any other segment is evaluated on every profile now."""
        self._current()
        if isinstance(segment, str):
            if segment not in self._segments:
                raise NotFound(
                    "no segment of this name is defined", field="segment", value=segment
                )
            return frozenset(self._members[segment])
        if not isinstance(segment, Segment):
            raise ValidationError("must be a Segment or a name", field="segment", value=segment)
        if self._segments.get(segment.name) == segment:
            return frozenset(self._members[segment.name])
        return frozenset(p.customer_id for p in self.profiles() if segment(p))

    def _segments_of(self, cid: str) -> tuple[str, ...]:
        return tuple(name for name, members in self._members.items() if cid in members)

    def segments_of(self, customer_id: str) -> tuple[str, ...]:
        """The names of the defined segments ``customer_id`` belongs to."""
        cid = self._resolve(customer_id)
        self._current()
        return self._segments_of(cid)

    # -- offers --------------------------------------------------------------------------------

    @property
    def offer_rules(self) -> tuple[OfferRule, ...]:
        """Every offer rule, in the order they were added."""
        return tuple(self._offers)

    def add_offer(self, rule: OfferRule) -> None:
        """Add an offer rule; adding it again changes nothing.

        Raises:
            ValidationError: not an OfferRule.
            NotFound: no segment of the rule's segment name is defined.
        """
        if not isinstance(rule, OfferRule):
            raise ValidationError("must be an OfferRule", field="rule", value=rule)
        if rule.segment not in self._segments:
            raise NotFound(
                "no segment of this name is defined", field="rule.segment", value=rule.segment
            )
        if rule not in self._offers:
            self._offers.append(rule)

    def _consents(self, cid: str, channel: ConsentChannel) -> bool:
        return self._hub.customers.get(cid).consent(channel)

    def targets(self, offer: str, on: date) -> tuple[Target, ...]:
        """The customers to receive ``offer`` on ``on``, by customer id: the members of the
        segments of its rules valid that day who consent to the rule's channel. A customer
        reached through one channel by several rules is listed once, with the rule of the
        highest priority.

        Raises:
            NotFound: no rule offers ``offer``.
        """
        check_day(on, "on")
        rules = [r for r in self._offers if r.offer == offer]
        if not rules:
            raise NotFound("no offer rule offers this", field="offer", value=offer)
        self._current()
        best: dict[tuple[str, ConsentChannel], Target] = {}
        for rule in sorted(rules, key=lambda r: -r.priority):
            if not rule.is_valid_on(on):
                continue
            for cid in self._members[rule.segment]:
                key = (cid, rule.channel)
                if key in best or not self._consents(cid, rule.channel):
                    continue
                best[key] = Target(
                    customer_id=cid,
                    offer=offer,
                    channel=rule.channel,
                    priority=rule.priority,
                    segment=rule.segment,
                )
        channels = list(ConsentChannel)
        return tuple(best[k] for k in sorted(best, key=lambda k: (k[0], channels.index(k[1]))))

    def offers_for(self, customer_id: str, on: date) -> tuple[OfferMatch, ...]:
        """The offers that fit ``customer_id`` on ``on``, best first (highest priority,
        then offer name), each once (through its best channel), with why it fits."""
        cid = self._resolve(customer_id)
        check_day(on, "on")
        self._current()
        return self._offers_for(cid, on)

    def _offers_for(self, cid: str, on: date) -> tuple[OfferMatch, ...]:
        channels = list(ConsentChannel)
        best: dict[str, OfferMatch] = {}
        ranked = sorted(self._offers, key=lambda r: (-r.priority, channels.index(r.channel)))
        for rule in ranked:
            if rule.offer in best or not rule.is_valid_on(on):
                continue
            if cid not in self._members[rule.segment]:
                continue
            if not self._consents(cid, rule.channel):
                continue
            best[rule.offer] = OfferMatch(
                offer=rule.offer,
                channel=rule.channel,
                priority=rule.priority,
                segment=rule.segment,
                why=(
                    f"in segment {rule.segment!r}; consents to {rule.channel.value}; "
                    f"valid {rule.window}; priority {rule.priority}"
                ),
            )
        return tuple(sorted(best.values(), key=lambda m: (-m.priority, m.offer)))

    # -- demand --------------------------------------------------------------------------------

    def demand(
        self,
        sku: str,
        *,
        start: date,
        end: date,
        bucket: str = "D",
        location: str | None = None,
        channel: Channel | None = None,
    ) -> DemandSeries:
        """Units of ``sku`` ordered per day (``bucket="D"``) or week (``"W"``, Monday to
        Sunday) from ``start`` to ``end`` inclusive, every bucket present.

        Demand counts units at capture, on the day the order was placed, filled or not.
        ``location`` narrows it to orders captured at that store (the context's
        ``store_id``), ``channel`` to one channel; ``None`` takes all.
        """
        if not isinstance(sku, str) or not sku.strip():
            raise ValidationError("must be a non-empty string", field="sku", value=sku)
        check_day(start, "start")
        check_day(end, "end")
        check_bucket(bucket)
        if end < start:
            raise ValidationError(
                f"must not lie before start ({start.isoformat()})",
                field="end",
                value=end.isoformat(),
            )
        if channel is not None and not isinstance(channel, Channel):
            raise ValidationError("must be a Channel or None", field="channel", value=channel)
        self._current()
        if bucket == "W":
            start = start - timedelta(days=start.weekday())
            end = end + timedelta(days=6 - end.weekday())
        step = 1 if bucket == "D" else 7
        first, last = start.toordinal(), end.toordinal()
        values = [0] * ((last - first) // step + 1)
        for (loc, ch), days in self._demand.get(sku, {}).items():
            if (location is not None and loc != location) or (
                channel is not None and ch != channel
            ):
                continue
            for day, units in days.items():
                if first <= day <= last:
                    values[(day - first) // step] += units
        return DemandSeries(
            sku=sku,
            bucket=bucket,
            start=start,
            values=tuple(values),
            location=location,
            channel=channel,
        )


_HANDLERS: dict[type[Event], _Handler] = {
    OrderCaptured: Insights._on_order_captured,
    OrderLineCancelled: Insights._on_order_event,
    OrderCancelled: Insights._on_order_event,
    CustomerCreated: Insights._on_customer_event,
    CustomerAttributeCaptured: Insights._on_customer_event,
    ConsentChanged: Insights._on_customer_event,
    CustomerErased: Insights._on_customer_erased,
    CustomersMerged: Insights._on_customers_merged,
    ReturnAuthorized: Insights._on_return,
}
"""What insight does with each kind of event: the areas to come add theirs (a shipment's
returns call :meth:`Insights._note_return`, receivables :meth:`Insights._note_balance`)."""

# Events of areas still landing: handled once they exist. An order edit changes the lines
# and the total, which an order's facts are computed from.
for _name in ("OrderEdited",):
    _kind = getattr(_events, _name, None)
    if isinstance(_kind, type) and issubclass(_kind, Event):
        _HANDLERS[_kind] = Insights._on_order_event
