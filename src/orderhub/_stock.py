"""The stock book: on-hand and reserved per (location, SKU), an append-only ledger, incoming
supply, and the indexes routing reads.

Every change of stock is a :class:`Movement` appended to one ledger, so that, per (location,
SKU), on-hand is the sum of the movements' ``on_hand_delta`` and reserved the sum of their
``reserved_delta``. Available = on-hand − reserved is never negative. A
:class:`Reservation` holds units for one order line at one location until they are released
or consumed (shipped), each unit exactly once; reserved is always the sum of what the live
reservations have left. A :class:`Supply` (a purchase order or a transfer on its way) can
promise its units to backorders before it arrives.

The book reads the injected clock only to timestamp movements and reservations.
"""

from __future__ import annotations

import heapq
from collections.abc import Container, Iterator, Sequence
from datetime import date, datetime
from operator import itemgetter

from sortedcontainers import SortedList

from orderhub._firstfit import _FirstFit
from orderhub._statemachine import evolver
from orderhub._stock_values import (
    _ADJUST,
    _RECEIVE,
    _RELEASE,
    _RESERVE,
    _RETURN,
    _SHIP,
    _TRANSFER_IN,
    _TRANSFER_OUT,
    Movement,
    MovementKind,
    Reservation,
    ReserveRequest,
    StockPosition,
    Supply,
    SupplyKind,
    _Held,
    _movement,
    _opt_text,
    _positive,
    _remaining,
    _reservation,
    _Row,
    _text,
)
from orderhub._values import aware
from orderhub.errors import (
    DuplicateId,
    InsufficientStock,
    InvalidQuantity,
    UnknownReservation,
    UnknownSupply,
    ValidationError,
)
from orderhub.ports import Clock, IdFactory

__all__ = [
    "InsufficientStock",
    "Movement",
    "MovementKind",
    "Reservation",
    "ReserveRequest",
    "StockBook",
    "StockPosition",
    "Supply",
    "SupplyKind",
    "UnknownReservation",
    "UnknownSupply",
]


# -- the stock book ----------------------------------------------------------------------------

_Position = tuple[str, str]  # (location id, sku)
_seq_of = itemgetter(0)
_evolve_supply = evolver(Supply)


class StockBook:
    """On-hand and reserved stock per (location, SKU), with its ledger; reached as
    ``hub.stock``.

    Guarantees, after every command: per position, on-hand = Σ ``on_hand_delta`` and
    reserved = Σ ``reserved_delta`` of its movements; available = on-hand − reserved ≥ 0;
    reserved = Σ ``remaining`` of the live reservations there; the ledger only grows.
    Every command validates everything first and raises before changing anything.

    Locations need not be registered in a :class:`~orderhub.Network`: the book is keyed by
    plain ids. Queries about a position never seen answer zero.
    """

    def __init__(self, clock: Clock) -> None:
        if not isinstance(clock, Clock):
            raise ValidationError("must be a Clock", field="clock", value=clock)
        self._clock = clock
        # sku → location → (on hand, reserved): pairs of ints, which the garbage collector
        # stops tracking, where 20,000 positions replaced on every move would be objects it
        # keeps walking. StockPosition is made when asked for.
        self._positions: dict[str, dict[str, tuple[int, int]]] = {}
        self._available: dict[str, _FirstFit[str]] = {}  # sku → location → available > 0
        self._ledger: list[_Row] = []
        self._moves_at: dict[_Position, list[_Row]] = {}
        self._skus_at: dict[str, dict[str, None]] = {}  # location → its SKUs, as an ordered set
        self._reservations: dict[str, _Held] = {}
        self._by_order: dict[str, tuple[str, ...]] = {}
        self._expiry: SortedList = SortedList()  # (expires_at, id) of live reservations
        self._supplies: dict[str, Supply] = {}
        self._supplies_as_added: dict[str, Supply] = {}
        self._uncommitted: dict[str, _FirstFit[tuple[date, str]]] = {}  # sku → (expected, id)
        self._commitments: dict[str, list[tuple[str, int, int]]] = {}

    # -- queries: positions --------------------------------------------------------------

    def position(self, location_id: str, sku: str) -> StockPosition:
        """On-hand and reserved of ``sku`` at ``location_id`` (zeros if never stocked)."""
        at = self._positions.get(sku) if isinstance(sku, str) else None
        found = at.get(location_id) if at is not None and isinstance(location_id, str) else None
        if found is not None:
            return _position(location_id, sku, found)
        return StockPosition(
            location_id=_text(location_id, "location_id"),
            sku=_text(sku, "sku"),
            on_hand=0,
            reserved=0,
        )

    def on_hand(self, location_id: str, sku: str) -> int:
        """Units of ``sku`` physically at ``location_id``."""
        return self.position(location_id, sku).on_hand

    def reserved(self, location_id: str, sku: str) -> int:
        """Units of ``sku`` at ``location_id`` held by live reservations."""
        return self.position(location_id, sku).reserved

    def available(self, location_id: str, sku: str) -> int:
        """Units of ``sku`` at ``location_id`` that can still be reserved (never negative)."""
        return self.position(location_id, sku).available

    def locations_with(self, sku: str) -> tuple[StockPosition, ...]:
        """The positions of ``sku`` with available > 0, by location id.

        Read from an index kept up to date on every change: the cost is that of the
        answer, not of the network or the catalog.
        """
        fit = self._available.get(_text(sku, "sku"))
        if fit is None:
            return ()
        at = self._positions[sku]
        return tuple(_position(loc, sku, at[loc]) for loc in fit.ordered())

    def _available_at(self, sku: str) -> Iterator[tuple[str, int]]:
        # (location id, available) of the positions :meth:`locations_with` answers, in the
        # same order, read from the index without making the tuple of positions: for
        # routing's hot path, which needs only these two numbers of each (``sku`` valid).
        fit = self._available.get(sku)
        return iter(()) if fit is None else fit.items()

    def best_source(self, sku: str, quantity: int) -> StockPosition | Supply | None:
        """Where one line of ``quantity`` units of ``sku`` is best filled from, by the default
        preference: on hand before incoming supply.

        On hand: among the positions with available ≥ ``quantity``, the lowest location id.
        Otherwise the supply with uncommitted ≥ ``quantity`` that is expected first (equal
        dates: the lowest supply id). None when neither can fill the line whole. The cost
        hardly depends on the number of candidates (see :class:`_FirstFit`).
        """
        q = _positive(quantity)
        fit = self._available.get(_text(sku, "sku"))
        if fit is not None:
            loc = fit.first_at_least(q)
            if loc is not None:
                return _position(loc, sku, self._positions[sku][loc])
        supplies = self._uncommitted.get(sku)
        if supplies is not None:
            key = supplies.first_at_least(q)
            if key is not None:
                return self._supplies[key[1]]
        return None

    def skus(self) -> Iterator[str]:
        """Every SKU with a position, in the order first stocked."""
        return iter(tuple(self._positions))

    def positions(self) -> Iterator[StockPosition]:
        """Every position ever stocked (zeros included), SKU by SKU."""
        return iter(
            tuple(
                _position(loc, sku, pair)
                for sku, at in self._positions.items()
                for loc, pair in at.items()
            )
        )

    def movements(
        self, location_id: str | None = None, sku: str | None = None
    ) -> tuple[Movement, ...]:
        """The ledger, oldest first, optionally only one location's and/or one SKU's.

        The ledger only grows: a tuple returned earlier is a prefix of a later one.
        """
        if location_id is None and sku is None:
            return tuple(map(_movement, self._ledger))
        if location_id is not None and sku is not None:
            key = (_text(location_id, "location_id"), _text(sku, "sku"))
            return tuple(map(_movement, self._moves_at.get(key, ())))
        if sku is None:
            loc = _text(location_id, "location_id")
            keys = [(loc, item) for item in self._skus_at.get(loc, ())]
        else:
            item = _text(sku, "sku")
            keys = [(loc, item) for loc in self._positions.get(item, ())]
        # Each position's movements are in ledger order: merge them by sequence number.
        merged = heapq.merge(*(self._moves_at[k] for k in keys), key=_seq_of)
        return tuple(map(_movement, merged))

    # -- queries: reservations and supplies ----------------------------------------------

    def reservation(self, reservation_id: str) -> Reservation:
        """The reservation ``reservation_id``."""
        return _reservation(self._held(reservation_id))

    def _held(self, reservation_id: str) -> _Held:
        try:
            return self._reservations[reservation_id]
        except (KeyError, TypeError):
            raise UnknownReservation(
                "no such reservation", field="reservation_id", value=reservation_id
            ) from None

    def reservations(
        self, order_id: str | None = None, live_only: bool = True
    ) -> tuple[Reservation, ...]:
        """The reservations (of ``order_id``, if given; live ones only, unless told), oldest
        first. By order, this reads an index: it does not scan every reservation."""
        if order_id is None:
            ids: Sequence[str] = tuple(self._reservations)
        else:
            ids = self._by_order.get(_text(order_id, "order_id"), ())
        found = map(self._reservations.__getitem__, ids)
        if live_only:
            return tuple(_reservation(r) for r in found if r[5] - r[6] - r[7] > 0)
        return tuple(map(_reservation, found))

    def supply(self, supply_id: str) -> Supply:
        """The supply ``supply_id``."""
        try:
            return self._supplies[supply_id]
        except (KeyError, TypeError):
            raise UnknownSupply("no such supply", field="supply_id", value=supply_id) from None

    def supplies(self, sku: str) -> tuple[Supply, ...]:
        """The supplies of ``sku`` with uncommitted units, in routing order: the earliest
        expected date first, equal dates by lowest id."""
        fit = self._uncommitted.get(_text(sku, "sku"))
        if fit is None:
            return ()
        return tuple(self._supplies[supply_id] for _, supply_id in fit)

    def commitments(self, supply_id: str) -> tuple[tuple[str, int, int], ...]:
        """The standing promises of a supply, as (order id, line no, units), oldest first.

        A second promise to the same line adds to that line's first one and keeps its place.
        """
        self.supply(supply_id)
        return tuple(self._commitments.get(supply_id, ()))

    # -- commands: on-hand ---------------------------------------------------------------

    def receive(
        self,
        location_id: str,
        sku: str,
        quantity: int,
        *,
        reason: str | None = None,
        reference: str | None = None,
    ) -> Movement:
        """Book ``quantity`` units of ``sku`` arriving at ``location_id`` (RECEIVE)."""
        loc, item = _text(location_id, "location_id"), _text(sku, "sku")
        q = _positive(quantity)
        why, ref = _opt_text(reason, "reason"), _opt_text(reference, "reference")
        now = self._now()
        return _movement(self._move(loc, item, _RECEIVE, q, 0, why, ref, now))

    def adjust(self, location_id: str, sku: str, delta: int, *, reason: str) -> Movement:
        """Correct on-hand by ``delta`` (positive or negative, never zero) for ``reason``.

        Raises:
            InsufficientStock: on-hand would fall below what is reserved.
        """
        loc, item = _text(location_id, "location_id"), _text(sku, "sku")
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise InvalidQuantity("must be a non-zero integer", field="delta", value=delta)
        why = _text(reason, "reason")
        available = self.available(loc, item)
        if -delta > available:
            raise InsufficientStock(
                f"on-hand may not fall below reserved: only {available} available",
                location_id=loc,
                sku=item,
                requested=-delta,
                available=available,
                field="delta",
                value=delta,
            )
        now = self._now()
        return _movement(self._move(loc, item, _ADJUST, delta, 0, why, None, now))

    def transfer(
        self,
        from_location: str,
        to_location: str,
        sku: str,
        quantity: int,
        *,
        reference: str | None = None,
    ) -> tuple[Movement, Movement]:
        """Move ``quantity`` available units of ``sku`` from one location to another.

        Returns the TRANSFER_OUT and TRANSFER_IN movements. Reserved units stay put.

        Raises:
            InsufficientStock: fewer units available at ``from_location``.
        """
        src, dst = _text(from_location, "from_location"), _text(to_location, "to_location")
        item, q = _text(sku, "sku"), _positive(quantity)
        ref = _opt_text(reference, "reference")
        if src == dst:
            raise ValidationError("must differ from from_location", field="to_location", value=dst)
        self._need(src, item, q)
        now = self._now()
        out = self._move(src, item, _TRANSFER_OUT, -q, 0, None, ref, now)
        into = self._move(dst, item, _TRANSFER_IN, q, 0, None, ref, now)
        return _movement(out), _movement(into)

    def return_stock(
        self, location_id: str, sku: str, quantity: int, *, reference: str | None = None
    ) -> Movement:
        """Restock ``quantity`` units of ``sku`` a customer returned to ``location_id``."""
        loc, item = _text(location_id, "location_id"), _text(sku, "sku")
        q = _positive(quantity)
        ref = _opt_text(reference, "reference")
        now = self._now()
        return _movement(self._move(loc, item, _RETURN, q, 0, None, ref, now))

    # -- commands: reservations ----------------------------------------------------------

    def reserve(
        self,
        requests: Sequence[ReserveRequest],
        *,
        order_id: str,
        expires_at: datetime | None = None,
        ids: IdFactory,
    ) -> tuple[Reservation, ...]:
        """Hold stock for an order: all the requests, or none of them.

        Demand for one (location, SKU) is summed over the requests before it is checked, so
        two lines of one SKU cannot oversell. Each request becomes one :class:`Reservation`
        (id from ``ids.new_id("reservation")``) with one RESERVE movement, in request order.

        Raises:
            InsufficientStock: some position has fewer units available than its summed
                demand; it names the first such position, in request order.
        """
        made = self._reserve(requests, order_id=order_id, expires_at=expires_at, ids=ids)
        return tuple(map(_reservation, made))

    def _reserve(
        self,
        requests: Sequence[ReserveRequest],
        *,
        order_id: str,
        expires_at: datetime | None,
        ids: IdFactory,
    ) -> list[_Held]:
        # :meth:`reserve`, answering the reservations as kept (the allocator reads none).
        order = _text(order_id, "order_id")
        if expires_at is not None:
            aware(expires_at, "expires_at")
        if not callable(getattr(ids, "new_id", None)):
            raise ValidationError("must be an IdFactory", field="ids", value=ids)
        if type(requests) is not list and (
            isinstance(requests, (str, bytes)) or not isinstance(requests, Sequence)
        ):
            raise ValidationError(
                "must be a sequence of ReserveRequest", field="requests", value=requests
            )
        wanted = tuple(requests)
        if not wanted:
            raise ValidationError("need at least one request", field="requests", value=[])
        demand: dict[_Position, int] = {}
        for i, r in enumerate(wanted):
            if type(r) is not ReserveRequest and not isinstance(r, ReserveRequest):
                raise ValidationError("must be a ReserveRequest", field=f"requests[{i}]", value=r)
            key = (r.location_id, r.sku)
            demand[key] = demand.get(key, 0) + r.quantity
        for (loc, item), q in demand.items():
            self._need(loc, item, q)
        now = self._now()
        new_ids = [ids.new_id("reservation") for _ in wanted]
        reservations = self._reservations
        seen: set[str] = set()
        for new_id in new_ids:
            _text(new_id, "id")
            if new_id in reservations or new_id in seen:
                raise DuplicateId("the id factory returned an id in use", field="id", value=new_id)
            seen.add(new_id)

        made: list[_Held] = []
        for new_id, r in zip(new_ids, wanted, strict=True):
            loc, item, q = r.location_id, r.sku, r.quantity
            row = (new_id, order, r.line_no, loc, item, q, 0, 0, expires_at, now)
            reservations[new_id] = row
            if expires_at is not None:
                self._expiry.add((expires_at, new_id))
            self._move(loc, item, _RESERVE, 0, q, None, new_id, now)
            made.append(row)
        self._by_order[order] = (*self._by_order.get(order, ()), *new_ids)
        return made

    def release(
        self, reservation_id: str, quantity: int | None = None, *, reason: str | None = None
    ) -> Movement | None:
        """Give back ``quantity`` held units of a reservation (all it has left by default).

        Releasing all of a reservation that has nothing left is harmless and returns None.

        Raises:
            InvalidQuantity: more than the reservation has left.
        """
        r = self._held(reservation_id)
        why = _opt_text(reason, "reason")
        if quantity is None:
            q = _remaining(r)
            if not q:
                return None
        else:
            q = self._within(r, quantity)
        now = self._now()
        return _movement(self._release(r, q, why, now))

    def keep(self, reservation_id: str) -> Reservation:
        """Take the expiry off a live reservation: it is held until consumed or released.

        The hub does this when it releases the units to their location (the location is
        picking them). Keeping a reservation without an expiry, or one no longer live,
        changes nothing. Returns the reservation as it is now.
        """
        r = self._held(reservation_id)
        expires_at = r[8]
        if expires_at is None or _remaining(r) <= 0:
            return _reservation(r)
        self._expiry.discard((expires_at, r[0]))
        rid, order, line_no, loc, sku, quantity, released, consumed, _, created = r
        kept = (rid, order, line_no, loc, sku, quantity, released, consumed, None, created)
        self._reservations[rid] = kept
        return _reservation(kept)

    def _keep_lines(self, order_id: str, location_id: str, line_nos: Container[int]) -> None:
        # :meth:`keep` of each live reservation of the order's ``line_nos`` at
        # ``location_id``, in order: what the hub does as it releases a fulfilment order,
        # without making a Reservation to answer each.
        reservations = self._reservations
        for rid in self._by_order.get(order_id, ()):
            r = reservations[rid]
            rid, order, line_no, loc, sku, quantity, released, consumed, expires_at, made = r
            if (
                expires_at is not None
                and loc == location_id
                and line_no in line_nos
                and quantity - released - consumed > 0
            ):
                self._expiry.discard((expires_at, rid))
                reservations[rid] = (
                    rid,
                    order,
                    line_no,
                    loc,
                    sku,
                    quantity,
                    released,
                    consumed,
                    None,
                    made,
                )

    def consume(self, reservation_id: str, quantity: int) -> Movement:
        """Ship ``quantity`` held units of a reservation: on-hand and reserved both fall (SHIP).

        Raises:
            InvalidQuantity: more than the reservation has left.
        """
        r = self._held(reservation_id)
        q = self._within(r, quantity)
        now = self._now()
        return _movement(self._consume(r, q, now))

    def expiring(self, now: datetime) -> tuple[Reservation, ...]:
        """The live reservations that :meth:`expire` would release at ``now``, as they are
        now (so ``remaining`` is what expiry will give back). Changes nothing."""
        until = aware(now, "now")
        due: list[Reservation] = []
        for expires_at, reservation_id in self._expiry:
            if expires_at > until:
                break
            due.append(_reservation(self._reservations[reservation_id]))
        return tuple(due)

    def expire(self, now: datetime) -> tuple[Reservation, ...]:
        """Release every live reservation with ``expires_at`` ≤ ``now`` (reason "expired").

        Returns them as they are after the release, the earliest expiry first (equal times
        by id). Reads only the reservations due, from an index sorted by expiry.
        """
        until = aware(now, "now")
        due: list[str] = []
        for expires_at, reservation_id in self._expiry:
            if expires_at > until:
                break
            due.append(reservation_id)
        if not due:
            return ()
        at = self._now()
        for reservation_id in due:
            r = self._reservations[reservation_id]
            self._release(r, _remaining(r), "expired", at)
        return tuple(_reservation(self._reservations[i]) for i in due)

    # -- commands: supply ----------------------------------------------------------------

    def add_supply(self, supply: Supply) -> None:
        """Record incoming ``supply``; adding the same supply again is harmless.

        Promises are made with :meth:`commit_supply`, so a new supply has none.

        Raises:
            DuplicateId: another supply was added with this id.
        """
        if not isinstance(supply, Supply):
            raise ValidationError("must be a Supply", field="supply", value=supply)
        first = self._supplies_as_added.get(supply.id)
        if first is not None:
            if first != supply:
                raise DuplicateId("another supply has this id", field="id", value=supply.id)
            return
        if supply.committed:
            raise ValidationError(
                "a new supply has no promises: use commit_supply",
                field="committed",
                value=supply.committed,
                entity_id=supply.id,
            )
        self._supplies_as_added[supply.id] = supply
        self._set_supply(supply)

    def commit_supply(self, supply_id: str, quantity: int, *, order_id: str, line_no: int) -> None:
        """Promise ``quantity`` units of a supply to a backordered line.

        Raises:
            InsufficientStock: more than the supply's uncommitted units.
        """
        s = self.supply(supply_id)
        q = _positive(quantity, entity_id=s.id)
        order, line = _text(order_id, "order_id"), _positive(line_no, "line_no")
        if q > s.uncommitted:
            raise InsufficientStock(
                f"only {s.uncommitted} uncommitted units in this supply",
                location_id=s.location_id,
                sku=s.sku,
                requested=q,
                available=s.uncommitted,
                entity_id=s.id,
            )
        promises = self._commitments.setdefault(s.id, [])
        for i, (o, n, units) in enumerate(promises):
            if (o, n) == (order, line):
                promises[i] = (o, n, units + q)
                break
        else:
            promises.append((order, line, q))
        self._set_supply(_evolve_supply(s, committed=s.committed + q))

    def uncommit_supply(
        self, supply_id: str, quantity: int, *, order_id: str, line_no: int
    ) -> None:
        """Withdraw (or settle) ``quantity`` units a supply promised to a line.

        Raises:
            InvalidQuantity: the line holds fewer units of this supply.
        """
        s = self.supply(supply_id)
        q = _positive(quantity, entity_id=s.id)
        order, line = _text(order_id, "order_id"), _positive(line_no, "line_no")
        promises = self._commitments.get(s.id, [])
        i = next((i for i, (o, n, _) in enumerate(promises) if (o, n) == (order, line)), None)
        held = 0 if i is None else promises[i][2]
        if i is None or q > held:
            raise InvalidQuantity(
                f"line {line} of {order} holds only {held} units of this supply",
                field="quantity",
                value=q,
                entity_id=s.id,
            )
        if q == held:
            del promises[i]
        else:
            promises[i] = (order, line, held - q)
        self._set_supply(_evolve_supply(s, committed=s.committed - q))

    def receive_supply(self, supply_id: str, quantity: int | None = None) -> Movement:
        """Book the arrival of ``quantity`` units of a supply (all outstanding by default):
        on-hand rises at its location (RECEIVE, reference = the supply id).

        Promises stand: the hub settles them with :meth:`uncommit_supply` as it reserves the
        arrived units for the promised lines.

        Raises:
            InvalidQuantity: more than is outstanding, or nothing is.
        """
        s = self.supply(supply_id)
        if quantity is None:
            q = s.outstanding
            if not q:
                raise InvalidQuantity(
                    "nothing outstanding", field="quantity", value=None, entity_id=s.id
                )
        else:
            q = _positive(quantity, entity_id=s.id)
            if q > s.outstanding:
                raise InvalidQuantity(
                    f"only {s.outstanding} units outstanding",
                    field="quantity",
                    value=q,
                    entity_id=s.id,
                )
        now = self._now()
        self._set_supply(_evolve_supply(s, received=s.received + q))
        return _movement(self._move(s.location_id, s.sku, _RECEIVE, q, 0, None, s.id, now))

    # -- internals -----------------------------------------------------------------------

    def _now(self) -> datetime:
        return aware(self._clock.now(), "clock.now()")

    def _need(self, location_id: str, sku: str, quantity: int) -> None:
        at = self._positions.get(sku)
        found = at.get(location_id) if at is not None else None
        available = (
            found[0] - found[1]
            if found is not None
            else self.available(location_id, sku)  # zero, or the error of a bad id
        )
        if quantity > available:
            raise InsufficientStock(
                f"only {available} available",
                location_id=location_id,
                sku=sku,
                requested=quantity,
                available=available,
            )

    def _within(self, r: _Held, quantity: object) -> int:
        q = _positive(quantity, entity_id=r[0])
        remaining = _remaining(r)
        if q > remaining:
            raise InvalidQuantity(
                f"only {remaining} units left in the reservation",
                field="quantity",
                value=q,
                entity_id=r[0],
            )
        return q

    def _update(self, r: _Held) -> None:
        self._reservations[r[0]] = r
        if r[8] is not None and _remaining(r) <= 0:
            self._expiry.discard((r[8], r[0]))

    def _release(self, r: _Held, q: int, reason: str | None, at: datetime) -> _Row:
        rid, order, line_no, loc, sku, quantity, released, consumed, expires_at, created = r
        self._update(
            (rid, order, line_no, loc, sku, quantity, released + q, consumed, expires_at, created)
        )
        return self._move(loc, sku, _RELEASE, 0, -q, reason, rid, at)

    def _consume(self, r: _Held, q: int, at: datetime) -> _Row:
        rid, order, line_no, loc, sku, quantity, released, consumed, expires_at, created = r
        self._update(
            (rid, order, line_no, loc, sku, quantity, released, consumed + q, expires_at, created)
        )
        return self._move(loc, sku, _SHIP, -q, -q, None, rid, at)

    def _consume_line(self, order_id: str, line_no: int, location_id: str, quantity: int) -> None:
        # Ship up to ``quantity`` units held for one line at one location, the oldest
        # reservation first: what :meth:`consume` of each of :meth:`reservations` of the
        # order (in order, live ones, of the line and location) does, without re-checking
        # what is valid by construction.
        left = quantity
        reservations = self._reservations
        for reservation_id in self._by_order.get(order_id, ()):
            if not left:
                break
            r = reservations[reservation_id]
            if r[2] == line_no and r[3] == location_id:
                remaining = r[5] - r[6] - r[7]
                if remaining > 0:
                    take = left if left < remaining else remaining
                    self._consume(r, take, self._now())
                    left -= take

    def _set_supply(self, s: Supply) -> None:
        self._supplies[s.id] = s
        fit = self._uncommitted.get(s.sku)
        if fit is None:
            fit = self._uncommitted[s.sku] = _FirstFit()
        fit.set((s.expected, s.id), s.uncommitted)

    def _move(
        self,
        location_id: str,
        sku: str,
        kind: str,
        on_hand_delta: int,
        reserved_delta: int,
        reason: str | None,
        reference: str | None,
        at: datetime,
    ) -> _Row:
        # Append one movement (``kind`` by its value) and bring the position and the
        # availability index along.
        ledger = self._ledger
        row = (
            len(ledger) + 1,
            location_id,
            sku,
            kind,
            on_hand_delta,
            reserved_delta,
            reason,
            reference,
            at,
        )
        ledger.append(row)
        at_sku = self._positions.get(sku)
        if at_sku is None:
            at_sku = self._positions[sku] = {}
        old = at_sku.get(location_id)
        if old is None:
            self._moves_at[(location_id, sku)] = [row]
            self._skus_at.setdefault(location_id, {})[sku] = None
            on_hand, reserved = on_hand_delta, reserved_delta
        else:
            self._moves_at[(location_id, sku)].append(row)
            on_hand, reserved = old[0] + on_hand_delta, old[1] + reserved_delta
        at_sku[location_id] = (on_hand, reserved)
        fit = self._available.get(sku)
        if fit is None:
            fit = self._available[sku] = _FirstFit()
        fit.set(location_id, on_hand - reserved)
        return row


def _position(location_id: str, sku: str, pair: tuple[int, int]) -> StockPosition:
    return StockPosition(location_id=location_id, sku=sku, on_hand=pair[0], reserved=pair[1])
