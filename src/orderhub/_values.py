"""Small values shared across the areas: channels, geo points, addresses."""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import Any

import attrs

from orderhub._pii import mask
from orderhub.errors import ABSENT, OrderhubError, ValidationError, raise_all

__all__ = ["Address", "Channel", "ConsentChannel", "GeoPoint", "aware", "non_empty_text"]


class Channel(enum.Enum):
    """Where an order was captured."""

    WEB = "web"
    STORE = "store"
    CALL_CENTRE = "call_centre"
    MOBILE = "mobile"
    MARKETPLACE = "marketplace"
    EDI = "edi"


class ConsentChannel(enum.Enum):
    """A way marketing may contact a customer, each consented to separately."""

    EMAIL = "email"
    SMS = "sms"
    POST = "post"
    PHONE = "phone"


def aware(value: object, field: str, entity_id: str | None = None) -> datetime:
    """``value`` if it is a timezone-aware datetime, else a ``ValidationError``."""
    if not isinstance(value, datetime):
        raise ValidationError("must be a datetime", field=field, value=value, entity_id=entity_id)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            "must be timezone-aware", field=field, value=value.isoformat(), entity_id=entity_id
        )
    return value


def non_empty_text(value: object, field: str, *, sensitive: bool = False) -> str:
    """``value`` stripped, if it is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "must be a non-empty string", field=field, value=value, sensitive=sensitive
        )
    return value.strip()


def _geo_problems(point: Any) -> list[OrderhubError]:
    # _serialization_classes._trusted_specs makes these checks too (test_structure_fastpath).
    errors: list[OrderhubError] = []
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = getattr(point, name, ABSENT)
        if value is ABSENT:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(ValidationError("must be a number", field=name, value=value))
        elif not math.isfinite(value) or not -limit <= value <= limit:
            errors.append(ValidationError(f"must lie within ±{limit:g}", field=name, value=value))
    return errors


@attrs.frozen(slots=True)
class GeoPoint:
    """A WGS 84 position in decimal degrees (``latitude`` ±90, ``longitude`` ±180).

    Coordinates are not money: floats are fine here.
    """

    latitude: float
    longitude: float

    _field_checks = staticmethod(lambda point: _geo_problems(point))

    def __attrs_post_init__(self) -> None:
        errors = _geo_problems(self)
        if errors:
            raise_all(errors)

    def distance_km(self, other: GeoPoint) -> float:
        """Great-circle distance to ``other`` in kilometres (haversine, mean radius 6371 km)."""
        lat1, lon1 = math.radians(self.latitude), math.radians(self.longitude)
        lat2, lon2 = math.radians(other.latitude), math.radians(other.longitude)
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _country(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isupper()):
        raise ValidationError(
            "must be an ISO 3166-1 alpha-2 code in capitals", field="country", value=value
        )


def _opt_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValidationError("must be a string or None", field=a.alias, value=value)


def _required_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=a.alias, value=value)


def _opt_geo(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, GeoPoint):
        raise ValidationError("must be a GeoPoint or None", field="geo", value=value)


_OPTIONAL_ADDRESS_TEXT = ("postal_code", "line2", "region", "name", "company", "phone")


def _address_problems(address: Any) -> list[OrderhubError]:
    # _serialization_classes._trusted_specs makes these checks too (test_structure_fastpath).
    errors: list[OrderhubError] = []
    for name in ("line1", "city"):
        value = getattr(address, name, ABSENT)
        if value is not ABSENT and (not isinstance(value, str) or not value.strip()):
            errors.append(ValidationError("must be a non-empty string", field=name, value=value))
    c = getattr(address, "country", ABSENT)
    if c is not ABSENT and not (
        isinstance(c, str) and len(c) == 2 and c.isascii() and c.isupper()
    ):
        errors.append(
            ValidationError(
                "must be an ISO 3166-1 alpha-2 code in capitals", field="country", value=c
            )
        )
    for name in _OPTIONAL_ADDRESS_TEXT:
        value = getattr(address, name, None)
        if value is not None and value is not ABSENT and not isinstance(value, str):
            errors.append(ValidationError("must be a string or None", field=name, value=value))
    geo = getattr(address, "geo", None)
    if geo is not None and geo is not ABSENT and not isinstance(geo, GeoPoint):
        errors.append(ValidationError("must be a GeoPoint or None", field="geo", value=geo))
    return errors


@attrs.frozen(slots=True, kw_only=True)
class Address:
    """A postal address; personal data, so its repr shows only country and region.

    ``country`` is an ISO 3166-1 alpha-2 code; ``region`` a state/province code as the
    country uses it. ``geo`` is optional and is what distance-based routing uses.
    """

    line1: str = attrs.field(repr=mask)
    city: str = attrs.field(repr=mask)
    country: str
    postal_code: str | None = attrs.field(default=None, repr=mask)
    line2: str | None = attrs.field(default=None, repr=mask)
    region: str | None = None
    name: str | None = attrs.field(default=None, repr=mask)
    company: str | None = attrs.field(default=None, repr=mask)
    phone: str | None = attrs.field(default=None, repr=mask)
    geo: GeoPoint | None = None

    _field_checks = staticmethod(lambda address: _address_problems(address))

    def __attrs_post_init__(self) -> None:
        # One pass over the whole address, cheaper than a validator per field; every bad
        # field is reported.
        errors = _address_problems(self)
        if errors:
            raise_all(errors)

    def erased(self) -> Address:
        """This address with everything personal replaced: country and region stay (tax)."""
        return Address(line1="erased", city="erased", country=self.country, region=self.region)
