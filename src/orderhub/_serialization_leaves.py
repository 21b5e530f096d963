"""The leaves of :mod:`orderhub.serialization`: hooks for the types that hold no others, and
the tests that tell the converters what kind of type they face.

Shared by the fast converter and its detailed twin: scalars (``str``, ``int``, ``bool``,
finite ``float``, ``Decimal``), ISO 8601 datetimes, dates and durations, enums by value,
attribute values (tagged when not JSON-native) and ``Money``.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections import abc
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, get_args, get_origin

from cattrs import Converter
from cattrs.errors import AttributeValidationNote, ClassValidationError, ForbiddenExtraKeysError

from orderhub._identity import AttributeValue
from orderhub._log import LoggedCommand
from orderhub._money import Money, minor_units, to_decimal
from orderhub.errors import InvalidSnapshot, OrderhubError

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
