"""Properties of the stock book: conservation, no oversell, and indexes that match a full scan."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from orderhub._firstfit import _FirstFit
from orderhub._stock import (
    InsufficientStock,
    Movement,
    ReserveRequest,
    StockBook,
    StockPosition,
    Supply,
)
from orderhub.errors import InvalidQuantity
from orderhub.testing import FixedClock, SequentialIds

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOCATIONS = ("dc-a", "dc-b", "store-c")
SKUS = ("TENT", "MAT")

locations = st.sampled_from(LOCATIONS)
skus = st.sampled_from(SKUS)
quantities = st.integers(1, 6)
requests = st.lists(
    st.builds(
        ReserveRequest,
        location_id=locations,
        sku=skus,
        quantity=st.integers(1, 4),
        line_no=st.integers(1, 3),
    ),
    min_size=1,
    max_size=4,
)


class StockMachine(RuleBasedStateMachine):
    """Random sequences of every stock command, with the book's invariants after each step.

    A command the model says must fail has to raise and leave the book exactly as it was.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(T0)
        self.book = StockBook(self.clock)
        self.ids = SequentialIds()
        self.orders = 0
        self.seen: tuple[Movement, ...] = ()

    # -- helpers -------------------------------------------------------------------------

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a command could change."""
        book = self.book
        return (
            book.movements(),
            tuple(book.positions()),
            book.reservations(live_only=False),
            {sku: book.locations_with(sku) for sku in SKUS},
            tuple(book._expiry),
        )

    def live_ids(self) -> list[str]:
        """The ids of the live reservations, oldest first."""
        return [r.id for r in self.book.reservations()]

    # -- rules ---------------------------------------------------------------------------

    @initialize(units=st.lists(st.integers(0, 8), min_size=6, max_size=6))
    def stock_up(self, units: list[int]) -> None:
        """Start with some units at every position, so that reservations compete early."""
        positions = [(loc, sku) for loc in LOCATIONS for sku in SKUS]
        for (loc, sku), n in zip(positions, units, strict=True):
            if n:
                self.book.receive(loc, sku, n)

    @rule(location=locations, sku=skus, quantity=quantities)
    def receive(self, location: str, sku: str, quantity: int) -> None:
        """Receiving always succeeds and raises on-hand by the quantity."""
        before = self.book.on_hand(location, sku)

        self.book.receive(location, sku, quantity)

        assert self.book.on_hand(location, sku) == before + quantity

    @rule(location=locations, sku=skus, quantity=quantities)
    def return_stock(self, location: str, sku: str, quantity: int) -> None:
        """A return always succeeds and raises on-hand by the quantity."""
        before = self.book.available(location, sku)

        self.book.return_stock(location, sku, quantity)

        assert self.book.available(location, sku) == before + quantity

    @rule(location=locations, sku=skus, delta=st.integers(-6, -1) | st.integers(1, 6))
    def adjust(self, location: str, sku: str, delta: int) -> None:
        """An adjustment succeeds exactly when it keeps on-hand at or above reserved."""
        available = self.book.available(location, sku)
        before = self.snapshot()

        if -delta > available:
            try:
                self.book.adjust(location, sku, delta, reason="count")
            except InsufficientStock:
                assert self.snapshot() == before
            else:
                raise AssertionError("adjusted below reserved")
        else:
            self.book.adjust(location, sku, delta, reason="count")
            assert self.book.available(location, sku) == available + delta

    @rule(
        wanted=requests,
        expires_in=st.none() | st.integers(0, 120),
    )
    def reserve(self, wanted: list[ReserveRequest], expires_in: int | None) -> None:
        """A reservation succeeds exactly when every position has its summed demand."""
        demand: dict[tuple[str, str], int] = defaultdict(int)
        for r in wanted:
            demand[(r.location_id, r.sku)] += r.quantity
        fits = all(self.book.available(loc, sku) >= q for (loc, sku), q in demand.items())
        expires_at = None if expires_in is None else T0 + timedelta(minutes=expires_in)
        self.orders += 1
        order_id = f"o-{self.orders}"
        before = self.snapshot()
        availability = {key: self.book.available(*key) for key in demand}

        event("reserve: fits" if fits else "reserve: short")
        if not fits:
            try:
                self.book.reserve(wanted, order_id=order_id, expires_at=expires_at, ids=self.ids)
            except InsufficientStock:
                assert self.snapshot() == before
            else:
                raise AssertionError("oversold")
            return
        made = self.book.reserve(wanted, order_id=order_id, expires_at=expires_at, ids=self.ids)

        assert [(r.location_id, r.sku, r.quantity, r.line_no) for r in made] == [
            (r.location_id, r.sku, r.quantity, r.line_no) for r in wanted
        ]
        assert self.book.reservations(order_id) == made
        for key, q in demand.items():
            assert self.book.available(*key) == availability[key] - q

    @precondition(lambda self: bool(self.book.reservations()))
    @rule(pick=st.integers(0, 99), quantity=st.none() | st.integers(1, 5))
    def release(self, pick: int, quantity: int | None) -> None:
        """Releasing succeeds up to what is left; more is refused and changes nothing."""
        live = self.live_ids()
        r = self.book.reservation(live[pick % len(live)])
        before = self.snapshot()

        if quantity is not None and quantity > r.remaining:
            try:
                self.book.release(r.id, quantity)
            except InvalidQuantity:
                assert self.snapshot() == before
            else:
                raise AssertionError("released more than was held")
            return
        self.book.release(r.id, quantity)

        after = self.book.reservation(r.id)
        assert after.released == r.released + (quantity or r.remaining)

    @precondition(lambda self: bool(self.book.reservations()))
    @rule(pick=st.integers(0, 99), quantity=st.integers(1, 5))
    def consume(self, pick: int, quantity: int) -> None:
        """Shipping succeeds up to what is left; more is refused and changes nothing."""
        live = self.live_ids()
        r = self.book.reservation(live[pick % len(live)])
        before = self.snapshot()

        if quantity > r.remaining:
            try:
                self.book.consume(r.id, quantity)
            except InvalidQuantity:
                assert self.snapshot() == before
            else:
                raise AssertionError("shipped more than was held")
            return
        self.book.consume(r.id, quantity)

        assert self.book.reservation(r.id).consumed == r.consumed + quantity

    @precondition(lambda self: any(not r.is_live for r in self.book.reservations(live_only=False)))
    @rule(pick=st.integers(0, 99))
    def release_closed_again(self, pick: int) -> None:
        """Releasing a closed reservation in full again is harmless."""
        closed = [r for r in self.book.reservations(live_only=False) if not r.is_live]
        before = self.snapshot()

        result = self.book.release(closed[pick % len(closed)].id)

        assert result is None
        assert self.snapshot() == before

    @rule(source=locations, destination=locations, sku=skus, quantity=quantities)
    def transfer(self, source: str, destination: str, sku: str, quantity: int) -> None:
        """A transfer succeeds exactly when the source has the units available."""
        if source == destination:
            return
        available = self.book.available(source, sku)
        before = self.snapshot()

        if quantity > available:
            try:
                self.book.transfer(source, destination, sku, quantity)
            except InsufficientStock:
                assert self.snapshot() == before
            else:
                raise AssertionError("transferred reserved units")
            return
        self.book.transfer(source, destination, sku, quantity)

        assert self.book.available(source, sku) == available - quantity

    @rule(minutes=st.integers(0, 90))
    def expire(self, minutes: int) -> None:
        """Expiry releases exactly the live reservations due by now, and nothing else."""
        now = self.clock.advance(minutes=minutes)
        due = {
            r.id
            for r in self.book.reservations()
            if r.expires_at is not None and r.expires_at <= now
        }

        expired = self.book.expire(now)
        event(f"expired: {min(len(expired), 2)}")

        assert {r.id for r in expired} == due
        assert all(not r.is_live for r in expired)
        assert not any(
            r.expires_at is not None and r.expires_at <= now for r in self.book.reservations()
        )

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def stock_is_the_sum_of_its_movements(self) -> None:
        """Per position, on-hand and reserved are the sums of the movements' deltas."""
        on_hand: dict[tuple[str, str], int] = defaultdict(int)
        reserved: dict[tuple[str, str], int] = defaultdict(int)
        for m in self.book.movements():
            on_hand[(m.location_id, m.sku)] += m.on_hand_delta
            reserved[(m.location_id, m.sku)] += m.reserved_delta
        positions = {(p.location_id, p.sku): p for p in self.book.positions()}
        assert set(positions) == set(on_hand)
        for key, p in positions.items():
            assert (p.on_hand, p.reserved) == (on_hand[key], reserved[key])
            assert p == self.book.position(*key)

    @invariant()
    def available_is_never_negative(self) -> None:
        """Available = on-hand − reserved is never below zero, and reserved never is either."""
        for p in self.book.positions():
            assert p.reserved >= 0
            assert p.available >= 0

    @invariant()
    def reserved_is_what_live_reservations_hold(self) -> None:
        """Reserved per position equals the sum of what its live reservations have left."""
        held: dict[tuple[str, str], int] = defaultdict(int)
        for r in self.book.reservations(live_only=False):
            assert 0 <= r.released + r.consumed <= r.quantity
            held[(r.location_id, r.sku)] += r.remaining
        for p in self.book.positions():
            assert p.reserved == held[(p.location_id, p.sku)]

    @invariant()
    def each_reserved_unit_leaves_once(self) -> None:
        """Per reservation, the ledger reserves its quantity and takes back released + consumed."""
        by_reference: dict[str | None, int] = defaultdict(int)
        for m in self.book.movements():
            by_reference[m.reference] += m.reserved_delta
        for r in self.book.reservations(live_only=False):
            assert by_reference[r.id] == r.remaining

    @invariant()
    def ledger_only_grows(self) -> None:
        """The ledger seen after the last step is a prefix of the ledger now, numbered 1…n."""
        now = self.book.movements()
        assert now[: len(self.seen)] == self.seen
        assert [m.seq for m in now] == list(range(1, len(now) + 1))
        self.seen = now

    @invariant()
    def availability_index_matches_a_full_scan(self) -> None:
        """locations_with(sku) is exactly the positions with available > 0, by location."""
        for sku in SKUS:
            expected = sorted(
                (p for p in self.book.positions() if p.sku == sku and p.available > 0),
                key=lambda p: p.location_id,
            )
            assert self.book.locations_with(sku) == tuple(expected)

    @invariant()
    def best_source_matches_a_full_scan(self) -> None:
        """best_source picks the lowest location id among positions with enough."""
        for sku in SKUS:
            for q in (1, 3, 7):
                enough = [p for p in self.book.positions() if p.sku == sku and p.available >= q]
                expected = min(enough, key=lambda p: p.location_id) if enough else None
                assert self.book.best_source(sku, q) == expected

    @invariant()
    def expiry_index_holds_exactly_live_reservations_with_expiry(self) -> None:
        """The expiry index lists the live reservations that have an expiry, no others."""
        expected = sorted(
            (r.expires_at, r.id) for r in self.book.reservations() if r.expires_at is not None
        )
        assert list(self.book._expiry) == expected


TestStockMachine = StockMachine.TestCase
TestStockMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


# -- no oversell under competition ---------------------------------------------------------------


order_lines = st.lists(
    st.tuples(st.sampled_from(("dc-a", "dc-b")), st.integers(1, 3)), min_size=1, max_size=3
)


@settings(max_examples=300, deadline=None)
@given(
    stock=st.tuples(st.integers(0, 6), st.integers(0, 6)),
    orders=st.lists(order_lines, min_size=1, max_size=8),
    schedule=st.lists(st.tuples(st.sampled_from(("reserve", "cancel")), st.integers(0, 7))),
)
def test_no_oversell_under_any_interleaving_of_competing_orders(
    stock: tuple[int, int], orders: list[list[tuple[str, int]]], schedule: list[tuple[str, int]]
) -> None:
    """Competing orders for the last units, reserved and cancelled in any interleaving,
    never hold more than is on hand, and each order gets all of its lines or none."""
    book = StockBook(FixedClock(T0))
    on_hand = dict(zip(("dc-a", "dc-b"), stock, strict=True))
    for loc, units in on_hand.items():
        if units:
            book.receive(loc, "TENT", units)
    ids = SequentialIds()
    steps = [("reserve", i) for i in range(len(orders))] + schedule
    held: dict[str, int] = {"dc-a": 0, "dc-b": 0}

    for action, i in steps:
        order_id = f"o-{i % len(orders)}"
        lines = orders[i % len(orders)]
        if action == "cancel":
            for r in book.reservations(order_id):
                book.release(r.id, reason="cancelled")
                held[r.location_id] -= r.remaining
            continue
        if book.reservations(order_id):
            continue
        demand: dict[str, int] = defaultdict(int)
        for loc, q in lines:
            demand[loc] += q
        fits = all(held[loc] + q <= on_hand[loc] for loc, q in demand.items())
        try:
            made = book.reserve(
                [
                    ReserveRequest(location_id=loc, sku="TENT", quantity=q, line_no=n)
                    for n, (loc, q) in enumerate(lines, 1)
                ],
                order_id=order_id,
                ids=ids,
            )
        except InsufficientStock:
            assert not fits
            assert book.reservations(order_id) == ()
        else:
            assert fits
            assert len(made) == len(lines)
            for loc, q in demand.items():
                held[loc] += q

        for loc in on_hand:
            assert book.reserved(loc, "TENT") == held[loc] <= on_hand[loc]
            assert book.on_hand(loc, "TENT") == on_hand[loc]


# -- the first-fit index -------------------------------------------------------------------------


class _TinyBlocks(_FirstFit[str]):
    """A first-fit index with tiny blocks, so that splits and merges happen in a short test."""

    _LOAD = 2


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, 30).map(lambda i: f"loc-{i:02d}"), st.integers(-2, 12)),
        max_size=120,
    ),
    queries=st.lists(st.integers(1, 12), min_size=1, max_size=5),
)
def test_first_fit_index_agrees_with_a_full_scan(
    changes: list[tuple[str, int]], queries: list[int]
) -> None:
    """After any changes, the first-fit index holds the positive amounts in key order and
    finds the smallest key with enough, as a scan of a plain dict would."""
    index = _TinyBlocks()
    model: dict[str, int] = {}

    for key, amount in changes:
        index.set(key, amount)
        if amount > 0:
            model[key] = amount
        else:
            model.pop(key, None)

        assert list(index) == sorted(model)
        assert len(index) == len(model)
        for q in queries:
            fit = [k for k in sorted(model) if model[k] >= q]
            assert index.first_at_least(q) == (fit[0] if fit else None)
    assert all(index.get(k) == v for k, v in model.items())
    assert all(0 < len(block) <= 2 * _TinyBlocks._LOAD for block in index._keys)
    assert index._maxes == [max(amounts) for amounts in index._blocks]
    assert index._firsts == [keys[0] for keys in index._keys]


@settings(max_examples=100, deadline=None)
@given(
    supplies=st.lists(
        st.tuples(st.integers(0, 5), st.integers(1, 9), st.integers(0, 9)),
        min_size=1,
        max_size=12,
    ),
    wanted=st.integers(1, 9),
)
def test_supplies_are_offered_earliest_first_then_lowest_id(
    supplies: list[tuple[int, int, int]], wanted: int
) -> None:
    """Supplies list in (expected, id) order, only those with uncommitted units, and
    best_source without stock on hand picks the first of them with enough."""
    book = StockBook(FixedClock(T0))
    for n, (day, quantity, commit) in enumerate(supplies):
        s = Supply(
            id=f"po-{n:02d}",
            sku="TENT",
            location_id="dc-a",
            quantity=quantity,
            expected=date(2026, 3, 2) + timedelta(days=day),
        )
        book.add_supply(s)
        if 0 < commit <= quantity:
            book.commit_supply(s.id, commit, order_id="o-1", line_no=n + 1)

    listed = book.supplies("TENT")

    every = sorted(book._supplies.values(), key=lambda s: (s.expected, s.id))
    assert listed == tuple(s for s in every if s.uncommitted > 0)
    enough = [s for s in listed if s.uncommitted >= wanted]
    assert book.best_source("TENT", wanted) == (enough[0] if enough else None)
    assert isinstance(book.best_source("TENT", wanted), (type(None), Supply))
    assert not isinstance(book.best_source("TENT", wanted), StockPosition)
