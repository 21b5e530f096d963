"""Snapshot format 2: the hub's object graph as compact JSON, written and read in one pass.

The same graph as :mod:`orderhub._snapshot` writes (that module stays for format 1 and for
:meth:`LoggedCommand.to_json <orderhub.LoggedCommand.to_json>`), with far fewer JSON
containers, which is what makes large snapshots slow to write, parse and read back:

- ``null``, booleans, numbers and strings are themselves, except a string that begins
  with ``~``: it is a *tagged* value, its second character says what it is — ``~d`` a
  Decimal, ``~t`` a UTC datetime (ISO, no offset), ``~D`` a date, ``~e`` the enum member
  at that index of the table of names, ``~r`` a reference to a numbered object, ``~x``
  code handed to restore, ``~f`` a class or function, ``~F`` a float that JSON cannot
  hold or that equal values would merge with (``-0.0``), and ``~~`` a string that began
  with ``~`` (one more ``~`` in front).
- Every other value is a JSON array whose first item is an integer tag: ``n >= 0`` an
  instance of the class at entry ``n`` of the table of names (the rest: its fields' values,
  in the entry's order); a negative tag one of the built-in kinds below (tuple, list, dict
  as flat keys and values, …).
- An object reached twice (or in a cycle) is written the first time inside
  ``[-19, number, value]`` and then as ``"~r<number>"``.

Nothing depends on the order of a JSON object's keys: the graph holds only arrays.
Immutable values are written by value wherever they occur, as in format 1.
"""

from __future__ import annotations

import array
import enum
import math
import operator
import types
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import islice, repeat
from typing import Any
from zoneinfo import ZoneInfo

from sortedcontainers import SortedDict, SortedKeyList, SortedList, SortedSet

from orderhub._snapshot import (
    _FOREIGN,
    _FOREIGN_IDS,
    Unencodable,
    _canonical,
    _lookup,
    _name_of,
    _ours,
    _slots_of,
    _state,
    _tracked,
    read_document,
)
from orderhub.errors import InvalidSnapshot

__all__ = ["decode", "encode"]

# Tags of the built-in kinds: the first item of their array.
TUPLE, LIST, DICT, SET, FROZENSET, DEFAULTDICT = -1, -2, -3, -4, -5, -6
SORTEDLIST, SORTEDKEYLIST, SORTEDSET, SORTEDDICT = -7, -8, -9, -10
ARRAY, METHOD, ATTRGETTER, ITEMGETTER = -11, -12, -13, -14
DATETIME, TIMEDELTA, TIMEZONE, ZONE = -15, -16, -17, -18
NUMBERED = -19

_SORTED_TAGS: dict[type, int] = {
    SortedList: SORTEDLIST,
    SortedKeyList: SORTEDKEYLIST,
    SortedSet: SORTEDSET,
    SortedDict: SORTEDDICT,
}
_SORTED_CLASSES: dict[int, Any] = {tag: cls for cls, tag in _SORTED_TAGS.items()}

Encode = Callable[[Any], Any]


class Writer:
    """Writes one object graph; ``externals`` maps ``id(obj)`` to the name it is written as."""

    def __init__(self, externals: Mapping[int, str]) -> None:
        self.table: dict[tuple[str, str, Any], int] = {}
        self.encode: Encode = self._build(dict(externals))

    def names(self) -> list[list[Any]]:
        """The table of names, in index order (JSON-safe)."""
        return [
            [kind, name, detail if kind == "e" else list(detail)]
            for kind, name, detail in self.table
        ]

    def _index(self, entry: tuple[str, str, Any]) -> int:
        table = self.table
        n = table.get(entry)
        if n is None:
            n = table[entry] = len(table)
        return n

    def _build(self, externals: dict[int, str]) -> Encode:
        handlers: dict[type, Encode] = {}
        firsts: dict[int, list[Any] | None] = {}  # tracked objects met: id -> what was written
        numbers: dict[int, int] = {}  # tracked objects met twice: id -> their number
        values: dict[tuple[Any, ...], str] = {}  # what a value was written as -> ``~v<n>``
        value_refs: dict[int, str] = {}  # id of a value's array -> its ``~v<n>``
        value_ids: dict[int, str] = {}  # id of a value written -> its ``~v<n>``
        written = 0  # value arrays written so far
        # Objects are known by id(): keep each one met alive while writing, so that an
        # object built on access (an effect's payload) cannot be freed and its id reused.
        alive: list[Any] = []
        keep = alive.append
        utc_times: dict[datetime, str] = {}
        members: dict[int, str] = {}
        index = self._index

        def encode(obj: Any) -> Any:
            t = type(obj)
            if t is str:
                return obj if obj[:1] != "~" else "~" + obj
            if obj is None or t is int or t is bool:
                return obj
            if t is float:
                if math.isfinite(obj) and (obj or math.copysign(1.0, obj) > 0):
                    return obj
                return "~F" + repr(obj)  # also -0.0, which dedupe would take for 0.0
            key = id(obj)
            if key in externals:
                return "~x" + externals[key]
            handler = handlers.get(t)
            if handler is None:
                handler = handlers[t] = handler_for(t, obj)
            return handler(obj)

        def again(key: int) -> str | None:
            """``~r<n>`` if the tracked object ``key`` was met before (numbering it now)."""
            if key not in firsts:
                return None
            n = numbers.get(key)
            if n is None:
                n = numbers[key] = len(numbers)
                first = firsts[key]
                if first is not None:  # written already: wrap it where it stands
                    first[:] = (NUMBERED, n, first[:])
                # else it is being written (a cycle): ``done`` wraps it
            return f"~r{n}"

        def done(key: int, out: list[Any]) -> list[Any]:
            n = numbers.get(key)
            if n is not None:
                out = [NUMBERED, n, out]
            firsts[key] = out
            return out

        def value_writer(write: Callable[[Any], list[Any]]) -> Encode:
            def handler(obj: Any) -> Any:
                # The same object again: what writing it again would give, sooner.
                ref = value_ids.get(id(obj))
                if ref is not None:
                    return ref
                keep(obj)
                out = shared(write(obj))
                if type(out) is str:
                    value_ids[id(obj)] = out
                elif id(out) in value_refs:
                    value_ids[id(obj)] = value_refs[id(out)]
                return out

            return handler

        def shared(out: list[Any]) -> Any:
            """A value's array the first time its value is met, ``~v<n>`` after that.

            By what was written, not by identity, so that equal books write equal
            snapshots however their values came to be shared. A value holding a mutable
            container (which has an identity) is written wherever it occurs. Every value
            array written counts, in the order they end, so ``n`` needs no mark in the
            array it refers to.
            """
            nonlocal written
            kinds = tuple(map(type, out))
            if list in kinds:  # holds arrays: those of values stand for their refs
                parts = []
                for item in out:
                    if type(item) is list:
                        ref = value_refs.get(id(item))
                        if ref is None:
                            written += 1
                            return out
                        item = ref
                    parts.append(item)
                key = (*parts, *map(type, parts))
            else:
                key = (*out, *kinds)  # with the types, 1, 1.0 and True are not alike
            ref = values.get(key)
            if ref is not None:
                return ref
            values[key] = value_refs[id(out)] = f"~v{written}"
            written += 1
            return out

        def items(tag: int, values: Any, out: list[Any] | None = None) -> list[Any]:
            if out is None:
                out = [tag]
            start = len(out)
            try:
                out.extend(map(encode, values))
            except Unencodable as exc:
                exc.path.insert(0, str(len(out) - start))
                raise
            return out

        def pairs(out: list[Any], mapping: Any) -> list[Any]:
            for k, v in mapping.items():
                try:
                    out.append(encode(k))
                    out.append(encode(v))
                except Unencodable as exc:
                    exc.path.insert(0, str(k))
                    raise
            return out

        def tracked(write: Callable[[Any, int], list[Any]]) -> Encode:
            def handler(obj: Any) -> Any:
                key = id(obj)
                ref = again(key)
                if ref is not None:
                    return ref
                firsts[key] = None
                keep(obj)
                return done(key, write(obj, key))

            return handler

        def write_tuple(obj: Any) -> list[Any]:
            return items(TUPLE, obj)

        def write_frozenset(obj: Any) -> list[Any]:
            return items(FROZENSET, _canonical(obj))

        def write_list(obj: Any, key: int) -> list[Any]:
            return items(LIST, obj)

        def write_set(obj: Any, key: int) -> list[Any]:
            return items(SET, _canonical(obj))

        def write_dict(obj: Any, key: int) -> list[Any]:
            # Flat keys and values, never a JSON object: a store may reorder an object's
            # keys (PostgreSQL's jsonb does), and the order of a dict is part of the hub.
            return pairs([DICT], obj)

        def write_defaultdict(obj: Any, key: int) -> list[Any]:
            return pairs([DEFAULTDICT, encode(obj.default_factory)], obj)

        def write_sorted(obj: Any, key: int) -> list[Any]:
            tag = _SORTED_TAGS[type(obj)]
            out = [tag, None if obj.key is None else encode(obj.key)]
            return pairs(out, obj) if tag == SORTEDDICT else items(tag, obj, out)

        def write_array(obj: Any, key: int) -> list[Any]:
            return items(ARRAY, obj, [ARRAY, obj.typecode])

        def write_method(obj: Any, key: int) -> list[Any]:
            return [METHOD, obj.__func__.__name__, encode(obj.__self__)]

        def write_decimal(obj: Any) -> str:
            return "~d" + str(obj)

        def write_datetime(obj: Any) -> Any:
            if obj.tzinfo is UTC and not obj.fold:  # the common case, written compactly
                text = utc_times.get(obj)
                if text is None:
                    text = utc_times[obj] = "~t" + obj.replace(tzinfo=None).isoformat()
                return text
            tz = None if obj.tzinfo is None else encode(obj.tzinfo)
            return [DATETIME, obj.replace(tzinfo=None).isoformat(), tz, obj.fold]

        def write_date(obj: date) -> str:
            return "~D" + obj.isoformat()

        def write_timedelta(obj: Any) -> list[Any]:
            return [TIMEDELTA, obj.days, obj.seconds, obj.microseconds]

        def write_timezone(obj: Any) -> list[Any]:
            if obj is UTC:
                return [TIMEZONE]
            offset = obj.utcoffset(None)
            return [TIMEZONE, offset.days, offset.seconds, offset.microseconds]

        def write_zone(obj: Any) -> list[Any]:
            return [ZONE, obj.key]

        def write_getter(obj: Any) -> list[Any]:
            _, args = obj.__reduce__()
            return items(ATTRGETTER if type(obj) is operator.attrgetter else ITEMGETTER, args)

        def write_member(obj: Any) -> str:
            text = members.get(id(obj))
            if text is None:
                name = _name_of(type(obj))
                if name is None:
                    raise Unencodable(obj)
                text = members[id(obj)] = f"~e{index(('e', name, obj.name))}"
            return text

        def write_code(obj: Any) -> str:
            foreign = _FOREIGN_IDS.get(id(obj))
            name = foreign if foreign is not None else _name_of(obj)
            if name is None:
                raise Unencodable(obj)
            return "~f" + name

        def write_state(obj: Any, kind: str, name: str) -> list[Any]:
            """Any instance of our classes: its slots that are set and its ``__dict__``."""
            state = _state(obj)
            out = [index((kind, name, tuple(k for k, _ in state)))]
            for k, v in state:
                try:
                    out.append(encode(v))
                except Unencodable as exc:
                    exc.path.insert(0, k)
                    raise
            return out

        def instance_writer(t: type, kind: str, name: str) -> Callable[[Any], list[Any]]:
            """The writer of instances of our class ``t``: one C call reads every field of
            a class with slots (and no ``__dict__``) when all are set."""
            slots = _slots_of(t)
            if not slots or t.__dictoffset__:
                return lambda obj: write_state(obj, kind, name)
            single = len(slots) == 1
            getter = operator.attrgetter(*slots)
            tag = index((kind, name, slots))

            def write(obj: Any) -> list[Any]:
                try:
                    values = getter(obj)
                except AttributeError:  # a slot is not set: the fields that are
                    return write_state(obj, kind, name)
                out = [tag]
                try:
                    if single:
                        out.append(encode(values))
                    else:
                        out.extend(map(encode, values))
                except Unencodable as exc:
                    exc.path.insert(0, slots[len(out) - 1])
                    raise
                return out

            return write

        def handler_for(t: type, obj: Any) -> Encode:
            if t is Decimal:
                return write_decimal
            if t is datetime:
                return write_datetime
            if t is date:
                return write_date
            if t is tuple:
                return value_writer(write_tuple)
            if t is list:
                return tracked(write_list)
            if t is dict:
                return tracked(write_dict)
            if t is set:
                return tracked(write_set)
            if t is frozenset:
                return value_writer(write_frozenset)
            if t is defaultdict:
                return tracked(write_defaultdict)
            if t in _SORTED_TAGS:
                return tracked(write_sorted)
            if t is array.array:
                return tracked(write_array)
            if t is timedelta:
                return write_timedelta
            if t is timezone:
                return write_timezone
            if t is ZoneInfo:
                return write_zone
            if t is operator.attrgetter or t is operator.itemgetter:
                return write_getter
            if isinstance(obj, enum.Enum):
                return write_member
            if t is types.MethodType:
                return tracked(write_method)
            if isinstance(obj, (types.FunctionType, type)):
                return write_code
            name = _name_of(t) if _ours(t.__module__) else None
            if name is None:
                return _refuse
            if _tracked(obj):
                write = instance_writer(t, "o", name)
                return tracked(lambda obj, key: write(obj))
            if _compared_by_value(t):
                return value_writer(instance_writer(t, "v", name))
            return instance_writer(t, "o", name)

        return encode


def _compared_by_value(t: type) -> bool:
    """Whether instances of our immutable class ``t`` are equal by value, so that two
    equal ones may be restored as one."""
    return any("__eq__" in vars(klass) for klass in t.__mro__ if klass is not object)


def _refuse(obj: Any) -> Any:
    raise Unencodable(obj)


def encode(root: Any, externals: Mapping[int, str]) -> dict[str, Any]:
    """The JSON-safe form of the graph under ``root``: ``{"names": [...], "data": ...}``.

    Raises :class:`~orderhub._snapshot.Unencodable` (with the path) on an object that is
    neither data nor named in ``externals``.
    """
    writer = Writer(externals)
    data = writer.encode(root)
    return {"names": writer.names(), "data": data}


class _Kinds(dict[Any, Callable[..., Any]]):
    """The readers of array tags: built-in kinds, and classes compiled on first use."""

    def __init__(self, compile_class: Callable[[Any], Callable[..., Any]]) -> None:
        super().__init__()
        self.compile_class = compile_class

    def __missing__(self, tag: Any) -> Callable[..., Any]:
        if type(tag) is not int or tag < 0:
            raise InvalidSnapshot("has an unknown tag", field="snapshot", value=tag)
        reader = self[tag] = self.compile_class(tag)
        return reader


class Reader:
    """Rebuilds a graph written by :class:`Writer`; ``externals`` supplies the named code."""

    def __init__(self, names: list[Any], externals: Mapping[str, Any]) -> None:
        self.names = names
        self.externals = externals
        self.decode: Encode = self._build()

    def _entry(self, index: Any, *kinds: str) -> tuple[str, str, Any]:
        """Entry ``index`` of the table of names, which must be of one of ``kinds``."""
        try:
            found, name, detail = self.names[index]
        except (IndexError, TypeError, ValueError):
            raise InvalidSnapshot(
                "names nothing in the table", field="names", value=index
            ) from None
        if found not in kinds or not isinstance(name, str):
            raise InvalidSnapshot("names the wrong kind of thing", field="names", value=index)
        return found, name, detail

    def _build(self) -> Encode:
        objects: dict[int, Any] = {}
        values: list[Any] = []  # every value read, in the order their arrays end
        leaves: dict[str, Any] = {}  # tagged strings read so far, and the numbered objects
        externals = self.externals
        entry = self._entry
        new_object = object.__new__
        set_field = object.__setattr__

        def decode(data: Any) -> Any:
            t = type(data)
            if t is str:
                if data[:1] != "~":
                    return data
                value = leaves.get(data)
                return value if value is not None else leaf(data)
            if t is list:
                return kinds[data[0]](data)
            if data is None or t is int or t is bool or t is float:
                return data
            raise InvalidSnapshot("is not snapshot data", field="snapshot", value=t.__name__)

        def register(n: int, obj: Any) -> None:
            if type(n) is not int or n in objects:
                raise InvalidSnapshot("numbers two objects alike", field="ref", value=n)
            objects[n] = obj
            leaves[f"~r{n}"] = obj

        def leaf(text: str) -> Any:
            kind, rest = text[1:2], text[2:]
            value: Any
            if kind == "~":
                return text[1:]
            if kind == "v":
                n = int(rest)
                if not 0 <= n < len(values) or rest != str(n):
                    raise InvalidSnapshot("refers to no value", field="ref", value=rest)
                value = leaves[text] = values[n]
                return value
            if kind == "r":
                raise InvalidSnapshot("refers to no object", field="ref", value=rest)
            if kind == "x":
                if rest not in externals:
                    raise InvalidSnapshot(
                        "is code the snapshot does not hold: pass it to restore", field=rest
                    )
                return externals[rest]
            if kind == "d":
                value = Decimal(rest)
            elif kind == "t":
                value = datetime.fromisoformat(rest).replace(tzinfo=UTC)
            elif kind == "D":
                value = date.fromisoformat(rest)
            elif kind == "e":
                _, name, member = entry(int(rest), "e")
                cls = _lookup(name, "names")
                if not isinstance(cls, type) or not issubclass(cls, enum.Enum):
                    raise InvalidSnapshot("is not an enum", field="names", value=name)
                try:
                    value = cls[member]
                except KeyError:
                    raise InvalidSnapshot("no such member", field="names", value=member) from None
            elif kind == "f":
                foreign = _FOREIGN.get(rest)
                value = foreign if foreign is not None else _lookup(rest, "names")
            elif kind == "F":
                value = float(rest)
            else:
                raise InvalidSnapshot("has an unknown tag", field="snapshot", value=text)
            leaves[text] = value
            return value

        def rest_of(node: list[Any], start: int = 1) -> Any:
            return map(decode, islice(node, start, None))

        def read_tuple(node: list[Any]) -> Any:
            out = tuple(rest_of(node))
            values.append(out)
            return out

        def read_frozenset(node: list[Any]) -> Any:
            out = frozenset(rest_of(node))
            values.append(out)
            return out

        def read_list(node: list[Any], n: int | None = None) -> Any:
            out: list[Any] = []
            if n is not None:
                register(n, out)
            out.extend(rest_of(node))
            return out

        def read_set(node: list[Any], n: int | None = None) -> Any:
            out: set[Any] = set()
            if n is not None:
                register(n, out)
            out.update(rest_of(node))
            return out

        def fill(out: Any, node: list[Any], start: int) -> Any:
            if (len(node) - start) % 2:
                raise InvalidSnapshot("must be a flat list of keys and values", field="dict")
            flat = rest_of(node, start)
            out.update(zip(flat, flat, strict=True))
            return out

        def read_dict(node: list[Any], n: int | None = None) -> Any:
            out: dict[Any, Any] = {}
            if n is not None:
                register(n, out)
            return fill(out, node, 1)

        def read_defaultdict(node: list[Any], n: int | None = None) -> Any:
            out: defaultdict[Any, Any] = defaultdict(decode(node[1]))
            if n is not None:
                register(n, out)
            return fill(out, node, 2)

        def read_sorted(node: list[Any], n: int | None = None) -> Any:
            cls = _SORTED_CLASSES[node[0]]
            key = decode(node[1])
            out = cls() if key is None else cls(key) if cls is SortedDict else cls(key=key)
            if n is not None:
                register(n, out)
            if cls is SortedDict:
                return fill(out, node, 2)
            out.update(rest_of(node, 2))
            return out

        def read_array(node: list[Any], n: int | None = None) -> Any:
            out = array.array(node[1], rest_of(node, 2))
            if n is not None:
                register(n, out)
            return out

        def read_method(node: list[Any], n: int | None = None) -> Any:
            name = node[1]
            if type(name) is not str or len(node) != 3:
                raise InvalidSnapshot("is not a method", field="snapshot", value=name)
            out = getattr(decode(node[2]), name)
            if n is not None:
                register(n, out)
            return out

        def read_getter(node: list[Any]) -> Any:
            args = list(rest_of(node))
            return (
                operator.attrgetter(*args) if node[0] == ATTRGETTER else operator.itemgetter(*args)
            )

        def read_datetime(node: list[Any]) -> Any:
            _, text, tz, fold = node
            return datetime.fromisoformat(text).replace(tzinfo=decode(tz), fold=fold)

        def read_timedelta(node: list[Any]) -> Any:
            _, d, s, us = node
            return timedelta(days=d, seconds=s, microseconds=us)

        def read_timezone(node: list[Any]) -> Any:
            if len(node) == 1:
                return UTC
            _, d, s, us = node
            return timezone(timedelta(days=d, seconds=s, microseconds=us))

        def read_zone(node: list[Any]) -> Any:
            _, key = node
            return ZoneInfo(key)

        def read_numbered(node: list[Any]) -> Any:
            _, n, inner = node
            if type(inner) is not list or not inner or not _numbered(inner[0]):
                raise InvalidSnapshot("numbers what cannot be shared", field="ref", value=n)
            return kinds[inner[0]](inner, n)

        def compile_class(tag: int) -> Callable[..., Any]:
            kind, name, fields = entry(tag, "o", "v")
            cls = _lookup(name, "names")
            if not isinstance(cls, type) or issubclass(cls, enum.Enum):
                raise InvalidSnapshot("is not a class", field="names", value=name)
            if type(fields) is not list or not all(type(f) is str for f in fields):
                raise InvalidSnapshot("has no list of fields", field="names", value=name)
            names = tuple(fields)
            size = len(names) + 1

            def read(node: list[Any], n: int | None = None) -> Any:
                if len(node) != size:
                    raise InvalidSnapshot(
                        "fields and values do not match", field="hub", value=name
                    )
                obj = new_object(cls)
                if n is not None:
                    register(n, obj)
                any(map(set_field, repeat(obj), names, rest_of(node)))
                return obj

            def read_value(node: list[Any]) -> Any:
                obj = read(node)
                values.append(obj)
                return obj

            return read_value if kind == "v" else read

        kinds = _Kinds(compile_class)
        kinds.update(
            {
                TUPLE: read_tuple,
                LIST: read_list,
                DICT: read_dict,
                SET: read_set,
                FROZENSET: read_frozenset,
                DEFAULTDICT: read_defaultdict,
                SORTEDLIST: read_sorted,
                SORTEDKEYLIST: read_sorted,
                SORTEDSET: read_sorted,
                SORTEDDICT: read_sorted,
                ARRAY: read_array,
                METHOD: read_method,
                ATTRGETTER: read_getter,
                ITEMGETTER: read_getter,
                DATETIME: read_datetime,
                TIMEDELTA: read_timedelta,
                TIMEZONE: read_timezone,
                ZONE: read_zone,
                NUMBERED: read_numbered,
            }
        )
        return decode


def _numbered(tag: Any) -> bool:
    """Whether arrays with ``tag`` may be numbered: instances and mutable containers."""
    return type(tag) is int and (tag >= 0 or tag in _SHAREABLE)


_SHAREABLE = frozenset(
    {LIST, DICT, SET, DEFAULTDICT, SORTEDLIST, SORTEDKEYLIST, SORTEDSET, SORTEDDICT, ARRAY, METHOD}
)


def decode(data: Any, externals: Mapping[str, Any]) -> Any:
    """The graph :func:`encode` wrote to ``data``, with ``externals`` put back in place."""
    return read_document(data, lambda names, body: Reader(names, externals).decode(body))
