"""The catalog: what can be sold, at what price, owned by which company."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs

from orderhub._money import Money
from orderhub.errors import DuplicateId, UnknownSku, ValidationError

__all__ = ["Catalog", "CatalogPolicy", "Item"]


def _text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=a.alias, value=value)


def _opt_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _text(_, a, value)


def _price(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise ValidationError("must be Money", field="price", value=value)
    if value.is_negative:
        raise ValidationError("must not be negative", field="price", value=str(value))


def _weight(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValidationError(
            "must be a non-negative Decimal (kilograms)", field="weight", value=value
        )


@attrs.frozen(kw_only=True)
class Item:
    """Something the catalog sells.

    ``owner`` names the company (and so the ERP back end) the item belongs to — after an
    acquisition, the acquired brand's items keep their own owner. ``drop_ship_vendor`` is set
    for items a vendor ships directly. ``weight`` is in kilograms.
    """

    sku: str = attrs.field(validator=_text)
    description: str = attrs.field(validator=_text)
    price: Money = attrs.field(validator=_price)
    owner: str = attrs.field(default="main", validator=_text)
    category: str | None = attrs.field(default=None, validator=_opt_text)
    drop_ship_vendor: str | None = attrs.field(default=None, validator=_opt_text)
    weight: Decimal | None = attrs.field(default=None, validator=_weight)


class CatalogPolicy(enum.Enum):
    """What capture does with a SKU the catalog does not know."""

    STRICT = "strict"
    """An unknown SKU is an error (the default)."""
    ALLOW_PRICED = "allow_priced"
    """An unknown SKU is accepted when the order line brings its own unit price."""


class Catalog:
    """The items the hub sells, by SKU; reached as ``hub.catalog``."""

    def __init__(self, policy: CatalogPolicy = CatalogPolicy.STRICT) -> None:
        if not isinstance(policy, CatalogPolicy):
            raise ValidationError("must be a CatalogPolicy", field="policy", value=policy)
        self.policy = policy
        self._items: dict[str, Item] = {}

    def add(self, item: Item) -> None:
        """Add ``item``. Adding the same item again is harmless.

        Raises:
            DuplicateId: another item with this SKU exists (use :meth:`replace`).
        """
        if not isinstance(item, Item):
            raise ValidationError("must be an Item", field="item", value=item)
        existing = self._items.get(item.sku)
        if existing is not None and existing != item:
            raise DuplicateId(
                "another item has this SKU; use replace()", field="sku", value=item.sku
            )
        self._items[item.sku] = item

    def replace(self, item: Item) -> None:
        """Replace the item with ``item.sku`` (a new price, description or owner).

        Orders already captured keep the price they were captured at.
        """
        if not isinstance(item, Item):
            raise ValidationError("must be an Item", field="item", value=item)
        if item.sku not in self._items:
            raise UnknownSku("no such SKU in the catalog", field="sku", value=item.sku)
        self._items[item.sku] = item

    def get(self, sku: str) -> Item:
        """The item with ``sku``."""
        try:
            return self._items[sku]
        except KeyError:
            raise UnknownSku("no such SKU in the catalog", field="sku", value=sku) from None

    def find(self, sku: str) -> Item | None:
        """The item with ``sku``, or ``None``."""
        return self._items.get(sku)

    def __contains__(self, sku: object) -> bool:
        return sku in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items.values())
