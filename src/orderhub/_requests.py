"""What a channel sends to capture an order: plain, validated values."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from orderhub._identity import AttributeValue, CustomerIdentity, check_attributes
from orderhub._money import Money
from orderhub._pii import mask
from orderhub._values import Address, Channel, ConsentChannel
from orderhub.errors import ABSENT, InvalidQuantity, OrderhubError, ValidationError, raise_all

__all__ = [
    "CaptureContext",
    "Discount",
    "LineRequest",
    "OrderRequest",
    "ServiceLevel",
]


_T = TypeVar("_T")


class ServiceLevel(enum.Enum):
    """How fast the customer asked to be served; the intake queue serves faster levels first."""

    SAME_DAY = "same_day"
    EXPRESS = "express"
    STANDARD = "standard"
    ECONOMY = "economy"

    @property
    def rank(self) -> int:
        """Queue priority: 0 is served first."""
        return _RANKS[self]


_RANKS = {level: i for i, level in enumerate(ServiceLevel)}


def _enum(kind: type[enum.Enum], name: str) -> Any:
    def check(_: object, a: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"must be a {kind.__name__}", field=name, value=value)

    return check


def _opt_str(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError("must be a non-empty string or None", field=a.alias, value=value)


def _opt_instance(kind: type, name: str) -> Any:
    def check(_: object, a: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise ValidationError(f"must be a {kind.__name__} or None", field=name, value=value)

    return check


def _quantity(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidQuantity("must be a positive integer", field="quantity", value=value)


def _percent(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 < value <= 100:
        raise ValidationError(
            "must be a Decimal above 0 and at most 100", field="percent", value=value
        )


def _amount(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Money) or value.amount <= 0:
        raise ValidationError("must be a positive Money amount", field="amount", value=value)


@attrs.frozen(kw_only=True)
class Discount:
    """A discount: a fixed ``amount`` or a ``percent`` off (exactly one), with its code.

    On a line it applies to that line; on the order it applies to the order's subtotal after
    line discounts and is spread over the lines in proportion to their value.
    """

    amount: Money | None = attrs.field(default=None, validator=_amount)
    percent: Decimal | None = attrs.field(default=None, validator=_percent)
    code: str | None = attrs.field(default=None, validator=_opt_str)

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) == (self.percent is None):
            raise ValidationError(
                "give exactly one of amount and percent",
                field="amount",
                value=None if self.amount is None else str(self.amount),
            )


def _tuple_of(kind: type[_T], name: str, value: Any) -> tuple[_T, ...]:
    if value.__class__ is tuple or value.__class__ is list:  # fast path: no ABC checks
        for item in value:
            if not isinstance(item, kind):
                break
        else:
            return tuple(value)
    elif isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"must be a sequence of {kind.__name__}", field=name, value=value)
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(f"must be a {kind.__name__}", field=f"{name}[{i}]", value=item)
    return items


def _discounts(value: Any) -> tuple[Discount, ...]:
    if not value and value.__class__ in (tuple, list):
        return ()  # most lines have none
    return _tuple_of(Discount, "discounts", value)


def _tags(value: Any) -> tuple[str, ...]:
    return _tuple_of(str, "tags", value)


def _lines(value: Any) -> tuple[LineRequest, ...]:
    return _tuple_of(LineRequest, "lines", value)


@attrs.frozen(kw_only=True)
class LineRequest:
    """One line of an order request: a SKU and a positive integer quantity.

    ``unit_price`` overrides the catalog price (a marketplace's price, a negotiated price);
    without it the catalog price applies.
    """

    sku: str
    quantity: int
    unit_price: Money | None = None
    discounts: tuple[Discount, ...] = attrs.field(default=(), converter=_discounts)

    _field_checks = staticmethod(lambda line: _line_problems(line))

    def __attrs_post_init__(self) -> None:
        # One pass over the whole line (cheaper than a validator per field: every order
        # request from every channel comes through here); every bad field is reported.
        errors = _line_problems(self)
        if errors:
            raise_all(errors)


def _line_problems(line: Any) -> list[OrderhubError]:
    # _serialization_classes._trusted_specs makes these checks too (test_structure_fastpath).
    errors: list[OrderhubError] = []
    sku = getattr(line, "sku", ABSENT)
    if sku is not ABSENT and (not isinstance(sku, str) or not sku.strip()):
        errors.append(ValidationError("must be a non-empty string", field="sku", value=sku))
    q = getattr(line, "quantity", ABSENT)
    if q is not ABSENT and (q.__class__ is not int or q <= 0):
        errors.append(InvalidQuantity("must be a positive integer", field="quantity", value=q))
    price = getattr(line, "unit_price", None)
    if price is not None and price is not ABSENT and not isinstance(price, Money):
        errors.append(ValidationError("must be a Money or None", field="unit_price", value=price))
    return errors


@attrs.frozen(kw_only=True)
class CaptureContext:
    """Where the order came from, for marketing and insight.

    Campaign and promo code, referrer and UTM tags, the store and sales associate for
    in-store orders, the device, and free-form tags.
    """

    campaign: str | None = None
    promo_code: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    store_id: str | None = None
    associate_id: str | None = None
    device: str | None = None
    tags: tuple[str, ...] = attrs.field(default=(), converter=_tags)

    _field_checks = staticmethod(lambda context: _context_problems(context))

    def __attrs_post_init__(self) -> None:
        errors = _context_problems(self)
        if errors:
            raise_all(errors)


def _context_problems(context: Any) -> list[OrderhubError]:
    # _serialization_classes._trusted_specs makes these checks too (test_structure_fastpath).
    return [
        ValidationError("must be a non-empty string or None", field=name, value=value)
        for name in _CONTEXT_TEXT
        if (value := getattr(context, name, None)) is not None
        and value is not ABSENT
        and (value.__class__ is not str or not value.strip())
    ]


_CONTEXT_TEXT = (
    "campaign",
    "promo_code",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "store_id",
    "associate_id",
    "device",
)


def _context(value: Any) -> CaptureContext:
    if isinstance(value, CaptureContext):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(attrs.fields_dict(CaptureContext)), key=str)
        if unknown:
            raise ValidationError("unknown context field", field="context", value=unknown[0])
        return CaptureContext(**value)
    raise ValidationError("must be a CaptureContext or a mapping", field="context", value=value)


def _consents(value: Any) -> dict[ConsentChannel, bool]:
    if not isinstance(value, Mapping):
        raise ValidationError("must be a mapping", field="consents", value=value)
    out: dict[ConsentChannel, bool] = {}
    for k, v in value.items():
        if not isinstance(k, ConsentChannel):
            raise ValidationError("keys must be ConsentChannel", field="consents", value=k)
        if not isinstance(v, bool):
            raise ValidationError("must be a bool", field=f"consents.{k.value}", value=v)
        out[k] = v
    return out


def _placed_at(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError("must be a timezone-aware datetime", field="placed_at", value=value)


@attrs.frozen(kw_only=True)
class OrderRequest:
    """Everything a channel sends to capture one order.

    Either ``external_id`` (the channel's order number) or ``idempotency_key`` must be given:
    the key (by default ``"<channel>:<external_id>"``) makes capture safe to retry. Money on
    the request must all be in one currency. ``placed_at`` is for orders imported after the
    fact (a marketplace feed, an older system); by default an order is placed when captured.
    """

    channel: Channel
    lines: tuple[LineRequest, ...] = attrs.field(converter=_lines)
    external_id: str | None = None
    customer: CustomerIdentity = attrs.field(factory=CustomerIdentity)
    ship_to: Address | None = None
    bill_to: Address | None = None
    attributes: dict[str, AttributeValue] = attrs.field(
        factory=dict, converter=check_attributes, repr=mask
    )
    consents: dict[ConsentChannel, bool] = attrs.field(factory=dict, converter=_consents)
    discounts: tuple[Discount, ...] = attrs.field(default=(), converter=_discounts)
    context: CaptureContext = attrs.field(factory=CaptureContext, converter=_context)
    currency: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD
    placed_at: datetime | None = None
    idempotency_key: str | None = None

    _field_checks = staticmethod(lambda request: _request_problems(request))

    def __attrs_post_init__(self) -> None:
        # One pass over the whole request (cheaper than a validator per field); every bad
        # field is reported.
        errors = _request_problems(self)
        if errors:
            raise_all(errors)

    @property
    def key(self) -> str:
        """The idempotency key: ``idempotency_key``, or ``"<channel>:<external_id>"``."""
        if self.idempotency_key is not None:
            return self.idempotency_key
        return f"{self.channel.value}:{self.external_id}"


def _request_problems(r: Any) -> list[OrderhubError]:
    # _serialization_classes._trusted_specs makes these checks too (test_structure_fastpath).
    # One pass over the whole request (cheaper than a validator per field); every bad
    # field is reported.
    errors: list[OrderhubError] = []
    channel = getattr(r, "channel", ABSENT)
    if channel is not ABSENT and not isinstance(channel, Channel):
        errors.append(ValidationError("must be a Channel", field="channel", value=channel))
    for name in ("external_id", "currency", "idempotency_key"):
        value = getattr(r, name, None)
        if (
            value is not None
            and value is not ABSENT
            and (not isinstance(value, str) or not value.strip())
        ):
            errors.append(
                ValidationError("must be a non-empty string or None", field=name, value=value)
            )
    customer = getattr(r, "customer", None)
    if (
        customer is not None
        and customer is not ABSENT
        and not isinstance(customer, CustomerIdentity)
    ):
        errors.append(
            ValidationError(
                "must be a CustomerIdentity",
                field="customer",
                value=type(customer).__name__,
            )
        )
    for name in ("ship_to", "bill_to"):
        value = getattr(r, name, None)
        if value is not None and value is not ABSENT and not isinstance(value, Address):
            errors.append(ValidationError("must be an Address or None", field=name, value=value))
    level = getattr(r, "service_level", ServiceLevel.STANDARD)
    if level is not ABSENT and not isinstance(level, ServiceLevel):
        errors.append(
            ValidationError("must be a ServiceLevel", field="service_level", value=level)
        )
    placed = getattr(r, "placed_at", None)
    if (
        placed is not None
        and placed is not ABSENT
        and (not isinstance(placed, datetime) or placed.utcoffset() is None)
    ):
        errors.append(
            ValidationError("must be a timezone-aware datetime", field="placed_at", value=placed)
        )
    lines = getattr(r, "lines", ABSENT)
    if lines is not ABSENT and not lines:
        errors.append(ValidationError("an order needs at least one line", field="lines", value=[]))
    if getattr(r, "external_id", None) is None and getattr(r, "idempotency_key", None) is None:
        errors.append(
            ValidationError(
                "give external_id or idempotency_key, so that a retry cannot capture twice",
                field="external_id",
                value=None,
            )
        )
    return errors
