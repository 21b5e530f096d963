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
import enum
import json
import re
import types
import typing
from collections import abc
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
    StructureHandlerNotFoundError,
)
from cattrs.fns import identity

from orderhub._identity import _NORMALISERS, AttributeValue, CustomerIdentity
from orderhub._log import LoggedCommand
from orderhub._money import Money, minor_units, to_decimal
from orderhub._requests import _CONTEXT_TEXT, CaptureContext, LineRequest, OrderRequest
from orderhub._values import _OPTIONAL_ADDRESS_TEXT, Address, GeoPoint
from orderhub.errors import (
    FieldErrors,
    InvalidPayload,
    InvalidSnapshot,
    OrderhubError,
    PayloadProblem,
)
from orderhub.events import Event

__all__ = ["converter", "from_json", "structure", "to_json", "unstructure"]

T = TypeVar("T")

_Hook = Callable[[Any, Any], Any]
_UHook = Callable[[Any], Any]

_NoneType: Final = type(None)
_MISSING: Final = object()
_JSON_NATIVE: Final = frozenset({str, int, bool, float, _NoneType})


class _Invalid(ValueError):
    """A problem with the value at the current path; the message says what is wrong."""


# -- leaves: shared by both converters --------------------------------------------------


def _s_str(v: Any, _: Any) -> str:
    if isinstance(v, str):
        return v
    raise _Invalid("must be a string")


def _s_int(v: Any, _: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    raise _Invalid("must be an integer")


def _s_bool(v: Any, _: Any) -> bool:
    if v is True or v is False:
        return bool(v)
    raise _Invalid("must be true or false")


def _s_float(v: Any, _: Any) -> float:
    if v.__class__ is float:
        f = float(v)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            f = float(v)
        except OverflowError:
            raise _Invalid("number out of range") from None
    else:
        raise _Invalid("must be a number")
    if f - f != 0.0:  # inf or nan
        raise _Invalid("must be a finite number")
    return f


def _s_decimal(v: Any, _: Any) -> Decimal:
    # The grammar and the refusals (floats, NaN, infinities) are Money's, for every decimal.
    try:
        return to_decimal(v, "value")
    except OrderhubError as e:
        raise _Invalid(e.reason) from None


def _s_datetime(v: Any, _: Any) -> datetime:
    cls = v.__class__
    if cls is str:
        try:
            d = datetime.fromisoformat(v)
        except ValueError:
            raise _Invalid("not an ISO 8601 datetime") from None
    elif cls is datetime:
        d = v
    else:
        raise _Invalid("must be an ISO 8601 datetime string")
    if d.tzinfo is None or d.utcoffset() is None:
        raise _Invalid("must be timezone-aware (give an offset such as +00:00)")
    return d


def _s_date(v: Any, _: Any) -> date:
    cls = v.__class__
    if cls is str:
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise _Invalid("not an ISO 8601 date") from None
    if cls is date:
        return v  # type: ignore[no-any-return]
    raise _Invalid("must be an ISO 8601 date string")


def _u_isoformat(v: date) -> str:
    return v.isoformat()


_DURATION: Final = re.compile(
    r"(-)?P(?:(\d{1,9})D)?(?:T(?:(\d{1,11})H)?(?:(\d{1,13})M)?(?:(\d{1,15})(?:\.(\d{1,6}))?S)?)?"
)


def _s_timedelta(v: Any, _: Any) -> timedelta:
    m = _DURATION.fullmatch(v) if v.__class__ is str else None
    if m is None or v.endswith(("P", "T")):
        raise _Invalid("must be an ISO 8601 duration such as PT30S or P1DT2H")
    sign, days, hours, minutes, seconds, fraction = m.groups()
    try:
        d = timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds or 0),
            microseconds=int((fraction or "").ljust(6, "0")),
        )
    except OverflowError:
        raise _Invalid("duration out of range") from None
    return -d if sign else d


def _u_timedelta(v: timedelta) -> str:
    """``v`` as an ISO 8601 duration in days, hours, minutes and seconds (``PT1H30M``)."""
    sign = "-" if v < timedelta(0) else ""
    v = abs(v)
    hours, rest = divmod(v.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}P{v.days}D" if v.days else f"{sign}P"
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or v.microseconds:
        time += f"{seconds}.{v.microseconds:06d}S" if v.microseconds else f"{seconds}S"
    if time:
        text += "T" + time
    return text if text not in ("P", "-P") else "PT0S"


def _s_logged_command(v: Any, _: Any) -> LoggedCommand:
    try:
        return LoggedCommand.from_json(v)
    except InvalidSnapshot as exc:
        raise _Invalid(str(exc)) from None


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, enum.Enum)


def _s_enum_factory(t: type[enum.Enum]) -> _Hook:
    members: dict[Any, enum.Enum] = {m.value: m for m in t}
    expected = "must be one of " + ", ".join(repr(v) for v in members)

    def s(v: Any, _: Any) -> enum.Enum:
        try:
            if v.__class__ is not bool:
                return members[v]
        except (KeyError, TypeError):
            pass
        raise _Invalid(expected)

    return s


def _u_enum(v: enum.Enum) -> Any:
    return v.value


# -- attribute values: str | int | bool | Decimal | date, tagged when not JSON-native --------

_ATTRIBUTE_TAGS: Final = ("date", "datetime", "decimal")


def _is_attribute_value(t: Any) -> bool:
    return t is AttributeValue or (
        get_origin(t) in (typing.Union, types.UnionType) and t == AttributeValue
    )


def _s_attribute_value(v: Any, _: Any) -> AttributeValue:
    cls = v.__class__
    if cls is str or cls is int or cls is bool:
        return v  # type: ignore[no-any-return]
    if cls is float:
        raise _Invalid('floats are not exact; use {"type": "decimal", "value": "…"}')
    if isinstance(v, Mapping):
        if set(v) != {"type", "value"}:
            raise _Invalid('a tagged value needs exactly the keys "type" and "value"')
        tag = v["type"]
        if tag == "decimal":
            return _s_decimal(v["value"], Decimal)
        if tag == "date":
            return _s_date(v["value"], date)
        if tag == "datetime":
            return _s_datetime(v["value"], datetime)
        raise _Invalid(f"unknown value type; must be one of {', '.join(_ATTRIBUTE_TAGS)}")
    raise _Invalid("must be a string, integer, boolean or a tagged decimal or date")


def _u_attribute_value(v: AttributeValue) -> Any:
    cls = v.__class__
    if cls is str or cls is int or cls is bool:
        return v
    if isinstance(v, Decimal):
        return {"type": "decimal", "value": str(v)}
    if isinstance(v, datetime):
        return {"type": "datetime", "value": v.isoformat()}
    if isinstance(v, date):
        return {"type": "date", "value": v.isoformat()}
    if isinstance(v, int):  # an IntEnum member, say: its number
        return int(v)
    return str.__str__(v)  # a str subclass (a StrEnum member): its text


# -- money ----------------------------------------------------------------------------------


def _s_money(v: Any, _: Any) -> Money:
    if v.__class__ is dict and len(v) == 2:
        return Money(v["amount"], v["currency"])
    raise _Invalid('must be an object {"amount": "…", "currency": "…"}')


def _u_money(m: Money) -> dict[str, str]:
    return {"amount": str(m.amount), "currency": m.currency}


def _noted_name(exc: Exception) -> str | None:
    """The field an exception was noted at by :func:`_noted` (the last note), if any."""
    for note in reversed(getattr(exc, "__notes__", ())):
        if isinstance(note, AttributeValidationNote):
            return str(note.name)
    return None


def _noted(exc: Exception, name: str, t: Any) -> Exception:
    exc.__notes__ = [*getattr(exc, "__notes__", ()), AttributeValidationNote(name, name, t)]
    return exc


def _s_money_detailed(v: Any, _: Any) -> Money:
    if not isinstance(v, Mapping):
        raise _Invalid('must be an object {"amount": "…", "currency": "…"}')
    amount, currency = v.get("amount", _MISSING), v.get("currency", _MISSING)
    currency_error: Exception | None = None
    if currency is _MISSING:
        currency_error = KeyError("currency")
    else:
        try:
            minor_units(currency)
        except OrderhubError as e:
            currency_error = e
    errors: list[Exception] = []
    money: Money | None = None
    if amount is _MISSING:
        errors.append(_noted(KeyError("amount"), "amount", Decimal))
    else:
        try:
            if currency_error is None:
                money = Money(amount, currency)
            else:
                to_decimal(amount, "amount")
        except OrderhubError as e:
            errors.append(_noted(e, "amount", Decimal))
    if currency_error is not None:
        errors.append(_noted(currency_error, "currency", str))
    extra = set(v) - {"amount", "currency"}
    if extra:
        errors.append(ForbiddenExtraKeysError(None, Money, extra))
    if errors or money is None:
        raise ClassValidationError("While structuring Money", errors, Money)
    return money


# -- containers -----------------------------------------------------------------------------


def _is_optional(t: Any) -> bool:
    if get_origin(t) not in (typing.Union, types.UnionType):
        return False
    args = get_args(t)
    return len(args) == 2 and _NoneType in args


def _optional_inner(t: Any) -> Any:
    return next(a for a in get_args(t) if a is not _NoneType)


_SEQUENCES: Final[dict[Any, Callable[[list[Any]], Any]]] = {
    list: list,
    abc.Sequence: tuple,
    abc.MutableSequence: list,
    frozenset: frozenset,
    set: set,
    abc.Set: frozenset,
    abc.MutableSet: set,
}
"""Collection types (``tuple[X, ...]`` aside) read from a JSON array, and what they become."""


def _is_homogeneous_sequence(t: Any) -> bool:
    origin = get_origin(t)
    if origin is tuple:
        args = get_args(t)
        return len(args) == 2 and args[1] is Ellipsis
    return origin in _SEQUENCES and len(get_args(t)) == 1


def _is_fixed_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and bool(args) and Ellipsis not in args


def _is_set(t: Any) -> bool:
    return get_origin(t) in (frozenset, set, abc.Set, abc.MutableSet)


def _is_dict(t: Any) -> bool:
    return get_origin(t) in (dict, abc.Mapping, abc.MutableMapping) and len(get_args(t)) == 2


def _native(c: Converter, t: Any) -> bool:
    """True when values of ``t`` are JSON already (so unstructuring them is the identity)."""
    if _is_optional(t):
        t = _optional_inner(t)
    return t in _JSON_NATIVE and not _is_enum(t)


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


# -- attrs classes, fast: generated code, first problem only ---------------------------------


def _inline(c: Converter, t: Any, x: str, i: int, globs: dict[str, Any]) -> list[str]:
    """Statements that check and convert local ``x`` (a JSON value) to a ``t``, or raise."""
    if t is str or t is int:
        return [f"if {x}.__class__ is not {t.__name__}: raise __Bad"]
    if t is bool:
        return [f"if {x} is not True and {x} is not False: raise __Bad"]
    if t is float:  # an int, inf or nan goes through the full hook
        globs[f"__h{i}"] = _s_float
        return [f"if {x}.__class__ is not float or {x} - {x}: {x} = __h{i}({x}, float)"]
    if t is Money:
        globs["__Money"] = Money
        return [
            f"if {x}.__class__ is not dict or len({x}) != 2: raise __Bad",
            f"{x} = __Money({x}['amount'], {x}['currency'])",
        ]
    if t is datetime:
        globs["__fromiso"] = datetime.fromisoformat
        return [
            f"if {x}.__class__ is not str: raise __Bad",
            f"{x} = __fromiso({x})",
            f"if {x}.tzinfo is None or {x}.utcoffset() is None: raise __Bad",
        ]
    if _is_enum(t) and all(m.value.__class__ is str for m in t):
        globs[f"__m{i}"] = {m.value: m for m in t}
        return [f"if {x}.__class__ is not str: raise __Bad", f"{x} = __m{i}[{x}]"]
    if _is_attribute_value(t):
        globs[f"__h{i}"] = _s_attribute_value
        return [
            f"if {x}.__class__ is not str and {x}.__class__ is not int"
            f" and {x}.__class__ is not bool: {x} = __h{i}({x}, None)"
        ]
    if get_origin(t) is tuple and _is_homogeneous_sequence(t):
        et = get_args(t)[0]
        globs[f"__h{i}"], globs[f"__t{i}"] = c.get_structure_hook(et), et
        return [
            f"if {x}.__class__ is not list: raise __Bad",
            f"{x} = tuple([__h{i}(e, __t{i}) for e in {x}]) if {x} else ()",
        ]
    globs[f"__h{i}"], globs[f"__t{i}"] = c.get_structure_hook(t), t
    return [f"{x} = __h{i}({x}, __t{i})"]


def _compile(name: str, lines: list[str], globs: dict[str, Any], where: str) -> _Hook:
    source = "\n".join([f"def {name}(o, _):", *(f"  {line}" for line in lines)])
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<orderhub structure {where}>", "exec"), globs, namespace)
    hook: _Hook = namespace[name]
    hook.__doc__ = source
    return hook


def _fast_dict_hook(c: Converter, kt: Any, vt: Any) -> _Hook:
    """A generated structure hook for ``dict[kt, vt]``: keys and values checked inline."""
    globs: dict[str, Any] = {"__Bad": _Invalid}
    lines = [
        "if o.__class__ is not dict: raise __Bad",
        "out = {}",
        "for k, x in o.items():",
        *(f"  {line}" for line in _inline(c, kt, "k", 0, globs)),
        *(f"  {line}" for line in _inline(c, vt, "x", 1, globs)),
        "  out[k] = x",
        "return out",
    ]
    return _compile("structure_dict", lines, globs, f"dict[{kt!r}, {vt!r}]")


@attrs.frozen
class _Trusted:
    """What the fast hook still checks for a class it builds without calling ``__init__``.

    By the time a field's statements run, the generated code has already checked its JSON
    type exactly (``str`` is a ``str``, ``int`` an ``int`` and not a ``bool``, a nested class
    came from its own hook, a tuple holds only built items); ``fields`` gives, per field, the
    statements for what the class's constructor checks beyond the type (on ``{x}``, the
    value; they run only for a value given, not for a default), and ``checks`` the
    statements across fields (``{name}`` is the field's value). Statements raise on a bad
    value, and :func:`structure` then asks the detailed twin, which calls the constructor,
    what was wrong: the fast hook may refuse more than the constructor, never less.
    ``tests/test_structure_fastpath.py`` holds the two to the same answers.
    """

    fields: Mapping[str, tuple[str, ...]]
    checks: tuple[str, ...] = ()
    globs: Mapping[str, Any] = attrs.field(factory=dict)


_TEXT: Final = ("if not {x}.strip(): raise __Bad",)  # a non-empty string, as the classes say


def _trusted_specs() -> dict[type, _Trusted]:
    """The classes every order request is made of, with the checks of their constructors.

    Kept in step with ``_geo_problems``, ``_address_problems`` (``_values``),
    ``_identity_problems`` (``_identity``, whose normalisers are called as they are),
    ``_line_problems``, ``_context_problems``, ``_request_problems`` and the field
    converters (``_requests``).
    """
    return {
        GeoPoint: _Trusted(
            {
                "latitude": ("if not -90 <= {x} <= 90: raise __Bad",),
                "longitude": ("if not -180 <= {x} <= 180: raise __Bad",),
            }
        ),
        Address: _Trusted(
            {
                "line1": _TEXT,
                "city": _TEXT,
                "country": (
                    "if len({x}) != 2 or not {x}.isascii() or not {x}.isupper(): raise __Bad",
                ),
                **dict.fromkeys(_OPTIONAL_ADDRESS_TEXT, ()),
                "geo": (),
            }
        ),
        CustomerIdentity: _Trusted(
            {name: (f"{{x}} = __normalise_{name}({{x}})",) for name, _ in _NORMALISERS},
            globs={f"__normalise_{name}": normalise for name, normalise in _NORMALISERS},
        ),
        LineRequest: _Trusted(
            {
                "sku": _TEXT,
                "quantity": ("if {x} <= 0: raise __Bad",),
                "unit_price": (),
                "discounts": (),
            }
        ),
        CaptureContext: _Trusted({**dict.fromkeys(_CONTEXT_TEXT, _TEXT), "tags": ()}),
        OrderRequest: _Trusted(
            {
                "channel": (),
                "lines": ("if not {x}: raise __Bad",),
                "external_id": _TEXT,
                "customer": (),
                "ship_to": (),
                "bill_to": (),
                "attributes": ("for k in {x}:", "  if not k.strip(): raise __Bad"),
                "consents": (),
                "discounts": (),
                "context": (),
                "currency": _TEXT,
                "service_level": (),
                "placed_at": (),
                "idempotency_key": _TEXT,
            },
            checks=("if {external_id} is None and {idempotency_key} is None: raise __Bad",),
        ),
    }


_TRUSTED: Final = _trusted_specs()


def _trusted_spec(cls: type[Any]) -> _Trusted | None:
    """``cls``'s entry in the table, if it has one that covers exactly its fields."""
    spec = _TRUSTED.get(cls)
    if spec is None:
        return None
    fields = attrs.fields(cls)
    # Every slot is a field (no hidden slot such as a cached hash) and has a descriptor...
    slots = set(getattr(cls, "__slots__", ())) - {"__weakref__"}
    slotted = slots == {a.name for a in fields} and all(
        isinstance(getattr(cls, a.name, None), types.MemberDescriptorType) for a in fields
    )
    # ...and every field is set by __init__ and has its checks in the table.
    every = all(a.init for a in fields) and {a.alias for a in fields} == set(spec.fields)
    if not slotted or not every:
        return None  # the table is out of step with the class: build through __init__
    return spec


def _trusted_build(
    cls: type[Any], spec: _Trusted, names: dict[str, str], globs: dict[str, Any]
) -> list[str]:
    """Statements that run ``spec``'s checks across fields, then build ``cls`` from its
    slots without ``__init__`` (every check it would make having been made above)."""
    globs.update(spec.globs)
    globs["__new"] = object.__new__
    lines = [check.format(**names) for check in spec.checks]
    lines.append("s = __new(__cl)")
    for a in attrs.fields(cls):
        globs[f"__set_{a.name}"] = getattr(cls, a.name).__set__
        lines.append(f"__set_{a.name}(s, {names[a.alias]})")
    lines.append("return s")
    return lines


def _fast_class_hook(c: Converter, cls: type[Any], tag: str | None = None) -> _Hook:
    """A structure hook for an attrs class, generated as source for speed (cattrs.gen style).

    Leaf fields are checked inline, other fields call their precomputed hook, absent fields
    get the class's default (or factory), unknown keys are found by one set comparison; then
    the class is built, which runs its own validators, or, for the classes of an order
    request (see :class:`_Trusted`), the rest of the constructor's checks run inline, once,
    and the instance is built from its slots. Any problem raises at once, with no path:
    :func:`structure` then asks the detailed twin what was wrong.
    """
    attrs.resolve_types(cls)
    trusted = _trusted_spec(cls)
    allowed = set()
    globs: dict[str, Any] = {"__cl": cls, "__Bad": _Invalid, "__M": _MISSING, "__tag": tag}
    body: list[str] = []
    args: list[str] = []
    names: dict[str, str] = {}
    for i, a in enumerate(attrs.fields(cls)):
        if not a.init:
            continue
        key, t, x = a.alias, a.type, f"x{i}"
        allowed.add(key)
        names[key] = x
        optional = _is_optional(t)
        convert = _inline(c, _optional_inner(t) if optional else t, x, i, globs)
        if trusted is not None:
            convert.extend(line.format(x=x) for line in trusted.fields[key])
        if optional:
            convert = [f"if {x} is not None:", *(f"  {line}" for line in convert)]
        default = a.default
        if default is attrs.NOTHING:
            body.append(f"{x} = o[{key!r}]")
        elif default is None and optional:
            body.append(f"{x} = o.get({key!r})")
        else:
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                if default.takes_self:
                    # A default computed from other fields: the field-by-field hook leaves an
                    # absent field to attrs, which computes it.
                    return _detailed_class_hook(c, cls, tag)
                globs[f"__d{i}"] = default.factory
                missing = f"__d{i}()"
            else:
                globs[f"__d{i}"] = default
                missing = f"__d{i}"
            body.append(f"{x} = o.get({key!r}, __M)")
            body.append(f"if {x} is __M:")
            body.append(f"  {x} = {missing}")
            body.append("else:")
            convert = [f"  {line}" for line in convert]
        body.extend(convert)
        args.append(f"{key}={x}")
    if tag is not None:
        allowed.add("type")
        body.insert(0, "if 'type' in o and o['type'] != __tag: raise __Bad")
    globs["__allowed"] = frozenset(allowed)
    if trusted is None:
        build = [f"return __cl({', '.join(args)})"]
    else:
        build = _trusted_build(cls, trusted, names, globs)
    lines = [
        "if o.__class__ is not dict or not o.keys() <= __allowed: raise __Bad",
        *body,
        *build,
    ]
    return _compile(f"structure_{cls.__name__}", lines, globs, cls.__qualname__)


# -- attrs classes, detailed: every problem of every field -----------------------------------


def _detailed_class_hook(c: Converter, cls: type[Any], tag: str | None = None) -> _Hook:
    """A structure hook for an attrs class that reports every problem with its field.

    Each field is structured on its own; then each field's own attrs converter and
    validator run on their own, so that two bad fields are two problems; only when every
    field is good is the class built (which runs the checks across fields).
    """
    attrs.resolve_types(cls)
    specs = []
    for a in attrs.fields(cls):
        if not a.init:
            continue
        specs.append((a, a.alias, a.type, c.get_structure_hook(a.type)))
    allowed = {alias for _, alias, _, _ in specs}
    position = {alias: i for i, (_, alias, _, _) in enumerate(specs)}
    if tag is not None:
        allowed.add("type")
    name = cls.__name__

    def s(v: Any, _: Any) -> Any:
        if not isinstance(v, Mapping):
            raise _Invalid("must be an object")
        errors: list[Exception] = []
        extra = set(v) - allowed
        if extra:
            errors.append(ForbiddenExtraKeysError(None, cls, extra))
        if tag is not None and "type" in v and v["type"] != tag:
            errors.append(_noted(_Invalid(f"must be {tag!r}"), "type", str))
        kwargs: dict[str, Any] = {}
        for a, alias, t, h in specs:
            if alias not in v:
                if a.default is attrs.NOTHING:
                    errors.append(_noted(KeyError(alias), alias, t))
                continue
            try:
                value = h(v[alias], t)
            except Exception as exc:
                errors.append(_noted(exc, alias, t))
                continue
            kwargs[alias] = value
            problem = _field_problem(a, value)
            if problem is not None:
                errors.append(_noted(problem, alias, t))
        if errors:
            # Fields that did structure still get the class's own checks, so that every
            # bad field is reported, not only those before the first failure.
            checks = getattr(cls, "_field_checks", None)
            if checks is not None:
                types_ = {alias: t for _, alias, t, _ in specs}
                errors.extend(
                    _noted(e, e.field, types_[e.field])
                    for e in checks(types.SimpleNamespace(**kwargs))
                    if e.field is not None and e.field in types_
                )
                errors.sort(key=lambda e: position.get(_noted_name(e), -1))
            raise ClassValidationError(f"While structuring {name}", errors, cls)
        try:
            return cls(**kwargs)
        except Exception as exc:
            found = list(exc.errors) if isinstance(exc, FieldErrors) else [exc]
            types_ = {alias: t for _, alias, t, _ in specs}
            split = [
                _noted(e, e.field, types_[e.field])
                if isinstance(e, OrderhubError) and e.field is not None and e.field in types_
                else e
                for e in found
            ]
            raise ClassValidationError(f"While structuring {name}", split, cls) from None

    return s


def _field_problem(a: attrs.Attribute[Any], value: Any) -> OrderhubError | None:
    """The domain error the field's own converter or validator raises for ``value``."""
    try:
        conv = a.converter
        if conv is not None and not isinstance(conv, attrs.Converter):
            value = conv(value)
        if a.validator is not None:
            a.validator(None, a, value)
    except OrderhubError as e:
        return e
    except Exception:  # a validator that needs the instance: the class will check it
        return None
    return None


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
