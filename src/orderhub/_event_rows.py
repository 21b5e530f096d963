"""The hub's event log, kept as rows where an event's fields are plain values.

A hub appends a dozen events per order and keeps them all. As attrs instances every full
collection of CPython's garbage collector walks them; a flat tuple of strings, numbers,
booleans, ``None`` and times is untracked by the collector the first time it sees it. So
the log keeps each event of a class in :data:`ROW_EVENTS` as the row ``(class name, *field
values in attrs field order)`` and every other event as itself, and makes equal event
objects again when the log is read. The class name, not the class, heads the row: a class
is an object the collector tracks.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import attrs

from orderhub.events import (
    AssignmentRejected,
    CustomerEnteredSegment,
    CustomerErased,
    CustomerLeftSegment,
    CustomersMerged,
    EffectAbandoned,
    Event,
    FulfillmentOrderChanged,
    OrderCancelled,
    OrderHeld,
    OrderHoldReleased,
    OrderLineCancelled,
    OrderStateChanged,
    ReservationsExpired,
    ReturnReceived,
)

__all__ = ["ROW_EVENTS", "EventRow", "LoggedEvent", "event_of", "row_of"]

# Only classes whose every field is declared str, int, bool, datetime or date (or None of
# those): a test checks the declarations, so a field of another type fails it.
ROW_EVENTS: frozenset[type[Event]] = frozenset(
    {
        AssignmentRejected,
        CustomerEnteredSegment,
        CustomerErased,
        CustomerLeftSegment,
        CustomersMerged,
        EffectAbandoned,
        FulfillmentOrderChanged,
        OrderCancelled,
        OrderHeld,
        OrderHoldReleased,
        OrderLineCancelled,
        OrderStateChanged,
        ReservationsExpired,
        ReturnReceived,
    }
)

EventRow = tuple[Any, ...]
LoggedEvent = Event | EventRow


def _names(cls: type[Event]) -> tuple[str, ...]:
    return tuple(field.name for field in attrs.fields(cls))


def _values(cls: type[Event]) -> Callable[[Event], tuple[Any, ...]]:
    # attrgetter of one name gives the value, of several a tuple of them.
    names = _names(cls)
    if len(names) == 1:
        return lambda event: (getattr(event, names[0]),)
    return operator.attrgetter(*names)


# Per class: its name and a getter of its field values, as a tuple, in field order.
_WRITE: dict[type[Event], tuple[str, Callable[[Event], tuple[Any, ...]]]] = {
    cls: (cls.__name__, _values(cls)) for cls in ROW_EVENTS
}
_READ: dict[str, tuple[type[Event], tuple[str, ...]]] = {
    cls.__name__: (cls, _names(cls)) for cls in ROW_EVENTS
}


def row_of(event: Event) -> LoggedEvent:
    """What the log keeps for ``event``: its row, or the event itself."""
    write = _WRITE.get(type(event))
    if write is None:
        return event
    return (write[0], *write[1](event))


def event_of(item: LoggedEvent) -> Event:
    """The event ``item`` of the log stands for (a new, equal object for a row)."""
    if not isinstance(item, tuple):
        return item
    cls, names = _READ[item[0]]
    return cls(**dict(zip(names, item[1:], strict=True)))
