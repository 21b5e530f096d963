"""JSON-safe snapshots of a hub's object graph, and the way back.

The encoder walks the hub as it is — its books, their indexes, the outbox — and writes
each object as plain JSON: instances of orderhub's own classes by class name and state,
containers, decimals, dates and enums with a ``"$"`` tag, an object reachable twice (or in
a cycle) once with an ``"$id"`` and then as ``{"$ref": n}``. Restoring builds the same graph,
so the restored hub answers every query, and carries on, as the original would.

Only orderhub's own classes and functions are written by name, and only those are looked
up when restoring: a snapshot names no other code, so restoring one imports nothing else.
What is code rather than data — the host's clock and id factories, a routing strategy or
segment test the host wrote — is written as ``{"$ext": name}`` and handed back to
:meth:`OrderHub.restore <orderhub.OrderHub.restore>`.
"""

from __future__ import annotations

import array
import enum
import importlib
import math
import operator
import types
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sortedcontainers import SortedDict, SortedKeyList, SortedList, SortedSet

from orderhub.errors import InvalidSnapshot

__all__ = ["SCHEMA", "SCHEMA_VERSION", "decode", "encode"]

SCHEMA = "orderhub.hub-snapshot"
SCHEMA_VERSION = 2  # written by orderhub._snapshot_codec; this module reads version 1

_ATOMS = (str, int, bool, type(None))
# The classes and functions of others a snapshot may name: container factories.
_FOREIGN: dict[str, Any] = {
    f"{f.__module__.split('.')[0]}:{f.__name__}": f
    for f in (
        list,
        dict,
        set,
        int,
        tuple,
        frozenset,
        str,
        Decimal,
        SortedList,
        SortedKeyList,
        SortedDict,
        SortedSet,
    )
}
_FOREIGN_IDS = {id(f): name for name, f in _FOREIGN.items()}


def _ours(module: str) -> bool:
    return module == "orderhub" or module.startswith("orderhub.")


_NAMES: dict[int, tuple[Any, str | None]] = {}


def _name_of(obj: Any) -> str | None:
    """``module:qualname`` if ``obj`` (a class or function) can be found again by it."""
    known = _NAMES.get(id(obj))
    if known is not None and known[0] is obj:
        return known[1]
    name = _find_name(obj)
    _NAMES[id(obj)] = (obj, name)  # holds obj: the id is never reused for another
    return name


def _find_name(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or not _ours(module):
        return None
    if "<" in qualname:  # lambdas and functions defined inside functions
        return None
    try:
        found = _lookup(f"{module}:{qualname}")
    except InvalidSnapshot:
        return None
    return f"{module}:{qualname}" if found is obj else None


def _lookup(name: str, field: str = "$o") -> Any:
    module, sep, qualname = name.partition(":")
    if not sep or not _ours(module):
        raise InvalidSnapshot("names no orderhub class or function", field=field, value=name)
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise InvalidSnapshot("no such class or function", field=field, value=name) from None
    return obj


class Unencodable(Exception):
    """Raised inside the encoder; carries the path to the object it could not write."""

    def __init__(self, obj: object) -> None:
        super().__init__(type(obj).__qualname__)
        self.obj = obj
        self.path: list[str] = []


def _set_slots(obj: Any, slots: tuple[str, ...]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for slot in slots:
        value = getattr(obj, slot, _MISSING)
        if value is not _MISSING:
            out.append((slot, value))
    return out


_SLOTS: dict[type, tuple[str, ...]] = {}
_MISSING: Any = object()


def _slots_of(t: type) -> tuple[str, ...]:
    slots = _SLOTS.get(t)
    if slots is None:
        names: list[str] = []
        for klass in t.__mro__:
            declared = klass.__dict__.get("__slots__", ())
            for slot in (declared,) if isinstance(declared, str) else declared:
                if not slot.startswith("__") and slot not in names:
                    names.append(slot)
        slots = _SLOTS[t] = tuple(sorted(names))
    return slots


_GETTERS: dict[type, Any] = {}
_REBUILT: dict[type, frozenset[str]] = {}


def _rebuilt_of(t: type) -> frozenset[str]:
    """The attributes instances of ``t`` derive from the rest and rebuild on restore (its
    ``_rebuilt_on_restore``): a snapshot does not hold them."""
    names = _REBUILT.get(t)
    if names is None:
        names = _REBUILT[t] = frozenset(getattr(t, "_rebuilt_on_restore", ()))
    return names


def _state(obj: Any) -> list[tuple[str, Any]]:
    """The instance attributes of ``obj``: its ``__dict__`` and every slot that is set,
    less those its class rebuilds on restore."""
    slots = _slots_of(type(obj))
    out: list[tuple[str, Any]]
    if len(slots) > 1:
        getter = _GETTERS.get(type(obj))
        if getter is None:
            getter = _GETTERS[type(obj)] = operator.attrgetter(*slots)
        try:
            out = list(zip(slots, getter(obj), strict=True))  # every slot set: one C call
        except AttributeError:
            out = _set_slots(obj, slots)
    else:
        out = _set_slots(obj, slots)
    d = getattr(obj, "__dict__", None)
    if d:
        # By name: the order attributes were set in is not part of the object, and the
        # snapshot (its numbering of shared objects) must not depend on it.
        rebuilt = _rebuilt_of(type(obj))
        if rebuilt:
            out.extend(sorted(item for item in d.items() if item[0] not in rebuilt))
        else:
            out.extend(sorted(d.items()))
    return out


_MUTABLE_CONTAINERS = frozenset(
    {list, dict, set, defaultdict, SortedList, SortedKeyList, SortedDict, SortedSet, array.array}
)
_VALUE_CLASSES: dict[type, bool] = {}


def _is_value(t: type) -> bool:
    """Whether instances of our class ``t`` are immutable values (frozen attrs classes and
    classes that forbid setting attributes): their identity is not part of the hub."""
    known = _VALUE_CLASSES.get(t)
    if known is None:
        known = _VALUE_CLASSES[t] = any(
            "__setattr__" in vars(klass) for klass in t.__mro__ if klass is not object
        )
    return known


_TRACKED: dict[type, bool] = {}
_INSTANCES: dict[type, str] = {}  # our classes met so far (not enums), by their names


def _tracked(obj: Any) -> bool:
    """Whether identity matters: mutable containers and mutable instances of our classes.

    Immutable values are written by value wherever they occur, so that two hubs with the
    same books write the same snapshot however their values came to be shared.
    """
    t = type(obj)
    known = _TRACKED.get(t)
    if known is None:
        known = _TRACKED[t] = t in _MUTABLE_CONTAINERS or (
            _ours(t.__module__) and not issubclass(t, enum.Enum) and not _is_value(t)
        )
    return known


def _children(obj: Any) -> list[Any]:
    t = type(obj)
    if t is dict or t is defaultdict or t is SortedDict:
        return [*obj.keys(), *obj.values()]
    if t in (list, tuple, set, frozenset, SortedList, SortedKeyList, SortedSet):
        return list(obj)
    if isinstance(obj, types.MethodType):
        return [obj.__self__]
    if _ours(t.__module__) and not isinstance(obj, enum.Enum):
        return [v for _, v in _state(obj)]
    return []


class Encoder:
    """Writes one object graph; ``externals`` maps ``id(obj)`` to the name it is written as."""

    def __init__(self, externals: Mapping[int, str]) -> None:
        self.externals = dict(externals)
        self.shared: set[int] = set()
        self.numbered: dict[int, int] = {}
        self.table: dict[tuple[str, str, Any], int] = {}

    def count(self, root: Any) -> None:
        """First pass: find the objects reachable more than once (they get an ``$id``)."""
        seen: set[int] = set()
        shared = self.shared
        externals = self.externals
        stack = [root]
        while stack:
            obj = stack.pop()
            if isinstance(obj, _ATOMS) or id(obj) in externals:
                continue
            if _tracked(obj) or isinstance(obj, types.MethodType):
                key = id(obj)
                if key in seen:
                    shared.add(key)
                    continue
                seen.add(key)
            stack.extend(_children(obj))

    def encode(self, obj: Any) -> Any:
        t = type(obj)
        if t is str or t is int or t is bool or obj is None:
            return obj
        key = id(obj)
        if key in self.externals:
            return {"$ext": self.externals[key]}
        if key in self.numbered:
            return {"$ref": self.numbered[key]}
        name = _INSTANCES.get(t)
        if name is not None:  # the common case: an object of one of our classes
            return self._instance(key, name, obj)
        if t is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if t is Decimal:
            return {"$dec": str(obj)}
        if t is datetime:
            if obj.tzinfo is UTC and not obj.fold:  # the common case, written compactly
                return {"$dt": obj.replace(tzinfo=None).isoformat() + "Z"}
            out: dict[str, Any] = {"$dt": obj.replace(tzinfo=None).isoformat()}
            if obj.tzinfo is not None:
                out["tz"] = self.encode(obj.tzinfo)
            if obj.fold:
                out["fold"] = 1
            return out
        if t is date:
            return {"$date": obj.isoformat()}
        if t is timedelta:
            return {"$td": [obj.days, obj.seconds, obj.microseconds]}
        if t is timezone:
            if obj is UTC:
                return {"$tz": "UTC"}
            offset = obj.utcoffset(None)
            return {"$tz": [offset.days, offset.seconds, offset.microseconds]}
        if t is ZoneInfo:
            return {"$zone": obj.key}
        if isinstance(obj, enum.Enum):
            name = _name_of(t)
            if name is None:
                raise Unencodable(obj)
            return {"$e": self._name(("e", name, obj.name))}
        if t is tuple:
            return {"$t": self._items(obj)}
        if t is frozenset:
            return {"$fs": self._items(_canonical(obj))}
        if t is set:
            out = self._numbered(key, {})
            out["$set"] = self._items(_canonical(obj))
            return out
        if t is list:
            if key not in self.shared:
                return self._items(obj)
            out = self._numbered(key, {})
            out["$l"] = self._items(obj)
            return out
        if t is dict:
            # As pairs, never as a JSON object: a store may reorder an object's keys
            # (PostgreSQL's jsonb does), and the order of a dict is part of the hub.
            out = self._numbered(key, {})
            out["$m"] = self._pairs(obj)
            return out
        if t is defaultdict:
            out = self._numbered(key, {"$dd": self.encode(obj.default_factory)})
            out["$m"] = self._pairs(obj)
            return out
        if t is SortedList or t is SortedKeyList or t is SortedSet or t is SortedDict:
            return self._sorted(key, obj)
        if t is array.array:
            out = self._numbered(key, {"$array": obj.typecode})
            out["v"] = [self.encode(v) for v in obj]
            return out
        if t is operator.attrgetter or t is operator.itemgetter:
            _, args = obj.__reduce__()
            tag = "$attrgetter" if t is operator.attrgetter else "$itemgetter"
            return {tag: self._items(args)}
        if isinstance(obj, types.MethodType):
            out = self._numbered(key, {"$method": obj.__func__.__name__})
            out["self"] = self._at("__self__", obj.__self__)
            return out
        if key in _FOREIGN_IDS:
            return {"$fn": _FOREIGN_IDS[key]}
        if isinstance(obj, (types.FunctionType, type)):
            name = _name_of(obj)
            if name is None:
                raise Unencodable(obj)
            return {"$fn": name}
        if not _ours(t.__module__):
            raise Unencodable(obj)
        name = _name_of(t)
        if name is None:
            raise Unencodable(obj)
        _INSTANCES[t] = name
        return self._instance(key, name, obj)

    def _instance(self, key: int, name: str, obj: Any) -> dict[str, Any]:
        state = _state(obj)
        fields = tuple(k for k, _ in state)
        out = self._numbered(key, {"$o": self._name(("o", name, fields))})
        out["v"] = [self._at(k, v) for k, v in state]
        return out

    def _name(self, entry: tuple[str, str, Any]) -> int:
        """The index of a class (with the fields its instances are written with) or of an
        enum member in the snapshot's table of names: each is named once."""
        n = self.table.get(entry)
        if n is None:
            n = self.table[entry] = len(self.table)
        return n

    def names(self) -> list[list[Any]]:
        """The table of names, in index order (JSON-safe)."""
        return [
            [kind, name, list(detail) if kind == "o" else detail]
            for kind, name, detail in self.table
        ]

    def _numbered(self, key: int, out: dict[str, Any]) -> dict[str, Any]:
        """Number a shared object before writing what it holds, so cycles end in a $ref."""
        if key in self.shared:
            self.numbered[key] = n = len(self.numbered)
            out["$id"] = n
        return out

    def _at(self, where: Any, value: Any) -> Any:
        try:
            return self.encode(value)
        except Unencodable as exc:
            exc.path.insert(0, str(where))
            raise

    def _items(self, items: Any) -> list[Any]:
        return [self._at(i, v) for i, v in enumerate(items)]

    def _pairs(self, mapping: Any) -> list[Any]:
        """A mapping's keys and values, flat: ``[k1, v1, k2, v2, …]``."""
        out: list[Any] = []
        for k, v in mapping.items():
            out.append(self._at(k, k))
            out.append(self._at(k, v))
        return out

    def _sorted(self, key: int, obj: Any) -> dict[str, Any]:
        t = type(obj)
        tag = {
            SortedList: "$sortedlist",
            SortedKeyList: "$sortedkeylist",
            SortedSet: "$sortedset",
            SortedDict: "$sorteddict",
        }[t]
        out = self._numbered(key, {tag: None})  # the tag first: it marks the dict as ours
        if obj.key is not None:
            out["key"] = self._at("key", obj.key)
        out[tag] = self._pairs(obj) if t is SortedDict else self._items(obj)
        return out


def _canonical(items: Any) -> list[Any]:
    """The elements of a set in a stable order, so equal sets write equal JSON."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def encode(root: Any, externals: Mapping[int, str]) -> dict[str, Any]:
    """The JSON-safe form of the graph under ``root``: ``{"names": [...], "data": ...}``.

    Raises :class:`Unencodable` (with the path) on an object that is neither data nor named
    in ``externals``.
    """
    encoder = Encoder(externals)
    encoder.count(root)
    data = encoder.encode(root)
    return {"names": encoder.names(), "data": data}


class Decoder:
    """Rebuilds a graph written by :class:`Encoder`; ``externals`` supplies the named code."""

    def __init__(self, externals: Mapping[str, Any]) -> None:
        self.externals = externals
        self.objects: dict[int, Any] = {}
        self.definitions: dict[int, Any] = {}
        self.names: list[Any] = []
        self.classes: dict[str, Any] = {}

    def decode(self, data: Any) -> Any:
        t = type(data)
        if t is str or t is int or t is bool or data is None or t is float:
            return data
        if t is list:
            return [self.decode(v) for v in data]
        if t is not dict:
            raise InvalidSnapshot("is not JSON data", field="snapshot", value=type(data).__name__)
        if "$ref" in data:
            return self._ref(data["$ref"])
        if "$id" in data and data["$id"] in self.objects:
            return self.objects[data["$id"]]  # built already, reached first by a $ref
        if "$o" in data:
            return self._instance(data)
        if "$e" in data:
            _, name, member = self._entry(data["$e"], "e")
            try:
                return self._class(name)[member]
            except KeyError:
                raise InvalidSnapshot("no such member", field="$e", value=member) from None
        if not any(k[:1] == "$" for k in data):
            return {k: self.decode(v) for k, v in data.items()}
        if "$ext" in data:
            name = data["$ext"]
            if name not in self.externals:
                raise InvalidSnapshot(
                    "is code the snapshot does not hold: pass it to restore", field=str(name)
                )
            return self.externals[name]
        if "$dec" in data:
            return Decimal(data["$dec"])
        if "$dt" in data:
            text = data["$dt"]
            if text.endswith("Z"):
                return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
            tz = self.decode(data["tz"]) if "tz" in data else None
            return datetime.fromisoformat(text).replace(tzinfo=tz, fold=data.get("fold", 0))
        if "$date" in data:
            return date.fromisoformat(data["$date"])
        if "$td" in data:
            d, s, us = data["$td"]
            return timedelta(days=d, seconds=s, microseconds=us)
        if "$tz" in data:
            if data["$tz"] == "UTC":
                return UTC
            d, s, us = data["$tz"]
            return timezone(timedelta(days=d, seconds=s, microseconds=us))
        if "$zone" in data:
            return ZoneInfo(data["$zone"])
        if "$t" in data:
            return tuple(self.decode(v) for v in data["$t"])
        if "$fs" in data:
            return self._register(data, frozenset(self.decode(v) for v in data["$fs"]))
        if "$set" in data:
            return self._register(data, {self.decode(v) for v in data["$set"]})
        if "$l" in data:
            out: list[Any] = self._register(data, [])
            out.extend(self.decode(v) for v in data["$l"])
            return out
        if "$dd" in data:
            dd: defaultdict[Any, Any] = self._register(data, defaultdict(self.decode(data["$dd"])))
            dd.update(self._pairs(data["$m"]))
            return dd
        if "$m" in data:
            m: dict[Any, Any] = self._register(data, {})
            m.update(self._pairs(data["$m"]))
            return m
        if "$fn" in data:
            foreign = _FOREIGN.get(str(data["$fn"]))
            return foreign if foreign is not None else _lookup(data["$fn"])
        if "$method" in data:
            holder = self.decode(data["self"])
            return self._register(data, getattr(holder, data["$method"]))
        if "$attrgetter" in data:
            return operator.attrgetter(*data["$attrgetter"])
        if "$itemgetter" in data:
            return operator.itemgetter(*(self.decode(v) for v in data["$itemgetter"]))
        if "$array" in data:
            values = [self.decode(v) for v in data["v"]]
            return self._register(data, array.array(data["$array"], values))
        if "$float" in data:
            return float(data["$float"])
        for tag, cls in _SORTED.items():
            if tag in data:
                key = self.decode(data["key"]) if "key" in data else None
                if cls is SortedDict:
                    pairs = self._pairs(data[tag])
                    made = SortedDict(key, pairs) if key is not None else SortedDict(pairs)
                    return self._register(data, made)
                items = [self.decode(v) for v in data[tag]]
                made = cls(items, key=key) if key is not None else cls(items)
                return self._register(data, made)
        raise InvalidSnapshot("has an unknown tag", field="snapshot", value=next(iter(data)))

    def index(self, data: Any) -> None:
        """First pass: find every numbered object, so that a ``$ref`` met before its
        object (a store may have reordered keys) can build it on the spot."""
        stack = [data]
        definitions = self.definitions
        while stack:
            node = stack.pop()
            if type(node) is dict:
                if "$id" in node:
                    definitions[node["$id"]] = node
                stack.extend(node.values())
            elif type(node) is list:
                stack.extend(node)

    def _ref(self, n: Any) -> Any:
        try:
            return self.objects[n]
        except (KeyError, TypeError):
            pass
        try:
            definition = self.definitions[n]
        except (KeyError, TypeError):
            raise InvalidSnapshot("refers to no object", field="$ref", value=n) from None
        return self.decode(definition)

    def _register(self, data: Mapping[str, Any], obj: Any) -> Any:
        if "$id" in data:
            self.objects[data["$id"]] = obj
        return obj

    def _pairs(self, flat: Any) -> list[tuple[Any, Any]]:
        if type(flat) is not list or len(flat) % 2:
            raise InvalidSnapshot("must be a flat list of keys and values", field="$m")
        decode = self.decode
        return [(decode(flat[i]), decode(flat[i + 1])) for i in range(0, len(flat), 2)]

    def _entry(self, index: Any, kind: str) -> tuple[str, str, Any]:
        """Entry ``index`` of the table of names, which must be of ``kind``."""
        try:
            entry = self.names[index]
            found, name, detail = entry
        except (IndexError, TypeError, ValueError):
            raise InvalidSnapshot(
                "names nothing in the table", field="$" + kind, value=index
            ) from None
        if found != kind or not isinstance(name, str):
            raise InvalidSnapshot("names the wrong kind of thing", field="$" + kind, value=index)
        return found, name, detail

    def _class(self, name: str) -> Any:
        cls = self.classes.get(name)
        if cls is None:
            cls = self.classes[name] = _lookup(name)
        return cls

    def _instance(self, data: Mapping[str, Any]) -> Any:
        _, name, fields = self._entry(data["$o"], "o")
        cls: Any = self._class(name)
        if not isinstance(cls, type) or issubclass(cls, enum.Enum):
            raise InvalidSnapshot("is not a class", field="$o", value=name)
        values = data["v"]
        if type(fields) is not list or type(values) is not list or len(fields) != len(values):
            raise InvalidSnapshot("fields and values do not match", field="$o", value=name)
        obj = cls.__new__(cls)
        self._register(data, obj)
        setter: Callable[[Any, str, Any], None] = object.__setattr__
        for field, value in zip(fields, values, strict=True):
            setter(obj, str(field), self.decode(value))
        return obj


_SORTED: dict[str, Any] = {
    "$sortedlist": SortedList,
    "$sortedkeylist": SortedKeyList,
    "$sortedset": SortedSet,
    "$sorteddict": SortedDict,
}


def decode(data: Any, externals: Mapping[str, Any]) -> Any:
    """The graph :func:`encode` wrote to ``data``, with ``externals`` put back in place."""

    def read(names: list[Any], body: Any) -> Any:
        decoder = Decoder(externals)
        decoder.names = names
        decoder.index(body)
        return decoder.decode(body)

    return read_document(data, read)


def read_document(data: Any, read: Callable[[list[Any], Any], Any]) -> Any:
    """``read(names, body)`` of a document written by orderhub ({'names': [...], 'data':
    ...}), what it raises on malformed data turned into :class:`InvalidSnapshot` (both
    snapshot formats read through here)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("names"), list):
        raise InvalidSnapshot(
            "must be written by orderhub ({'names': [...], 'data': ...})",
            field="snapshot",
            value=type(data).__name__,
        )
    try:
        return read(data["names"], data.get("data"))
    except InvalidSnapshot:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as exc:
        raise InvalidSnapshot(
            f"is not a snapshot this version can read ({type(exc).__name__}: {exc})",
            field="snapshot",
        ) from None
