"""JSON-safe data in and out of orderhub: one cattrs converter for every public type.

``unstructure`` turns any orderhub value, aggregate snapshot or event into plain JSON data;
``structure`` turns such data (a payload a host received, a row it stored) back into the
value, validating it on the way. The rules:

* ``Decimal`` is a string (``"1.50"``); a ``str`` or an ``int`` is accepted when structuring,
  a ``float`` never (it is not exact). ``Money`` is ``{"amount": "149.00", "currency": "USD"}``.
* datetimes are ISO 8601 strings with an offset (naive ones are refused); dates are ISO
  dates; durations are ISO 8601 durations (``PT1H30M``); enums are their values; ``consents``
  is an object keyed by the channel's value; sets are arrays, sorted.
* An attribute value (``str | int | bool | Decimal | date``) stays a JSON string, number or
  boolean when it is one; a ``Decimal`` or a ``date`` is tagged:
  ``{"type": "decimal", "value": "1.5"}``, ``{"type": "date", "value": "2026-03-02"}``.
* Events carry their class name: ``{"type": "OrderCaptured", ...}``, and
  ``structure(data, Event)`` picks the class from it.
* Unknown keys are refused. A bad payload raises one :class:`~orderhub.errors.InvalidPayload`
  whose ``problems`` name every problem with its path (``$.lines[0].quantity``); nothing else
  escapes :func:`structure` whatever the data.

Structuring runs a fast converter first; only when it fails is the payload run again through
a detailed twin that collects every problem, so valid payloads pay nothing for the reporting.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
    StructureHandlerNotFoundError,
)
from cattrs.fns import identity

from orderhub._log import LoggedCommand
from orderhub._money import Money
from orderhub._serialization_classes import _detailed_class_hook, _fast_class_hook, _fast_dict_hook
from orderhub._serialization_leaves import (
    _MISSING,
    _SEQUENCES,
    _Hook,
    _Invalid,
    _is_attribute_value,
    _is_dict,
    _is_enum,
    _is_fixed_tuple,
    _is_homogeneous_sequence,
    _is_optional,
    _is_set,
    _native,
    _noted,
    _optional_inner,
    _s_attribute_value,
    _s_bool,
    _s_date,
    _s_datetime,
    _s_decimal,
    _s_enum_factory,
    _s_float,
    _s_int,
    _s_logged_command,
    _s_money,
    _s_money_detailed,
    _s_str,
    _s_timedelta,
    _u_attribute_value,
    _u_enum,
    _u_isoformat,
    _u_money,
    _u_timedelta,
    _UHook,
)
from orderhub.errors import InvalidPayload, OrderhubError, PayloadProblem
from orderhub.events import Event

__all__ = ["converter", "from_json", "structure", "to_json", "unstructure"]

T = TypeVar("T")


# -- configuring a converter ----------------------------------------------------------------


def _configure(c: Converter, *, detailed: bool) -> None:
    """Register every orderhub hook on ``c`` (``detailed``: collect every problem)."""
    c.register_structure_hook(str, _s_str)
    c.register_structure_hook(int, _s_int)
    c.register_structure_hook(bool, _s_bool)
    c.register_structure_hook(float, _s_float)
    c.register_structure_hook(Decimal, _s_decimal)
    c.register_structure_hook(datetime, _s_datetime)
    c.register_structure_hook(date, _s_date)
    c.register_structure_hook(timedelta, _s_timedelta)
    c.register_unstructure_hook(timedelta, _u_timedelta)
    for native in (str, int, bool, float):
        c.register_unstructure_hook(native, identity)
    c.register_unstructure_hook(Decimal, str)
    c.register_unstructure_hook(datetime, _u_isoformat)
    c.register_unstructure_hook(date, _u_isoformat)
    c.register_structure_hook(Money, _s_money_detailed if detailed else _s_money)
    c.register_unstructure_hook(Money, _u_money)
    # A logged command's arguments are any orderhub values: written as a snapshot writes them.
    c.register_structure_hook(LoggedCommand, _s_logged_command)
    c.register_unstructure_hook(LoggedCommand, LoggedCommand.to_json)

    c.register_structure_hook_factory(_is_enum, _s_enum_factory)
    c.register_unstructure_hook_factory(_is_enum, lambda _: _u_enum)

    # Optional[X]
    def s_optional(t: Any) -> _Hook:
        inner = _optional_inner(t)
        h = c.get_structure_hook(inner)

        def s(v: Any, _: Any) -> Any:
            return None if v is None else h(v, inner)

        return s

    def u_optional(t: Any) -> _UHook:
        inner = _optional_inner(t)
        if _native(c, inner):
            return identity
        h = c.get_unstructure_hook(inner)

        def u(v: Any) -> Any:
            return None if v is None else h(v)

        return u

    c.register_structure_hook_factory(_is_optional, s_optional)
    c.register_unstructure_hook_factory(_is_optional, u_optional)

    # tuple[X, ...], list[X], frozenset[X]…: JSON arrays only (a string is not a sequence of
    # letters); sets are written sorted when their items sort, so that the JSON is stable.
    def s_sequence(t: Any) -> _Hook:
        et = get_args(t)[0]
        h = c.get_structure_hook(et)
        make = tuple if get_origin(t) is tuple else _SEQUENCES[get_origin(t)]

        if not detailed:

            def s(v: Any, _: Any) -> Any:
                if v.__class__ is not list and v.__class__ is not tuple:
                    raise _Invalid("must be an array")
                return make([h(e, et) for e in v])

            return s

        def s_detailed(v: Any, _: Any) -> Any:
            if not isinstance(v, (list, tuple)):
                raise _Invalid("must be an array")
            out: list[Any] = []
            errors: list[Exception] = []
            for i, e in enumerate(v):
                try:
                    out.append(h(e, et))
                except Exception as exc:
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", ()),
                        IterableValidationNote(f"item {i}", i, et),
                    ]
                    errors.append(exc)
            if errors:
                raise IterableValidationError("While structuring an array", errors, t)
            return make(out)

        return s_detailed

    def u_sequence(t: Any) -> _UHook:
        et = get_args(t)[0]
        h = c.get_unstructure_hook(et)
        if _is_set(t):

            def u_set(v: Any) -> list[Any]:
                out = [h(e) for e in v]
                with contextlib.suppress(TypeError):  # items that do not sort keep set order
                    out.sort()
                return out

            return u_set
        if _native(c, et):
            return list

        def u(v: Any) -> list[Any]:
            return [h(e) for e in v]

        return u

    c.register_structure_hook_factory(_is_homogeneous_sequence, s_sequence)
    c.register_unstructure_hook_factory(_is_homogeneous_sequence, u_sequence)

    # tuple[X, Y, Z]: a JSON array of exactly that many items
    def s_fixed_tuple(t: Any) -> _Hook:
        types_ = get_args(t)
        hooks = [(c.get_structure_hook(et), et) for et in types_]
        n = len(types_)
        wrong = f"must be an array of {n} item(s)"

        if not detailed:

            def s(v: Any, _: Any) -> Any:
                if v.__class__ is not list or len(v) != n:
                    raise _Invalid(wrong)
                return tuple([h(e, et) for (h, et), e in zip(hooks, v, strict=True)])

            return s

        def s_detailed(v: Any, _: Any) -> Any:
            if not isinstance(v, (list, tuple)) or len(v) != n:
                raise _Invalid(wrong)
            out: list[Any] = []
            errors: list[Exception] = []
            for i, ((h, et), e) in enumerate(zip(hooks, v, strict=True)):
                try:
                    out.append(h(e, et))
                except Exception as exc:
                    exc.__notes__ = [
                        *getattr(exc, "__notes__", ()),
                        IterableValidationNote(f"item {i}", i, et),
                    ]
                    errors.append(exc)
            if errors:
                raise IterableValidationError("While structuring an array", errors, t)
            return tuple(out)

        return s_detailed

    def u_fixed_tuple(t: Any) -> _UHook:
        hooks = [c.get_unstructure_hook(et) for et in get_args(t)]

        def u(v: Any) -> list[Any]:
            return [h(e) for h, e in zip(hooks, v, strict=True)]

        return u

    c.register_structure_hook_factory(_is_fixed_tuple, s_fixed_tuple)
    c.register_unstructure_hook_factory(_is_fixed_tuple, u_fixed_tuple)

    # dict[K, V]: JSON objects; enum keys by value
    def s_dict(t: Any) -> _Hook:
        kt, vt = get_args(t)
        if not detailed:
            return _fast_dict_hook(c, kt, vt)
        kh, vh = c.get_structure_hook(kt), c.get_structure_hook(vt)

        def s_detailed(v: Any, _: Any) -> Any:
            if not isinstance(v, Mapping):
                raise _Invalid("must be an object")
            out: dict[Any, Any] = {}
            errors: list[Exception] = []
            for k, x in v.items():
                try:
                    key = kh(k, kt)
                except Exception as exc:
                    errors.append(_keyed(_Invalid(f"invalid key: {_message(exc)}"), k, kt))
                    continue
                try:
                    out[key] = vh(x, vt)
                except Exception as exc:
                    errors.append(_keyed(exc, k, vt))
            if errors:
                raise IterableValidationError("While structuring an object", errors, t)
            return out

        return s_detailed

    def u_dict(t: Any) -> _UHook:
        kt, vt = get_args(t)
        if _native(c, kt) and _native(c, vt):
            return dict
        ku, vu = c.get_unstructure_hook(kt), c.get_unstructure_hook(vt)

        def u(v: Any) -> dict[Any, Any]:
            return {ku(k): vu(x) for k, x in v.items()}

        return u

    c.register_structure_hook_factory(_is_dict, s_dict)
    c.register_unstructure_hook_factory(_is_dict, u_dict)

    c.register_structure_hook_factory(_is_attribute_value, lambda _: _s_attribute_value)
    c.register_unstructure_hook_factory(_is_attribute_value, lambda _: _u_attribute_value)

    if detailed:
        c.register_structure_hook_factory(attrs.has, lambda t: _detailed_class_hook(c, t))
    else:
        c.register_structure_hook_factory(attrs.has, lambda t: _fast_class_hook(c, t))

    # Events: tagged with their class name; Event itself dispatches on the tag.
    c.register_structure_hook_factory(_is_event, lambda t: _s_event_factory(c, t, detailed))
    c.register_unstructure_hook_factory(_is_event, lambda t: _u_event_factory(c, t))


def _keyed(exc: Exception, key: Any, t: Any) -> Exception:
    exc.__notes__ = [
        *getattr(exc, "__notes__", ()),
        IterableValidationNote(f"key {key!r}", key, t),
    ]
    return exc


# -- events ---------------------------------------------------------------------------------


def _is_event(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, Event)


def _event_classes() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    todo: list[type[Event]] = [Event]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return found


_EVENTS: dict[str, type[Event]] = {}


def _event_class(tag: Any) -> type[Event] | None:
    if not isinstance(tag, str):
        return None
    cls = _EVENTS.get(tag)
    if cls is None:
        _EVENTS.update(_event_classes())  # an event class defined since the last look
        cls = _EVENTS.get(tag)
    return cls


def _s_event_factory(c: Converter, t: type[Event], detailed: bool) -> _Hook:
    make = _detailed_class_hook if detailed else _fast_class_hook
    own = make(c, t, tag=t.__name__)
    if t is not Event:
        return own
    return _s_event_union_detailed(c, own) if detailed else _s_event_union(c, own)


def _s_event_union(c: Converter, base: _Hook) -> _Hook:
    """``Event``: the hook of the class ``data["type"]`` names (``base`` for ``"Event"``)."""
    hooks: dict[str, _Hook] = {"Event": base}

    def s(v: Any, _: Any) -> Any:
        tag = v["type"]
        hook = hooks.get(tag) if tag.__class__ is str else None
        if hook is None:
            cls = _event_class(tag)
            if cls is None:
                raise _Invalid("unknown event type")
            hook = hooks[tag] = c.get_structure_hook(cls)
        return hook(v, None)

    return s


def _s_event_union_detailed(c: Converter, base: _Hook) -> _Hook:
    def s(v: Any, _: Any) -> Any:
        if not isinstance(v, Mapping):
            raise _Invalid("must be an object")
        tag = v.get("type", _MISSING)
        if tag is _MISSING:
            raise ClassValidationError(
                "While structuring Event", [_noted(KeyError("type"), "type", str)], Event
            )
        cls = _event_class(tag)
        if cls is None:
            known = ", ".join(sorted(name for name in _EVENTS if name != "Event"))
            problem = _Invalid(f"unknown event type; must be one of {known}")
            raise ClassValidationError(
                "While structuring Event", [_noted(problem, "type", str)], Event
            )
        return base(v, Event) if cls is Event else c.get_structure_hook(cls)(v, cls)

    return s


def _u_event_factory(c: Converter, t: type[Event]) -> _UHook:
    from cattrs.gen import make_dict_unstructure_fn

    if t is Event:
        own = make_dict_unstructure_fn(Event, c)

        def u_any(e: Event) -> Any:
            if e.__class__ is Event:
                return {"type": "Event", **own(e)}
            return c.get_unstructure_hook(e.__class__)(e)

        return u_any
    attrs.resolve_types(t)
    gen = make_dict_unstructure_fn(t, c)
    tag = t.__name__

    def u(e: Any) -> dict[str, Any]:
        return {"type": tag, **gen(e)}

    return u


# -- problems -------------------------------------------------------------------------------


def _step(path: str, key: Any) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}[{key!r}]"


def _message(exc: BaseException) -> str:
    if isinstance(exc, OrderhubError):
        return exc.reason
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, _Invalid):
        return str(exc)
    return f"invalid value ({type(exc).__name__})"


def _field_path(path: str, field: str | None, names: Any) -> str:
    """``path`` extended by a domain error's ``field`` when it names one of ``names``."""
    if not field or field == "$":
        return path
    head = field.split(".", 1)[0].split("[", 1)[0]
    if head in names:
        return f"{path}.{field}"
    return path


def _walk(
    exc: BaseException, path: str, out: list[PayloadProblem], names: Any = frozenset()
) -> None:
    """Append every problem in ``exc`` (found at ``path``) to ``out``.

    The walk of :func:`cattrs.transform_error`, yielding ``(path, message)`` pairs: a class
    adds ``.field``, an array ``[index]``, an object ``.key``; a domain error raised when a
    class was built is placed at the field it names.
    """
    if isinstance(exc, ClassValidationError):
        noted, unnoted = exc.group_exceptions()
        fields = {a.alias for a in attrs.fields(exc.cl)} if attrs.has(exc.cl) else set()
        for sub, note in noted:
            if isinstance(sub, OrderhubError):
                field = sub.field or ""
                head = field.split(".", 1)[0].split("[", 1)[0]
                if head == note.name and field != note.name:
                    out.append(PayloadProblem(f"{path}.{field}", sub.reason))
                    continue
            _walk(sub, _step(path, note.name), out)
        for sub in unnoted:
            _walk(sub, path, out, fields)
    elif isinstance(exc, IterableValidationError):
        indexed, unindexed = exc.group_exceptions()
        for sub, inote in indexed:
            _walk(sub, _step(path, inote.index), out)
        for sub in unindexed:
            _walk(sub, path, out)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields, key=repr):
            out.append(PayloadProblem(_step(path, key), "unknown field"))
    elif isinstance(exc, OrderhubError):
        out.append(PayloadProblem(_field_path(path, exc.field, names), exc.reason))
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            _walk(member, path, out, names)
    else:
        out.append(PayloadProblem(path, _message(exc)))


# -- the converters -------------------------------------------------------------------------

converter: Final = Converter(forbid_extra_keys=True, detailed_validation=False, use_alias=True)
"""The configured converter (fast: it raises on the first problem, with no paths).

Use :func:`structure` for untrusted data: it reports every problem with its path.
"""
_configure(converter, detailed=False)

_detailed: Final = Converter(forbid_extra_keys=True, detailed_validation=True, use_alias=True)
_configure(_detailed, detailed=True)

_STRUCTURE_HOOKS: dict[Any, _Hook] = {}
_UNSTRUCTURE_HOOKS: dict[type, _UHook] = {}


def _type_name(cls: Any) -> str:
    if get_origin(cls) is None and isinstance(getattr(cls, "__name__", None), str):
        return str(cls.__name__)
    return re.sub(r"(?:\w+\.)+(\w+)", r"\1", repr(cls))  # list[orderhub.x.Y] -> list[Y]


def _problems(data: Any, cls: Any) -> tuple[Any, list[PayloadProblem]]:
    try:
        return _detailed.structure(data, cls), []
    except StructureHandlerNotFoundError:
        raise
    except Exception as exc:
        out: list[PayloadProblem] = []
        _walk(exc, "$", out)
        return None, out or [PayloadProblem("$", "invalid payload")]


def structure(data: Any, cls: type[T]) -> T:
    """``data`` (JSON-safe, as :func:`unstructure` or a JSON parser gives it) as a ``cls``.

    ``cls`` is any orderhub type, or a container of them (``list[OrderRequest]``);
    ``structure(data, Event)`` picks the event class from ``data["type"]``.

    Raises:
        InvalidPayload: the data is not a valid ``cls``; its ``problems`` list every
            problem with its path (``$.lines[0].quantity``). No other error escapes.
    """
    try:
        hook = _STRUCTURE_HOOKS[cls]
    except KeyError:
        hook = _STRUCTURE_HOOKS.setdefault(cls, converter.get_structure_hook(cls))
    try:
        return hook(data, cls)  # type: ignore[no-any-return]
    except StructureHandlerNotFoundError:
        raise
    except Exception:  # the detailed twin below says what was wrong
        pass
    value, problems = _problems(data, cls)
    if problems:
        raise InvalidPayload(_type_name(cls), problems) from None
    return value  # type: ignore[no-any-return]


def unstructure(obj: Any) -> Any:
    """``obj`` (any orderhub value, snapshot or event) as JSON-safe data.

    Dicts, lists, strings, integers, booleans, finite floats and ``None`` only: ready for
    :func:`json.dumps` or a JSON column. Events carry ``"type": "<ClassName>"``.
    """
    cls = obj.__class__
    try:
        hook = _UNSTRUCTURE_HOOKS[cls]
    except KeyError:
        hook = _UNSTRUCTURE_HOOKS.setdefault(cls, converter.get_unstructure_hook(cls))
    return hook(obj)


def to_json(obj: Any) -> str:
    """``obj`` as compact JSON text (UTF-8 characters kept as they are)."""
    return json.dumps(unstructure(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def from_json(text: str | bytes, cls: type[T]) -> T:
    """The ``cls`` that JSON ``text`` describes (see :func:`structure`).

    Raises:
        InvalidPayload: ``text`` is not JSON, or not a valid ``cls``.
    """
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, TypeError, RecursionError) as e:
        reason = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
        raise InvalidPayload(
            _type_name(cls), [PayloadProblem("$", f"not JSON: {reason}")]
        ) from None
    return structure(data, cls)
