"""Strategies of domain events, with plausible field values.

Private: import them from :mod:`orderhub.testing.strategies`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, get_args, get_origin

import attrs
from hypothesis import strategies as st

from orderhub._money import Money
from orderhub._values import Channel, ConsentChannel
from orderhub.events import Event
from orderhub.routing import Assignment, Backorder
from orderhub.testing._st_stock import assignments, backorders
from orderhub.testing._st_values import _optional, _tokens, aware_datetimes, money

# -- events ---------------------------------------------------------------------------------


def _for_type(t: Any) -> st.SearchStrategy[Any]:
    if t is Assignment:
        return assignments()
    if t is Backorder:
        return backorders()
    if get_origin(t) is tuple:
        args = get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_for_type(args[0]), max_size=3).map(tuple)
        return st.tuples(*(_for_type(a) for a in args))
    args = get_args(t)
    if args and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        return _optional(_for_type(inner))
    if t is datetime:
        return aware_datetimes()
    if t is date:
        return st.dates()
    if t is Money:
        return money(allow_negative=True)
    if t is str:
        return _tokens()
    if t is int:
        return st.integers(1, 10**6)
    if t is bool:
        return st.booleans()
    if isinstance(t, type) and issubclass(t, (Channel, ConsentChannel)):
        return st.sampled_from(t)
    return st.from_type(t)


def _event_types() -> list[type[Event]]:
    found: list[type[Event]] = []
    todo = list(Event.__subclasses__())
    while todo:
        cls = todo.pop(0)
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def events(*kinds: type[Event]) -> st.SearchStrategy[Event]:
    """Domain events of the given classes (every :class:`~orderhub.events.Event` subclass
    if none is named), with plausible field values."""
    chosen = kinds or tuple(_event_types())
    builders = []
    for cls in chosen:
        attrs.resolve_types(cls)
        fields = {a.alias: _for_type(a.type) for a in attrs.fields(cls) if a.init}
        builders.append(st.builds(cls, **fields))
    return st.one_of(builders)
