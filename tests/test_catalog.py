"""The catalog: items by SKU, and what capture does with SKUs it does not know."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from helpers import CATALOG, hub_state, make_hub, request
from orderhub import (
    Catalog,
    CatalogPolicy,
    DuplicateId,
    Item,
    LineRequest,
    Money,
    UnknownSku,
    ValidationError,
)


def _item(**overrides: Any) -> Item:
    fields: dict[str, Any] = {
        "sku": "TENT",
        "description": "2-person tent",
        "price": Money("149.00", "USD"),
    }
    fields.update(overrides)
    return Item(**fields)


def test_added_item_can_be_got_by_sku() -> None:
    """An added item is found by its SKU, counted and iterated."""
    catalog = Catalog()
    item = _item(category="camp", owner="acme", weight=Decimal("2.4"))

    catalog.add(item)

    assert catalog.get("TENT") == item
    assert catalog.find("TENT") == item
    assert "TENT" in catalog
    assert len(catalog) == 1
    assert list(catalog) == [item]


def test_item_defaults() -> None:
    """An item belongs to the main company and has no category, vendor or weight by default."""
    item = _item()

    assert (item.owner, item.category, item.drop_ship_vendor, item.weight) == (
        "main",
        None,
        None,
        None,
    )


def test_adding_the_same_item_again_is_harmless() -> None:
    """Adding an item equal to the one held changes nothing."""
    catalog = Catalog()
    catalog.add(_item())

    catalog.add(_item())

    assert list(catalog) == [_item()]


def test_another_item_with_a_taken_sku_is_rejected() -> None:
    """Adding a different item under a SKU in use raises DuplicateId and keeps the first."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(DuplicateId) as caught:
        hub.catalog.add(_item(price=Money("99.00", "USD")))

    assert (caught.value.field, caught.value.value) == ("sku", "TENT")
    assert hub_state(hub) == before


def test_replace_changes_the_item_but_not_captured_orders() -> None:
    """Replacing an item changes the catalog; orders already captured keep their price."""
    hub, _ = make_hub()
    captured = hub.capture(request())

    hub.catalog.replace(_item(price=Money("129.00", "USD")))

    assert hub.catalog.get("TENT").price == Money("129.00", "USD")
    assert hub.order(captured.order.id).lines[0].unit_price == Money("149.00", "USD")
    assert hub.capture(request("W-2")).order.lines[0].unit_price == Money("129.00", "USD")


def test_replacing_an_unknown_sku_is_rejected() -> None:
    """Replacing a SKU the catalog does not hold raises UnknownSku and changes nothing."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(UnknownSku) as caught:
        hub.catalog.replace(_item(sku="CANOE"))

    assert caught.value.value == "CANOE"
    assert hub_state(hub) == before


@pytest.mark.parametrize("method", ["add", "replace"])
def test_only_items_can_be_added_or_replaced(method: str) -> None:
    """Giving the catalog something that is not an Item raises ValidationError."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        getattr(hub.catalog, method)({"sku": "TENT"})

    assert caught.value.field == "item"
    assert hub_state(hub) == before


def test_get_of_an_unknown_sku_raises_lookup_error() -> None:
    """Looking up an unknown SKU raises UnknownSku, a LookupError; ``find`` answers None."""
    catalog = Catalog()

    with pytest.raises(LookupError) as caught:
        catalog.get("CANOE")

    assert isinstance(caught.value, UnknownSku)
    assert caught.value.field == "sku"
    assert catalog.find("CANOE") is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"sku": "  "}, "sku"),
        ({"description": None}, "description"),
        ({"price": "149.00"}, "price"),
        ({"price": Money("-1.00", "USD")}, "price"),
        ({"owner": ""}, "owner"),
        ({"category": ""}, "category"),
        ({"drop_ship_vendor": 7}, "drop_ship_vendor"),
        ({"weight": 2.5}, "weight"),
        ({"weight": Decimal("-1")}, "weight"),
        ({"weight": Decimal("Infinity")}, "weight"),
    ],
)
def test_invalid_item_is_rejected(overrides: dict[str, Any], field: str) -> None:
    """An item with a blank text, a non-Money or negative price, or a bad weight is rejected."""
    with pytest.raises(ValidationError) as caught:
        _item(**overrides)

    assert caught.value.field == field


def test_catalog_policy_must_be_a_catalog_policy() -> None:
    """A catalog refuses a policy that is not a CatalogPolicy."""
    with pytest.raises(ValidationError) as caught:
        Catalog("strict")  # type: ignore[arg-type]

    assert caught.value.field == "policy"


def test_capture_of_an_unknown_sku_names_the_line() -> None:
    """Capturing an unknown SKU raises UnknownSku naming ``lines[i].sku``; nothing changes."""
    hub, _ = make_hub()
    hub.capture(request("W-1"))
    before = hub_state(hub)
    lines = [LineRequest(sku="TENT", quantity=1), LineRequest(sku="CANOE", quantity=1)]

    with pytest.raises(UnknownSku) as caught:
        hub.capture(request("W-2", lines=lines))

    assert (caught.value.field, caught.value.value) == ("lines[1].sku", "CANOE")
    assert hub_state(hub) == before


def test_strict_policy_rejects_unknown_sku_even_with_a_price() -> None:
    """Under the default policy a line's own price does not make an unknown SKU acceptable."""
    hub, _ = make_hub()
    before = hub_state(hub)
    line = LineRequest(sku="CANOE", quantity=1, unit_price=Money("500.00", "USD"))

    with pytest.raises(UnknownSku):
        hub.capture(request(lines=[line]))

    assert hub_state(hub) == before


def test_allow_priced_accepts_an_unknown_sku_with_its_own_price() -> None:
    """Under ALLOW_PRICED an unknown SKU is captured at the line's price, owned by main."""
    hub, _ = make_hub(policy=CatalogPolicy.ALLOW_PRICED)
    line = LineRequest(sku="CANOE", quantity=2, unit_price=Money("500.00", "USD"))

    captured = hub.capture(request(lines=[line]))

    captured_line = captured.order.lines[0]
    assert captured_line.unit_price == Money("500.00", "USD")
    assert (captured_line.sku, captured_line.description, captured_line.owner) == (
        "CANOE",
        "CANOE",
        "main",
    )
    assert captured.order.total == Money("1000.00", "USD")


def test_allow_priced_still_rejects_an_unknown_sku_without_a_price() -> None:
    """Under ALLOW_PRICED an unknown SKU with no price on its line is still UnknownSku."""
    hub, _ = make_hub(policy=CatalogPolicy.ALLOW_PRICED)
    before = hub_state(hub)
    lines = [
        LineRequest(sku="CANOE", quantity=1, unit_price=Money("500.00", "USD")),
        LineRequest(sku="KAYAK", quantity=1),
    ]

    with pytest.raises(UnknownSku) as caught:
        hub.capture(request(lines=lines))

    assert caught.value.field == "lines[1].sku"
    assert hub_state(hub) == before


def test_captured_lines_carry_the_items_owner_category_and_vendor() -> None:
    """Each captured line copies owner, category and drop-ship vendor from its item."""
    hub, _ = make_hub()
    skus = ["TENT", "LAMP", "STOVE"]

    captured = hub.capture(request(lines=[LineRequest(sku=s, quantity=1) for s in skus]))

    items = {i.sku: i for i in CATALOG}
    assert [
        (line.description, line.owner, line.category, line.drop_ship_vendor)
        for line in captured.order.lines
    ] == [
        (items[s].description, items[s].owner, items[s].category, items[s].drop_ship_vendor)
        for s in skus
    ]
