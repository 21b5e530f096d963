"""Values orderhub shares between equal instances (Money from arithmetic, line quantities)
and the stock ledger kept as rows: sharing never makes what the public constructors refuse,
and never changes a value."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub import (
    InvalidMoney,
    Money,
    Movement,
    MovementKind,
    ReserveRequest,
    StockBook,
    UnknownCurrency,
    minor_units,
)
from orderhub._money import _SHARED
from orderhub._orders import LineQuantities, _requantified, line_quantities
from orderhub._statemachine import replacer
from orderhub.errors import InvalidQuantity
from orderhub.testing import FixedClock, SequentialIds

small = st.integers(-3, 6)


@given(small, small, small, small, small, small)
def test_shared_quantities_are_what_the_constructor_makes_or_refuses(
    o: int, op: int, a: int, b: int, s: int, c: int
) -> None:
    refused: list[InvalidQuantity] = []
    try:
        expected = LineQuantities(
            ordered=o, open=op, allocated=a, backordered=b, shipped=s, cancelled=c
        )
    except InvalidQuantity as e:
        refused.append(e)
    if refused:
        with pytest.raises(InvalidQuantity) as got:
            line_quantities(o, op, a, b, s, c)
        e = refused[0]
        assert (got.value.field, got.value.value, str(got.value)) == (e.field, e.value, str(e))
        return
    made = line_quantities(o, op, a, b, s, c)
    assert made == expected
    assert line_quantities(o, op, a, b, s, c) is made


def test_quantities_that_are_not_ints_are_not_shared() -> None:
    made = line_quantities(True, True)
    assert made.ordered is True
    assert made.open is True
    assert line_quantities(1, 1).ordered is not True


def test_requantified_is_evolve() -> None:
    q = line_quantities(3, 3)
    assert _requantified(q, {"open": 1, "allocated": 2}) == LineQuantities(
        ordered=3, open=1, allocated=2
    )
    with pytest.raises(InvalidQuantity):
        _requantified(q, {"open": 1})
    with pytest.raises(TypeError):
        _requantified(q, {"opened": 1})


amounts = st.decimals(min_value=-(10**6), max_value=10**6, places=2)


@given(amounts, amounts)
def test_money_arithmetic_results_equal_fresh_values(x: Decimal, y: Decimal) -> None:
    a, b = Money(x, "USD"), Money(y, "USD")
    for got, want in ((a + b, x + y), (a - b, x - y), (a * 3, x * 3)):
        fresh = Money(want, "USD")
        assert got == fresh
        assert repr(got) == repr(fresh)
        assert str(got.amount) == str(fresh.amount)
    assert (a + b) is (a + b) or len(_SHARED) >= 1 << 14


def test_shared_money_keeps_its_exponent_and_currency() -> None:
    assert str(Money.from_minor(100, "USD")) == "1.00 USD"
    assert str(Money.from_minor(100, "JPY")) == "100 JPY"
    assert str(Money.from_minor(100, "KWD")) == "0.100 KWD"
    assert Money.from_minor(100, "JPY") is not Money.from_minor(100, "USD")
    assert str(Money("1.00", "USD") - Money("1.00", "USD")) == "0.00 USD"
    with pytest.raises(InvalidMoney):
        Money("9" * 58 + ".99", "USD") + Money("9" * 58 + ".99", "USD")


def test_a_subclass_is_not_shared() -> None:
    class Cash(Money):
        pass

    assert type(Cash.from_minor(5, "USD")) is Cash


def test_movements_are_made_from_the_ledger_rows_alike() -> None:
    book = StockBook(FixedClock(datetime(2026, 3, 2, tzinfo=UTC)))
    received = book.receive("dc-1", "A", 5, reason="delivery", reference="po-1")
    request = ReserveRequest(location_id="dc-1", sku="A", quantity=3, line_no=1)
    (r,) = book.reserve([request], order_id="o-1", ids=SequentialIds())
    shipped = book.consume(r.id, 2)
    released = book.release(r.id)
    ledger = book.movements()
    assert ledger[0] == received
    assert ledger[2:] == (shipped, released)
    assert ledger[1] == Movement(
        seq=2,
        location_id="dc-1",
        sku="A",
        kind=MovementKind.RESERVE,
        on_hand_delta=0,
        reserved_delta=3,
        reference=r.id,
        at=received.at,
    )
    assert [m.kind for m in ledger] == [
        MovementKind.RECEIVE,
        MovementKind.RESERVE,
        MovementKind.SHIP,
        MovementKind.RELEASE,
    ]
    assert book.movements("dc-1") == ledger == book.movements(sku="A")
    assert book.movements("dc-1", "A") == ledger
    assert book.position("dc-1", "A").on_hand == 3
    assert book.reserved("dc-1", "A") == 0


@given(
    st.lists(st.tuples(st.sampled_from(["dc-1", "dc-2"]), st.integers(1, 2), st.integers(1, 4))),
    st.sampled_from(["dc-1", "dc-2"]),
    st.integers(1, 2),
    st.integers(1, 6),
)
def test_consuming_a_line_is_consuming_its_reservations_in_order(
    held: list[tuple[str, int, int]], location_id: str, line_no: int, quantity: int
) -> None:
    """StockBook._consume_line does what the allocator did before: consume, oldest first,
    each live reservation of the order's line at the location, through the public API."""
    books = []
    for _ in range(2):
        book = StockBook(FixedClock(datetime(2026, 3, 2, tzinfo=UTC)))
        for loc in ("dc-1", "dc-2"):
            book.receive(loc, "A", 100)
        ids = SequentialIds()
        for loc, line, q in held:
            request = ReserveRequest(location_id=loc, sku="A", quantity=q, line_no=line)
            book.reserve([request], order_id="o-1", ids=ids)
        books.append(book)
    public, private = books
    left = quantity
    for r in public.reservations(order_id="o-1"):
        if not left:
            break
        if r.line_no == line_no and r.location_id == location_id:
            take = min(left, r.remaining)
            public.consume(r.id, take)
            left -= take
    private._consume_line("o-1", line_no, location_id, quantity)
    assert private.movements() == public.movements()
    assert private.reservations(live_only=False) == public.reservations(live_only=False)
    assert list(private.positions()) == list(public.positions())


@given(st.lists(st.tuples(st.integers(0, 150), st.integers(-3, 5)), max_size=400))
def test_available_at_reads_what_locations_with_answers(changes: list[tuple[int, int]]) -> None:
    book = StockBook(FixedClock(datetime(2026, 3, 2, tzinfo=UTC)))
    for n, delta in changes:
        loc = f"dc-{n:03d}"
        if delta > 0:
            book.receive(loc, "A", delta)
        elif delta < 0 and book.available(loc, "A") >= -delta:
            book.adjust(loc, "A", delta, reason="count")
    expected = [(p.location_id, p.available) for p in book.locations_with("A")]
    assert list(book._available_at("A")) == expected
    assert list(book._available_at("B")) == []


@given(
    st.lists(
        st.tuples(st.sampled_from(["dc-1", "dc-2"]), st.integers(1, 3), st.booleans()),
        min_size=1,
    ),
    st.sampled_from(["dc-1", "dc-2"]),
    st.frozensets(st.integers(1, 3)),
)
def test_keeping_lines_is_keeping_their_live_reservations(
    held: list[tuple[str, int, bool]], location_id: str, line_nos: frozenset[int]
) -> None:
    """StockBook._keep_lines does what the hub does through the public API as it releases a
    fulfilment order: keep each live reservation of those lines at the location."""
    at = datetime(2026, 3, 2, tzinfo=UTC)
    books = []
    for _ in range(2):
        book = StockBook(FixedClock(at))
        for loc in ("dc-1", "dc-2"):
            book.receive(loc, "A", 100)
        ids = SequentialIds()
        for loc, line, spent in held:
            request = ReserveRequest(location_id=loc, sku="A", quantity=2, line_no=line)
            (r,) = book.reserve([request], order_id="o-1", ids=ids, expires_at=at)
            if spent:
                book.consume(r.id, 2)
        books.append(book)
    public, private = books
    for r in public.reservations("o-1"):
        if r.location_id == location_id and r.line_no in line_nos:
            public.keep(r.id)
    private._keep_lines("o-1", location_id, line_nos)
    assert private.reservations(live_only=False) == public.reservations(live_only=False)
    assert private.expiring(at) == public.expiring(at)
    assert private.expire(at) == public.expire(at)
    assert private.movements() == public.movements()


@given(st.integers(-(10**8), 10**8), st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR"]))
def test_from_minor_answers_alike_the_first_time_and_after(units: int, currency: str) -> None:
    first = Money.from_minor(units, currency)
    again = Money.from_minor(units, currency)
    assert again == first
    assert repr(again) == repr(first)
    assert first.minor_units == units
    assert first == Money(Decimal(units).scaleb(-minor_units(currency)), currency)


def test_from_minor_still_refuses_what_it_refused() -> None:
    Money.from_minor(1, "USD")
    Money.from_minor(0, "USD")
    for units in (True, False, 1.0, Decimal(1), "1"):
        with pytest.raises(InvalidMoney):
            Money.from_minor(units, "USD")  # type: ignore[arg-type]

    class Code(str):
        pass

    with pytest.raises(UnknownCurrency):
        Money.from_minor(1, Code("USD"))
    with pytest.raises(UnknownCurrency):
        Money.from_minor(1, "usd")


def test_a_replacer_is_evolve_of_its_fields() -> None:
    @attrs.frozen(kw_only=True)
    class Point:
        x: int = attrs.field(validator=attrs.validators.instance_of(int))
        y: int = 0
        _z: int = 0

    class Point3(Point):
        pass

    with_x = replacer(Point, "x")
    with_y_z = replacer(Point, "y", "z")
    p = Point(x=1, y=2, z=3)
    assert with_x(p, 5) == attrs.evolve(p, x=5)
    assert with_y_z(p, 7, 8) == attrs.evolve(p, y=7, z=8)
    q = Point3(x=1, y=2, z=3)
    assert type(with_x(q, 5)) is Point3
    assert with_x(q, 5) == attrs.evolve(q, x=5)
    with pytest.raises(TypeError):
        with_x(p, "5")  # the validator runs
    with pytest.raises(TypeError):
        replacer(Point, "w")
    with pytest.raises(TypeError):
        replacer(Point, "x", "x")
