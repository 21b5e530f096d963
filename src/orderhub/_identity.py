"""Customer identities as channels report them, normalised for matching."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from orderhub._pii import mask
from orderhub.errors import ABSENT, OrderhubError, ValidationError, raise_all

__all__ = [
    "AttributeValue",
    "CustomerIdentity",
    "check_attributes",
    "normalise_email",
    "normalise_phone",
]

AttributeValue: TypeAlias = str | int | bool | Decimal | date
"""The types an attribute captured at order time may have (never float)."""

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")  # what normalise_phone removes


def normalise_email(value: str) -> str:
    """The e-mail address trimmed and lower-cased; it must have one ``@`` with text around it.

    The whole address is lower-cased: mailbox names are case-insensitive in practice, and
    two spellings of one address must find one customer.
    """
    v = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(v, str) or v.count("@") != 1 or " " in v:
        raise ValidationError("not an e-mail address", field="email", value=value, sensitive=True)
    local, _, domain = v.partition("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        raise ValidationError("not an e-mail address", field="email", value=value, sensitive=True)
    return v


def normalise_phone(value: str) -> str:
    """The phone number with spaces, dashes, dots, slashes and brackets removed.

    A leading ``+`` (or ``00``) marks an international number and is kept as ``+``; what is
    left must be 6 to 15 digits (the E.164 maximum). No country is guessed.
    """
    if not isinstance(value, str):
        raise ValidationError("not a phone number", field="phone", value=value, sensitive=True)
    # What _PHONE_SEPARATORS matches, removed without the regex (twice as fast): str.split()
    # splits on exactly the characters ``\s`` matches (str.isspace()).
    v = "".join(value.split())
    for separator in "-.()/":
        if separator in v:
            v = v.replace(separator, "")
    if v.startswith("00"):
        v = "+" + v[2:]
    digits = v[1:] if v.startswith("+") else v
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15):
        raise ValidationError("not a phone number", field="phone", value=value, sensitive=True)
    return v


def _opt_name(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "must be a non-empty string or None", field="name", value=value, sensitive=True
        )
    return " ".join(value.split())


def _loyalty(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "must be a non-empty string or None", field="loyalty_id", value=value, sensitive=True
        )
    return value.strip()


def _name(value: object) -> str:
    result: str = _opt_name(value)
    return result


def _token(field: str) -> Any:
    def normalise(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("must be a non-empty string or None", field=field, value=value)
        return value.strip()

    return normalise


_NORMALISERS: tuple[tuple[str, Any], ...] = (
    ("email", normalise_email),
    ("phone", normalise_phone),
    ("loyalty_id", _loyalty),
    ("name", _name),
    ("external_id", _token("external_id")),
    ("customer_id", _token("customer_id")),
)


def _identity_problems(identity: Any, *, apply: bool) -> list[OrderhubError]:
    """Normalise the identity's fields (in place when ``apply``) and collect the errors."""
    # _serialization_classes._trusted_specs makes these checks too (test_structure_fastpath).
    errors: list[OrderhubError] = []
    for field, normalise in _NORMALISERS:
        value = getattr(identity, field, None)
        if value is None or value is ABSENT:
            continue
        try:
            normal = normalise(value)
        except OrderhubError as e:
            errors.append(e)
            continue
        if apply:
            object.__setattr__(identity, field, normal)
    return errors


@attrs.frozen(kw_only=True)
class CustomerIdentity:
    """Who placed an order, as the capturing channel knows them.

    E-mail and phone are normalised on construction (see :func:`normalise_email`,
    :func:`normalise_phone`). ``external_id`` is the channel's own customer id (a
    marketplace buyer id, a store's member number); ``customer_id`` is set when the caller
    already knows the hub's customer (a call-centre agent picked them). Personal data is
    masked in the repr.
    """

    email: str | None = attrs.field(default=None, repr=mask)
    phone: str | None = attrs.field(default=None, repr=mask)
    loyalty_id: str | None = attrs.field(default=None, repr=mask)
    name: str | None = attrs.field(default=None, repr=mask)
    external_id: str | None = None
    customer_id: str | None = None

    _field_checks = staticmethod(lambda identity: _identity_problems(identity, apply=False))

    def __attrs_post_init__(self) -> None:
        # Normalise in one pass (cheaper than a converter per field); every bad field is
        # reported.
        errors = _identity_problems(self, apply=True)
        if errors:
            raise_all(errors)

    @property
    def is_anonymous(self) -> bool:
        """True when nothing here can identify a customer."""
        return not (
            self.email or self.phone or self.loyalty_id or self.external_id or self.customer_id
        )


def check_attributes(attributes: Any, field: str = "attributes") -> dict[str, AttributeValue]:
    """A copy of ``attributes`` if every name is a non-empty string and every value typed.

    Values may be ``str``, ``int``, ``bool``, ``Decimal`` or ``date``; floats are refused
    (use ``Decimal``), and so is ``None`` (attributes are captured, not cleared).
    """
    if not isinstance(attributes, dict):
        raise ValidationError("must be a mapping of name to value", field=field, value=attributes)
    for name, value in attributes.items():
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(
                "attribute names must be non-empty strings", field=field, value=name
            )
        if isinstance(value, float) or not isinstance(value, (str, int, Decimal, date)):
            raise ValidationError(
                "must be str, int, bool, Decimal or date", field=f"{field}.{name}", value=value
            )
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValidationError("must be finite", field=f"{field}.{name}", value=value)
    return dict(attributes)
