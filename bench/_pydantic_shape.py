"""The order request's document shape as pydantic v2 models, for the converter benchmark.

The same fields, types, defaults and nesting as ``orderhub.OrderRequest``, with pydantic's
own validation of those types (and unknown keys forbidden), so that both libraries do the
same job on the same JSON document.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from orderhub import Channel, ConsentChannel, ServiceLevel


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MoneyModel(_Model):
    amount: Decimal
    currency: str


class GeoModel(_Model):
    latitude: float
    longitude: float


class AddressModel(_Model):
    line1: str
    city: str
    country: str
    postal_code: str | None = None
    line2: str | None = None
    region: str | None = None
    name: str | None = None
    company: str | None = None
    phone: str | None = None
    geo: GeoModel | None = None


class IdentityModel(_Model):
    email: str | None = None
    phone: str | None = None
    loyalty_id: str | None = None
    name: str | None = None
    external_id: str | None = None
    customer_id: str | None = None


class DiscountModel(_Model):
    amount: MoneyModel | None = None
    percent: Decimal | None = None
    code: str | None = None


class LineModel(_Model):
    sku: str
    quantity: int
    unit_price: MoneyModel | None = None
    discounts: tuple[DiscountModel, ...] = ()


class ContextModel(_Model):
    campaign: str | None = None
    promo_code: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    store_id: str | None = None
    associate_id: str | None = None
    device: str | None = None
    tags: tuple[str, ...] = ()


class TaggedModel(_Model):
    type: Literal["decimal", "date"]
    value: str


class OrderRequestModel(_Model):
    channel: Channel
    lines: tuple[LineModel, ...]
    external_id: str | None = None
    customer: IdentityModel = IdentityModel()
    ship_to: AddressModel | None = None
    bill_to: AddressModel | None = None
    attributes: dict[str, bool | int | str | TaggedModel] = {}
    consents: dict[ConsentChannel, bool] = {}
    discounts: tuple[DiscountModel, ...] = ()
    context: ContextModel = ContextModel()
    currency: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD
    placed_at: AwareDatetime | None = None
    idempotency_key: str | None = None


__all__ = ["OrderRequestModel", "datetime"]
