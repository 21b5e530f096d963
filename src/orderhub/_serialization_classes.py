"""Structure hooks for attrs classes, for :mod:`orderhub.serialization`.

Two kinds: the fast converter's, generated as source, which raise at the first problem (and
build the classes of an order request from their slots once their constructors' checks have
run inline, see :class:`_Trusted`); and the detailed twin's, which report every problem of
every field.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from orderhub._identity import _NORMALISERS, CustomerIdentity
from orderhub._money import Money
from orderhub._requests import _CONTEXT_TEXT, CaptureContext, LineRequest, OrderRequest
from orderhub._serialization_leaves import (
    _MISSING,
    _Hook,
    _Invalid,
    _is_attribute_value,
    _is_enum,
    _is_homogeneous_sequence,
    _is_optional,
    _noted,
    _noted_name,
    _optional_inner,
    _s_attribute_value,
    _s_float,
)
from orderhub._values import _OPTIONAL_ADDRESS_TEXT, Address, GeoPoint
from orderhub.errors import FieldErrors, OrderhubError

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
