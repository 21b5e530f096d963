"""The stock book: on-hand, reservations, the ledger, incoming supply and the routing indexes."""

from __future__ import annotations

import pickle
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from orderhub._stock import (
    InsufficientStock,
    Movement,
    MovementKind,
    Reservation,
    ReserveRequest,
    StockBook,
    StockPosition,
    Supply,
    SupplyKind,
    UnknownReservation,
    UnknownSupply,
)
from orderhub.errors import (
    DuplicateId,
    InvalidQuantity,
    NotFound,
    OrderhubError,
    ValidationError,
)
from orderhub.testing import FixedClock, SequentialIds

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


class BookState(NamedTuple):
    """Everything a stock command could change, copied: compare two with ``==``."""

    movements: tuple[Movement, ...]
    positions: tuple[StockPosition, ...]
    reservations: tuple[Reservation, ...]
    supplies: dict[str, Supply]
    commitments: dict[str, tuple[tuple[str, int, int], ...]]
    available_index: dict[str, tuple[StockPosition, ...]]
    expiry: tuple[Any, ...]


def book_state(book: StockBook) -> BookState:
    """A snapshot of the book, its private indexes included (a half-applied command would
    leave exactly those corrupted)."""
    supplies = dict(book._supplies)
    return BookState(
        movements=book.movements(),
        positions=tuple(book.positions()),
        reservations=book.reservations(live_only=False),
        supplies=supplies,
        commitments={s: book.commitments(s) for s in supplies},
        available_index={sku: book.locations_with(sku) for sku in book.skus()},
        expiry=tuple(book._expiry),
    )


def make_book() -> tuple[StockBook, FixedClock]:
    """An empty stock book on a fixed clock at :data:`T0`."""
    clock = FixedClock(T0)
    return StockBook(clock), clock


def req(location_id: str, sku: str, quantity: int, line_no: int = 1) -> ReserveRequest:
    """A reserve request, briefly."""
    return ReserveRequest(location_id=location_id, sku=sku, quantity=quantity, line_no=line_no)


def supply(supply_id: str, expected: date, quantity: int = 10, **kw: Any) -> Supply:
    """A purchase order of TENT arriving at dc-a."""
    fields: dict[str, Any] = {"sku": "TENT", "location_id": "dc-a"}
    fields.update(kw)
    return Supply(id=supply_id, quantity=quantity, expected=expected, **fields)


class RepeatingIds:
    """An id factory that wrongly returns the same id every time."""

    def new_id(self, kind: str) -> str:
        """Always ``<kind>-1``."""
        return f"{kind}-1"


# -- construction and queries --------------------------------------------------------------------


def test_a_book_needs_a_clock() -> None:
    """A stock book is built on a clock; anything else is refused."""
    with pytest.raises(ValidationError) as caught:
        StockBook("the wall clock")  # type: ignore[arg-type]

    assert caught.value.field == "clock"


def test_a_position_never_stocked_answers_zero() -> None:
    """Queries about a position never seen answer zero, and locations need no registration."""
    book, _ = make_book()

    position = book.position("nowhere", "TENT")

    assert position == StockPosition(location_id="nowhere", sku="TENT", on_hand=0, reserved=0)
    assert (book.on_hand("x", "y"), book.reserved("x", "y"), book.available("x", "y")) == (0, 0, 0)
    assert book.locations_with("TENT") == ()
    assert book.best_source("TENT", 1) is None
    assert list(book.skus()) == []
    assert list(book.positions()) == []


@pytest.mark.parametrize("bad", ["", "   ", None, 5])
def test_position_queries_refuse_bad_ids(bad: Any) -> None:
    """Asking about a position with an empty or non-string id is an error naming the field."""
    book, _ = make_book()

    with pytest.raises(ValidationError) as caught:
        book.position(bad, "TENT")

    assert caught.value.field == "location_id"


# -- receive, adjust, return ---------------------------------------------------------------------


def test_receive_books_a_movement_and_raises_on_hand() -> None:
    """Receiving appends a RECEIVE movement stamped by the clock and raises on-hand."""
    book, clock = make_book()
    clock.advance(minutes=5)

    movement = book.receive("dc-a", "TENT", 40, reason="delivery", reference="asn-7")

    assert movement == Movement(
        seq=1,
        location_id="dc-a",
        sku="TENT",
        kind=MovementKind.RECEIVE,
        on_hand_delta=40,
        reserved_delta=0,
        reason="delivery",
        reference="asn-7",
        at=T0 + timedelta(minutes=5),
    )
    assert book.position("dc-a", "TENT") == StockPosition(
        location_id="dc-a", sku="TENT", on_hand=40, reserved=0
    )
    assert book.movements() == (movement,)
    assert list(book.skus()) == ["TENT"]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3", None])
def test_receive_refuses_a_quantity_that_is_not_a_positive_int(bad: Any) -> None:
    """Zero, negatives, bools, floats and strings are not quantities; nothing changes."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 1)
    before = book_state(book)

    with pytest.raises(InvalidQuantity) as caught:
        book.receive("dc-a", "TENT", bad)

    assert (caught.value.field, caught.value.value) == ("quantity", bad)
    assert book_state(book) == before


@pytest.mark.parametrize(
    ("location_id", "sku", "field"),
    [("", "TENT", "location_id"), ("dc-a", "  ", "sku"), (None, "TENT", "location_id")],
)
def test_receive_refuses_empty_ids(location_id: Any, sku: Any, field: str) -> None:
    """Location and SKU ids must be non-empty strings; the error names the one that is not."""
    book, _ = make_book()
    before = book_state(book)

    with pytest.raises(ValidationError) as caught:
        book.receive(location_id, sku, 1)

    assert caught.value.field == field
    assert book_state(book) == before


def test_adjust_moves_on_hand_either_way_with_a_reason() -> None:
    """Adjusting adds or removes units with an ADJUST movement carrying the reason."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)

    down = book.adjust("dc-a", "TENT", -3, reason="damaged")
    up = book.adjust("dc-a", "TENT", 1, reason="cycle count")

    assert (down.kind, down.on_hand_delta, down.reason) == (MovementKind.ADJUST, -3, "damaged")
    assert (up.on_hand_delta, up.reason) == (1, "cycle count")
    assert book.on_hand("dc-a", "TENT") == 8


@pytest.mark.parametrize(
    ("delta", "reason", "error", "field"),
    [
        (0, "count", InvalidQuantity, "delta"),
        (True, "count", InvalidQuantity, "delta"),
        (1.0, "count", InvalidQuantity, "delta"),
        (1, "", ValidationError, "reason"),
        (1, None, ValidationError, "reason"),
    ],
)
def test_adjust_refuses_a_zero_delta_or_a_missing_reason(
    delta: Any, reason: Any, error: type[Exception], field: str
) -> None:
    """An adjustment needs a non-zero integer delta and a reason; nothing changes otherwise."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    before = book_state(book)

    with pytest.raises(error) as caught:
        book.adjust("dc-a", "TENT", delta, reason=reason)

    assert isinstance(caught.value, OrderhubError)
    assert caught.value.field == field
    assert book_state(book) == before


def test_adjust_may_not_take_on_hand_below_reserved() -> None:
    """Adjusting on-hand below what is reserved is refused with InsufficientStock."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    book.reserve([req("dc-a", "TENT", 7)], order_id="o-1", ids=SequentialIds())
    before = book_state(book)

    with pytest.raises(InsufficientStock) as caught:
        book.adjust("dc-a", "TENT", -4, reason="damaged")

    e = caught.value
    assert (e.field, e.value, e.entity_id) == ("delta", -4, "dc-a/TENT")
    assert (e.location_id, e.sku, e.requested, e.available) == ("dc-a", "TENT", 4, 3)
    assert book_state(book) == before


def test_adjust_down_to_exactly_reserved_is_allowed() -> None:
    """Adjusting away every available unit leaves on-hand equal to reserved."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    book.reserve([req("dc-a", "TENT", 7)], order_id="o-1", ids=SequentialIds())

    book.adjust("dc-a", "TENT", -3, reason="damaged")

    assert (book.on_hand("dc-a", "TENT"), book.available("dc-a", "TENT")) == (7, 0)
    assert book.locations_with("TENT") == ()


def test_returned_units_are_restocked() -> None:
    """A return books a RETURN movement and raises on-hand."""
    book, _ = make_book()

    movement = book.return_stock("store-1", "TENT", 2, reference="rma-9")

    assert (movement.kind, movement.on_hand_delta, movement.reference) == (
        MovementKind.RETURN,
        2,
        "rma-9",
    )
    assert book.available("store-1", "TENT") == 2


# -- transfer ------------------------------------------------------------------------------------


def test_transfer_moves_available_units_between_locations() -> None:
    """A transfer books TRANSFER_OUT at the source and TRANSFER_IN at the destination."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)

    out, into = book.transfer("dc-a", "store-1", "TENT", 4, reference="tr-1")

    assert (out.kind, out.location_id, out.on_hand_delta) == (
        MovementKind.TRANSFER_OUT,
        "dc-a",
        -4,
    )
    assert (into.kind, into.location_id, into.on_hand_delta) == (
        MovementKind.TRANSFER_IN,
        "store-1",
        4,
    )
    assert (out.reference, into.reference, out.seq + 1) == ("tr-1", "tr-1", into.seq)
    assert (book.on_hand("dc-a", "TENT"), book.on_hand("store-1", "TENT")) == (6, 4)


def test_transfer_takes_only_available_units() -> None:
    """Reserved units cannot be transferred away; nothing changes when it is tried."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    book.reserve([req("dc-a", "TENT", 8)], order_id="o-1", ids=SequentialIds())
    before = book_state(book)

    with pytest.raises(InsufficientStock) as caught:
        book.transfer("dc-a", "store-1", "TENT", 3)

    assert (caught.value.requested, caught.value.available) == (3, 2)
    assert book_state(book) == before


def test_transfer_to_the_same_location_is_refused() -> None:
    """A transfer needs two different locations."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    before = book_state(book)

    with pytest.raises(ValidationError) as caught:
        book.transfer("dc-a", "dc-a", "TENT", 1)

    assert (caught.value.field, caught.value.value) == ("to_location", "dc-a")
    assert book_state(book) == before


# -- reserve -------------------------------------------------------------------------------------


def test_reserve_holds_units_for_each_request() -> None:
    """Each request becomes a reservation with a RESERVE movement; available falls."""
    book, clock = make_book()
    book.receive("dc-a", "TENT", 10)
    book.receive("dc-b", "MAT", 5)
    clock.advance(minutes=1)
    expires = T0 + timedelta(hours=1)

    made = book.reserve(
        [req("dc-a", "TENT", 3, line_no=1), req("dc-b", "MAT", 5, line_no=2)],
        order_id="o-1",
        expires_at=expires,
        ids=SequentialIds(),
    )

    assert made == (
        Reservation(
            id="reservation-1",
            order_id="o-1",
            line_no=1,
            location_id="dc-a",
            sku="TENT",
            quantity=3,
            expires_at=expires,
            created_at=T0 + timedelta(minutes=1),
        ),
        Reservation(
            id="reservation-2",
            order_id="o-1",
            line_no=2,
            location_id="dc-b",
            sku="MAT",
            quantity=5,
            expires_at=expires,
            created_at=T0 + timedelta(minutes=1),
        ),
    )
    assert [(m.kind, m.reserved_delta, m.reference) for m in book.movements()[2:]] == [
        (MovementKind.RESERVE, 3, "reservation-1"),
        (MovementKind.RESERVE, 5, "reservation-2"),
    ]
    assert (book.reserved("dc-a", "TENT"), book.available("dc-a", "TENT")) == (3, 7)
    assert book.available("dc-b", "MAT") == 0
    assert book.locations_with("MAT") == ()
    assert made[0].remaining == 3
    assert made[0].is_live


def test_two_lines_of_one_sku_cannot_oversell() -> None:
    """Demand from two lines for one SKU at one location is summed before it is checked."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)
    before = book_state(book)

    with pytest.raises(InsufficientStock) as caught:
        book.reserve(
            [req("dc-a", "TENT", 3, line_no=1), req("dc-a", "TENT", 3, line_no=2)],
            order_id="o-1",
            ids=SequentialIds(),
        )

    e = caught.value
    assert (e.location_id, e.sku, e.requested, e.available) == ("dc-a", "TENT", 6, 5)
    assert (e.field, e.value, e.entity_id) == ("quantity", 6, "dc-a/TENT")
    assert book_state(book) == before


def test_two_lines_of_one_sku_that_fit_are_both_reserved() -> None:
    """Two lines of one SKU whose sum fits are reserved, one reservation each."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)

    made = book.reserve(
        [req("dc-a", "TENT", 3, line_no=1), req("dc-a", "TENT", 2, line_no=2)],
        order_id="o-1",
        ids=SequentialIds(),
    )

    assert [(r.line_no, r.quantity) for r in made] == [(1, 3), (2, 2)]
    assert book.available("dc-a", "TENT") == 0


def test_reserve_is_all_or_nothing() -> None:
    """When one position lacks stock, no request of the call is reserved."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)
    book.receive("dc-b", "MAT", 1)
    ids = SequentialIds()
    before = book_state(book)

    with pytest.raises(InsufficientStock) as caught:
        book.reserve(
            [req("dc-a", "TENT", 5, line_no=1), req("dc-b", "MAT", 2, line_no=2)],
            order_id="o-1",
            ids=ids,
        )

    assert (caught.value.location_id, caught.value.sku) == ("dc-b", "MAT")
    assert book_state(book) == before
    assert ids.new_id("reservation") == "reservation-1"  # no id was taken either


def test_reserve_at_an_unstocked_position_is_insufficient() -> None:
    """Reserving where nothing was ever received is refused, naming the position."""
    book, _ = make_book()
    before = book_state(book)

    with pytest.raises(InsufficientStock) as caught:
        book.reserve([req("dc-z", "TENT", 1)], order_id="o-1", ids=SequentialIds())

    assert caught.value.entity_id == "dc-z/TENT"
    assert book_state(book) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"requests": []}, "requests"),
        ({"requests": "dc-a"}, "requests"),
        ({"requests": [("dc-a", "TENT", 1, 1)]}, "requests[0]"),
        ({"order_id": ""}, "order_id"),
        ({"expires_at": datetime(2026, 3, 3)}, "expires_at"),  # naive on purpose
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"ids": "not a factory"}, "ids"),
    ],
)
def test_reserve_refuses_malformed_arguments(kwargs: dict[str, Any], field: str) -> None:
    """Reserve validates every argument and names the bad one; nothing changes."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)
    before = book_state(book)
    arguments: dict[str, Any] = {
        "requests": [req("dc-a", "TENT", 1)],
        "order_id": "o-1",
        "ids": SequentialIds(),
    }
    arguments.update(kwargs)

    with pytest.raises(ValidationError) as caught:
        book.reserve(**arguments)

    assert caught.value.field == field
    assert book_state(book) == before


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("quantity", 0, InvalidQuantity),
        ("quantity", True, InvalidQuantity),
        ("line_no", 0, InvalidQuantity),
        ("sku", "", ValidationError),
        ("location_id", None, ValidationError),
    ],
)
def test_reserve_request_validates_its_fields(
    field: str, value: Any, error: type[Exception]
) -> None:
    """A reserve request needs non-empty ids and positive quantity and line number."""
    fields: dict[str, Any] = {"location_id": "dc-a", "sku": "TENT", "quantity": 1, "line_no": 1}
    fields[field] = value

    with pytest.raises(error) as caught:
        ReserveRequest(**fields)

    assert isinstance(caught.value, ValidationError)
    assert (caught.value.field, caught.value.value) == (field, value)


def test_reserve_refuses_an_id_already_in_use() -> None:
    """An id factory that repeats itself is caught before anything is reserved."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)
    book.reserve([req("dc-a", "TENT", 1)], order_id="o-1", ids=RepeatingIds())
    before = book_state(book)

    with pytest.raises(DuplicateId) as caught:
        book.reserve([req("dc-a", "TENT", 1)], order_id="o-2", ids=RepeatingIds())

    assert (caught.value.field, caught.value.value) == ("id", "reservation-1")
    assert book_state(book) == before


def test_reserve_refuses_an_id_repeated_within_one_call() -> None:
    """Two requests of one call must not get the same id from the factory."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)
    before = book_state(book)

    with pytest.raises(DuplicateId):
        book.reserve(
            [req("dc-a", "TENT", 1, 1), req("dc-a", "TENT", 1, 2)],
            order_id="o-1",
            ids=RepeatingIds(),
        )

    assert book_state(book) == before


def test_reservations_are_found_by_order() -> None:
    """Reservations are listed per order, oldest first; closed ones only when asked."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    ids = SequentialIds()
    first = book.reserve([req("dc-a", "TENT", 1)], order_id="o-1", ids=ids)[0]
    other = book.reserve([req("dc-a", "TENT", 1)], order_id="o-2", ids=ids)[0]
    second = book.reserve([req("dc-a", "TENT", 2, line_no=2)], order_id="o-1", ids=ids)[0]

    book.release(first.id)

    assert book.reservations("o-1") == (second,)
    assert [r.id for r in book.reservations("o-1", live_only=False)] == [first.id, second.id]
    assert book.reservations() == (other, second)
    assert book.reservations("o-404") == ()
    assert book.reservation(first.id).released == 1


def test_an_unknown_reservation_is_not_found() -> None:
    """Looking up, releasing or consuming an unknown reservation raises UnknownReservation."""
    book, _ = make_book()

    for call in (
        lambda: book.reservation("r-404"),
        lambda: book.release("r-404"),
        lambda: book.consume("r-404", 1),
    ):
        with pytest.raises(UnknownReservation) as caught:
            call()
        assert isinstance(caught.value, (NotFound, LookupError))
        assert (caught.value.field, caught.value.value) == ("reservation_id", "r-404")


# -- release and consume -------------------------------------------------------------------------


def _held(quantity: int = 5, on_hand: int = 10) -> tuple[StockBook, Reservation]:
    book, _ = make_book()
    book.receive("dc-a", "TENT", on_hand)
    made = book.reserve([req("dc-a", "TENT", quantity)], order_id="o-1", ids=SequentialIds())
    return book, made[0]


def test_release_gives_back_everything_left_by_default() -> None:
    """Releasing without a quantity gives back all the reservation has left."""
    book, r = _held(5)

    movement = book.release(r.id, reason="cancelled")

    assert movement is not None
    assert (movement.kind, movement.reserved_delta, movement.on_hand_delta) == (
        MovementKind.RELEASE,
        -5,
        0,
    )
    assert (movement.reason, movement.reference) == ("cancelled", r.id)
    assert book.reservation(r.id).released == 5
    assert not book.reservation(r.id).is_live
    assert (book.reserved("dc-a", "TENT"), book.available("dc-a", "TENT")) == (0, 10)


def test_release_part_of_a_reservation() -> None:
    """Releasing a quantity gives back just that many units."""
    book, r = _held(5)

    book.release(r.id, 2)

    assert (book.reservation(r.id).remaining, book.reserved("dc-a", "TENT")) == (3, 3)


@pytest.mark.parametrize("bad", [6, 0, -1, True])
def test_release_refuses_more_than_is_left(bad: Any) -> None:
    """Releasing more than is left, or a non-positive quantity, is refused; nothing changes."""
    book, r = _held(5)
    before = book_state(book)

    with pytest.raises(InvalidQuantity) as caught:
        book.release(r.id, bad)

    assert (caught.value.field, caught.value.value, caught.value.entity_id) == (
        "quantity",
        bad,
        r.id,
    )
    assert book_state(book) == before


def test_releasing_a_closed_reservation_again_is_harmless() -> None:
    """Releasing all of a reservation with nothing left returns None and changes nothing."""
    book, r = _held(5)
    book.release(r.id)
    before = book_state(book)

    result = book.release(r.id)

    assert result is None
    assert book_state(book) == before


def test_releasing_a_quantity_of_a_closed_reservation_is_refused() -> None:
    """Asking to release units of a reservation with none left is an error."""
    book, r = _held(5)
    book.release(r.id)
    before = book_state(book)

    with pytest.raises(InvalidQuantity):
        book.release(r.id, 1)

    assert book_state(book) == before


def test_consume_ships_held_units() -> None:
    """Consuming lowers on-hand and reserved together (SHIP); available does not move."""
    book, r = _held(5)

    movement = book.consume(r.id, 3)

    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == (
        MovementKind.SHIP,
        -3,
        -3,
    )
    assert movement.reference == r.id
    assert book.position("dc-a", "TENT") == StockPosition(
        location_id="dc-a", sku="TENT", on_hand=7, reserved=2
    )
    assert book.available("dc-a", "TENT") == 5
    assert book.reservation(r.id).consumed == 3


def test_each_reserved_unit_is_released_or_consumed_once() -> None:
    """Once every unit is consumed or released the reservation is closed for good."""
    book, r = _held(5)
    book.consume(r.id, 2)
    book.release(r.id)
    before = book_state(book)

    with pytest.raises(InvalidQuantity):
        book.consume(r.id, 1)

    closed = book.reservation(r.id)
    assert (closed.consumed, closed.released, closed.remaining) == (2, 3, 0)
    assert book.release(r.id) is None
    assert book_state(book) == before


@pytest.mark.parametrize("bad", [6, 0, None, 1.0])
def test_consume_refuses_a_bad_quantity(bad: Any) -> None:
    """Consuming more than is left or a non-integer quantity is refused; nothing changes."""
    book, r = _held(5)
    before = book_state(book)

    with pytest.raises(InvalidQuantity):
        book.consume(r.id, bad)

    assert book_state(book) == before


# -- expiry --------------------------------------------------------------------------------------


def test_expire_releases_reservations_that_are_due() -> None:
    """Expiry releases every live reservation due by then, earliest first, and no other."""
    book, clock = make_book()
    book.receive("dc-a", "TENT", 10)
    ids = SequentialIds()
    late = book.reserve(
        [req("dc-a", "TENT", 1)], order_id="o-1", expires_at=T0 + timedelta(hours=2), ids=ids
    )[0]
    early = book.reserve(
        [req("dc-a", "TENT", 2)], order_id="o-2", expires_at=T0 + timedelta(hours=1), ids=ids
    )[0]
    never = book.reserve([req("dc-a", "TENT", 3)], order_id="o-3", ids=ids)[0]
    book.consume(early.id, 1)
    clock.advance(hours=1)

    expired = book.expire(clock.now())

    assert [(r.id, r.released, r.consumed, r.is_live) for r in expired] == [
        (early.id, 1, 1, False)
    ]
    last = book.movements()[-1]
    assert (last.kind, last.reserved_delta, last.reason, last.reference) == (
        MovementKind.RELEASE,
        -1,
        "expired",
        early.id,
    )
    assert book.reservation(late.id).is_live
    assert book.reservation(never.id).is_live
    assert book.expire(clock.now()) == ()
    assert [r.id for r in book.expire(T0 + timedelta(days=9))] == [late.id]
    assert book.reserved("dc-a", "TENT") == 3


def test_reservations_closed_before_expiry_are_not_expired() -> None:
    """A reservation consumed or released in full leaves the expiry index."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 10)
    ids = SequentialIds()
    due = T0 + timedelta(hours=1)
    shipped, dropped = book.reserve(
        [req("dc-a", "TENT", 2, 1), req("dc-a", "TENT", 2, 2)],
        order_id="o-1",
        expires_at=due,
        ids=ids,
    )
    book.consume(shipped.id, 2)
    book.release(dropped.id)
    before = book_state(book)

    expired = book.expire(due)

    assert expired == ()
    assert book_state(book) == before
    assert len(book._expiry) == 0


def test_expire_needs_an_aware_datetime() -> None:
    """Expiry is told the time as a timezone-aware datetime."""
    book, _ = make_book()

    with pytest.raises(ValidationError) as caught:
        book.expire(datetime(2026, 3, 3))  # naive on purpose

    assert caught.value.field == "now"


# -- ledger and indexes --------------------------------------------------------------------------


def test_movements_are_filtered_by_location_and_sku() -> None:
    """The ledger can be read whole, per location, per SKU or per position, oldest first."""
    book, _ = make_book()
    a = book.receive("dc-a", "TENT", 1)
    b = book.receive("dc-b", "TENT", 2)
    c = book.receive("dc-a", "MAT", 3)

    assert book.movements() == (a, b, c)
    assert book.movements(location_id="dc-a") == (a, c)
    assert book.movements(sku="TENT") == (a, b)
    assert book.movements("dc-a", "MAT") == (c,)
    assert book.movements("dc-z", "MAT") == ()
    assert [m.seq for m in book.movements()] == [1, 2, 3]


def test_the_ledger_only_grows() -> None:
    """A ledger read earlier is a prefix of one read later."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 5)
    earlier = book.movements()

    book.reserve([req("dc-a", "TENT", 2)], order_id="o-1", ids=SequentialIds())
    book.release("reservation-1")

    later = book.movements()
    assert later[: len(earlier)] == earlier
    assert len(later) == 3


def test_locations_with_lists_only_positions_with_available_units() -> None:
    """locations_with lists positions with available > 0, by location id."""
    book, _ = make_book()
    book.receive("store-9", "TENT", 2)
    book.receive("dc-a", "TENT", 1)
    book.receive("dc-b", "TENT", 3)
    book.receive("dc-c", "MAT", 3)
    book.reserve([req("dc-a", "TENT", 1)], order_id="o-1", ids=SequentialIds())

    found = book.locations_with("TENT")

    assert [(p.location_id, p.available) for p in found] == [("dc-b", 3), ("store-9", 2)]
    assert book.locations_with("NOPE") == ()


# -- supply --------------------------------------------------------------------------------------


def test_supply_defaults_and_derived_quantities() -> None:
    """A supply is a purchase order by default, with nothing committed or received."""
    s = supply("po-1", TODAY, 10)

    assert (s.kind, s.committed, s.received) == (SupplyKind.PURCHASE_ORDER, 0, 0)
    assert (s.outstanding, s.uncommitted) == (10, 10)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"expected": datetime(2026, 3, 3, tzinfo=UTC)}, "expected"),
        ({"id": ""}, "id"),
        ({"sku": None}, "sku"),
        ({"kind": "po"}, "kind"),
        ({"received": 11}, "quantity"),
        ({"committed": -1}, "committed"),
    ],
)
def test_supply_validates_its_fields(kwargs: dict[str, Any], field: str) -> None:
    """A supply needs ids, a positive quantity, a date (not a datetime) and sane counts."""
    fields: dict[str, Any] = {
        "id": "po-1",
        "sku": "TENT",
        "location_id": "dc-a",
        "quantity": 10,
        "expected": TODAY,
    }
    fields.update(kwargs)

    with pytest.raises(ValidationError) as caught:
        Supply(**fields)

    assert caught.value.field == field


def test_adding_a_supply_again_is_harmless_but_not_another_with_its_id() -> None:
    """The same supply twice is one supply; a different one under its id is a DuplicateId."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY))
    book.add_supply(supply("po-1", TODAY))
    before = book_state(book)

    with pytest.raises(DuplicateId) as caught:
        book.add_supply(supply("po-1", TODAY, 11))

    assert (caught.value.field, caught.value.value) == ("id", "po-1")
    assert book_state(book) == before
    assert book.supplies("TENT") == (supply("po-1", TODAY),)


def test_a_new_supply_with_promises_is_refused() -> None:
    """Promises are made with commit_supply, never brought along by a new supply."""
    book, _ = make_book()

    with pytest.raises(ValidationError) as caught:
        book.add_supply(supply("po-1", TODAY, committed=2))

    assert caught.value.field == "committed"
    assert book.supplies("TENT") == ()


def test_supplies_are_listed_earliest_date_first_then_lowest_id() -> None:
    """Supplies come in routing order: the earliest expected date, then the lowest id."""
    book, _ = make_book()
    book.add_supply(supply("po-3", TODAY + timedelta(days=2)))
    book.add_supply(supply("po-2", TODAY + timedelta(days=1)))
    book.add_supply(supply("po-9", TODAY + timedelta(days=1)))
    book.add_supply(supply("po-1", TODAY + timedelta(days=5), kind=SupplyKind.TRANSFER))
    book.add_supply(supply("po-0", TODAY, sku="MAT"))

    listed = [s.id for s in book.supplies("TENT")]

    assert listed == ["po-2", "po-9", "po-3", "po-1"]
    assert [s.id for s in book.supplies("MAT")] == ["po-0"]


def test_commit_supply_promises_units_in_commit_order() -> None:
    """Promises lower the uncommitted units and are kept per line, oldest first."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))

    book.commit_supply("po-1", 3, order_id="o-2", line_no=1)
    book.commit_supply("po-1", 4, order_id="o-1", line_no=2)
    book.commit_supply("po-1", 1, order_id="o-2", line_no=1)

    assert book.commitments("po-1") == (("o-2", 1, 4), ("o-1", 2, 4))
    s = book.supply("po-1")
    assert (s.committed, s.uncommitted, s.outstanding) == (8, 2, 10)


def test_a_fully_committed_supply_is_no_longer_offered() -> None:
    """A supply with nothing uncommitted leaves the supplies listing and best_source."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 5))
    book.add_supply(supply("po-2", TODAY + timedelta(days=3), 5))

    book.commit_supply("po-1", 5, order_id="o-1", line_no=1)

    assert [s.id for s in book.supplies("TENT")] == ["po-2"]
    assert book.best_source("TENT", 1) == book.supply("po-2")


def test_commit_supply_refuses_more_than_is_uncommitted() -> None:
    """Promising more than a supply has uncommitted raises InsufficientStock; nothing changes."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))
    book.commit_supply("po-1", 8, order_id="o-1", line_no=1)
    before = book_state(book)

    with pytest.raises(InsufficientStock) as caught:
        book.commit_supply("po-1", 3, order_id="o-2", line_no=1)

    e = caught.value
    assert (e.entity_id, e.requested, e.available, e.location_id, e.sku) == (
        "po-1",
        3,
        2,
        "dc-a",
        "TENT",
    )
    assert book_state(book) == before


def test_uncommit_supply_withdraws_a_promise() -> None:
    """Withdrawing a promise frees its units again; a promise drawn to zero disappears."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))
    book.commit_supply("po-1", 3, order_id="o-1", line_no=1)
    book.commit_supply("po-1", 2, order_id="o-2", line_no=1)

    book.uncommit_supply("po-1", 1, order_id="o-1", line_no=1)
    book.uncommit_supply("po-1", 2, order_id="o-2", line_no=1)

    assert book.commitments("po-1") == (("o-1", 1, 2),)
    assert book.supply("po-1").uncommitted == 8


@pytest.mark.parametrize(("order_id", "line_no", "quantity"), [("o-1", 1, 4), ("o-1", 2, 1)])
def test_uncommit_supply_refuses_more_than_the_line_holds(
    order_id: str, line_no: int, quantity: int
) -> None:
    """Withdrawing more than a line was promised (or from a line never promised) is refused."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))
    book.commit_supply("po-1", 3, order_id="o-1", line_no=1)
    before = book_state(book)

    with pytest.raises(InvalidQuantity) as caught:
        book.uncommit_supply("po-1", quantity, order_id=order_id, line_no=line_no)

    assert caught.value.entity_id == "po-1"
    assert book_state(book) == before


def test_an_unknown_supply_is_not_found() -> None:
    """Every supply command and query on an unknown id raises UnknownSupply."""
    book, _ = make_book()

    for call in (
        lambda: book.supply("po-x"),
        lambda: book.commitments("po-x"),
        lambda: book.commit_supply("po-x", 1, order_id="o-1", line_no=1),
        lambda: book.uncommit_supply("po-x", 1, order_id="o-1", line_no=1),
        lambda: book.receive_supply("po-x"),
    ):
        with pytest.raises(UnknownSupply) as caught:
            call()
        assert (caught.value.field, caught.value.value) == ("supply_id", "po-x")


def test_receive_supply_books_the_arrival_at_its_location() -> None:
    """An arrival raises on-hand at the supply's location, referencing the supply."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))

    movement = book.receive_supply("po-1", 4)

    assert (movement.kind, movement.location_id, movement.sku) == (
        MovementKind.RECEIVE,
        "dc-a",
        "TENT",
    )
    assert (movement.on_hand_delta, movement.reference) == (4, "po-1")
    assert book.available("dc-a", "TENT") == 4
    s = book.supply("po-1")
    assert (s.received, s.outstanding, s.uncommitted) == (4, 6, 6)


def test_receive_supply_takes_everything_outstanding_by_default() -> None:
    """Without a quantity the whole outstanding rest arrives; then nothing is outstanding."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))
    book.receive_supply("po-1", 4)

    movement = book.receive_supply("po-1")

    assert movement.on_hand_delta == 6
    assert book.supplies("TENT") == ()
    before = book_state(book)
    with pytest.raises(InvalidQuantity):
        book.receive_supply("po-1")
    assert book_state(book) == before


def test_receive_supply_refuses_more_than_is_outstanding() -> None:
    """An arrival larger than what is outstanding is refused; nothing changes."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))
    before = book_state(book)

    with pytest.raises(InvalidQuantity) as caught:
        book.receive_supply("po-1", 11)

    assert (caught.value.value, caught.value.entity_id) == (11, "po-1")
    assert book_state(book) == before


def test_promises_stand_after_an_arrival_until_settled() -> None:
    """An arrival is counted against free units first; promises stay until uncommitted."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY, 10))
    book.commit_supply("po-1", 6, order_id="o-1", line_no=1)

    book.receive_supply("po-1", 7)

    s = book.supply("po-1")
    assert (s.received, s.committed, s.outstanding, s.uncommitted) == (7, 6, 3, 0)
    assert book.commitments("po-1") == (("o-1", 1, 6),)
    with pytest.raises(InsufficientStock):
        book.commit_supply("po-1", 1, order_id="o-2", line_no=1)

    book.uncommit_supply("po-1", 6, order_id="o-1", line_no=1)
    book.reserve([req("dc-a", "TENT", 6)], order_id="o-1", ids=SequentialIds())

    s = book.supply("po-1")
    assert (s.committed, s.uncommitted) == (0, 3)
    assert book.available("dc-a", "TENT") == 1


# -- best source ---------------------------------------------------------------------------------


def test_on_hand_beats_a_supply_arriving_tomorrow() -> None:
    """With enough on hand, best_source picks the position over an earlier-listed supply."""
    book, _ = make_book()
    book.add_supply(supply("po-1", TODAY + timedelta(days=1), 100, location_id="dc-a"))
    book.receive("dc-z", "TENT", 2)

    best = book.best_source("TENT", 2)

    assert best == book.position("dc-z", "TENT")


def test_best_source_picks_the_lowest_location_id_with_enough() -> None:
    """Among positions with enough available, the lowest location id wins."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 1)
    book.receive("dc-c", "TENT", 5)
    book.receive("dc-b", "TENT", 4)

    assert book.best_source("TENT", 1) == book.position("dc-a", "TENT")
    assert book.best_source("TENT", 3) == book.position("dc-b", "TENT")
    assert book.best_source("TENT", 5) == book.position("dc-c", "TENT")


def test_best_source_falls_back_to_the_earliest_supply_with_enough() -> None:
    """Without enough on hand anywhere, the earliest supply with enough uncommitted wins."""
    book, _ = make_book()
    book.receive("dc-a", "TENT", 2)
    book.add_supply(supply("po-2", TODAY + timedelta(days=1), 3))
    book.add_supply(supply("po-3", TODAY + timedelta(days=2), 9))
    book.add_supply(supply("po-1", TODAY + timedelta(days=2), 9))

    assert book.best_source("TENT", 3) == book.supply("po-2")
    assert book.best_source("TENT", 4) == book.supply("po-1")
    assert book.best_source("TENT", 10) is None


def test_best_source_refuses_a_bad_quantity() -> None:
    """The quantity to source must be a positive integer."""
    book, _ = make_book()

    with pytest.raises(InvalidQuantity):
        book.best_source("TENT", 0)


def test_best_source_agrees_with_brute_force_over_many_candidates() -> None:
    """Across hundreds of changing positions and supplies, best_source equals a full search."""
    book, _ = make_book()
    rnd = random.Random(7)
    ids = SequentialIds()
    for i in range(400):
        book.receive(f"loc-{rnd.randrange(1000):04d}", "TENT", rnd.randint(1, 20))
        if i % 3 == 0:
            day = TODAY + timedelta(days=rnd.randrange(30))
            book.add_supply(supply(f"po-{i:04d}", day, rnd.randint(1, 20)))
    for _ in range(300):
        candidates = book.locations_with("TENT")
        pick = rnd.choice(candidates)
        book.reserve(
            [req(pick.location_id, "TENT", rnd.randint(1, pick.available))],
            order_id="o",
            ids=ids,
        )
        for q in (1, 5, 12, 25):
            enough = [p for p in book.positions() if p.available >= q]
            later = [s for s in book._supplies.values() if s.uncommitted >= q]
            expected: StockPosition | Supply | None
            if enough:
                expected = min(enough, key=lambda p: p.location_id)
            elif later:
                expected = min(later, key=lambda s: (s.expected, s.id))
            else:
                expected = None
            assert book.best_source("TENT", q) == expected


# -- errors --------------------------------------------------------------------------------------


def test_insufficient_stock_survives_pickling() -> None:
    """InsufficientStock keeps every attribute across a process boundary."""
    error = InsufficientStock(
        "only 2 available", location_id="dc-a", sku="TENT", requested=3, available=2
    )

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is InsufficientStock
    assert str(copy) == str(error) == "[dc-a/TENT] quantity=3: only 2 available"
    assert (copy.location_id, copy.sku, copy.requested, copy.available) == ("dc-a", "TENT", 3, 2)
    assert (copy.field, copy.value, copy.entity_id) == ("quantity", 3, "dc-a/TENT")
    assert isinstance(copy, ValidationError)
    assert isinstance(copy, ValueError)
