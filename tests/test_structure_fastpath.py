"""The fast structure path of the order-request classes: the constructor's checks, once.

``serialization`` builds ``OrderRequest``, ``LineRequest``, ``CustomerIdentity``,
``Address``, ``GeoPoint`` and ``CaptureContext`` from JSON without calling their
``__init__``: it checks each field's JSON type, then what the constructor checks beyond the
type, and fills the slots. These tests hold that path to the constructors:

* every class in its table is still built that way (the table covers every field);
* a valid value goes through it and comes out equal, field by field and type by type;
* on payloads near the edge of every rule (empty and blank text, zero and negative
  quantities, coordinates just out of range, bad country codes, e-mails and phones, blank
  attribute names, missing keys…) it never accepts what the constructors refuse, and what it
  accepts is exactly what the detailed path (which calls the constructors) builds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub import (
    Address,
    CaptureContext,
    CustomerIdentity,
    GeoPoint,
    InvalidPayload,
    LineRequest,
    OrderRequest,
    serialization,
)
from orderhub._serialization_classes import _trusted_spec
from orderhub.serialization import converter, structure, unstructure
from orderhub.testing import strategies as ohst

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    GeoPoint: ohst.geo_points(),
    Address: ohst.addresses(),
    CustomerIdentity: ohst.customer_identities(),
    CaptureContext: ohst.capture_contexts(),
    LineRequest: ohst.line_requests(max_quantity=10**12),
    OrderRequest: ohst.order_requests(placed_before=T0, max_quantity=10**9),
}

EDGES: tuple[Any, ...] = (
    None,
    "",
    " ",
    "\t\n",
    "\u3000",  # ideographic space: blank to str.strip()
    "\u00a0x\u00a0",
    "x",
    "US",
    "us",
    "USA",
    "U",
    "ÜS",
    "Us",
    "12",
    "web",
    "WEB",
    "standard",
    "c@example.com",
    " C@Example.COM ",
    "c@example",
    "c@@example.com",
    "@example.com",
    "c@.example.com",
    "c d@example.com",
    "+1 (312) 555-0100",
    "0044 20 7946 0000",
    "12345",
    "+１２３４５６７",  # full-width digits: not ASCII
    "2026-03-02T09:00:00+00:00",
    "2026-03-02T09:00:00",
    "1.50",
    0,
    1,
    -1,
    2,
    10**20,
    True,
    False,
    0.0,
    1.5,
    -90.0,
    90.0,
    90.000001,
    -90.000001,
    180.0,
    -180.0,
    180.000001,
    -180.000001,
    float("nan"),
    float("inf"),
    [],
    [""],
    ["x", " "],
    {},
    {"": "v"},
    {" ": 1},
    {"k": "v"},
    {"k": 1.5},
    {"k": None},
    {"k": {"type": "decimal", "value": "NaN"}},
    {"k": {"type": "decimal", "value": "1.5"}},
    {"email": True},
    {"amount": "1.00", "currency": "USD"},
    {"amount": "1.005", "currency": "USD"},
    {"amount": "1.00", "currency": "usd"},
    {"latitude": 1.0, "longitude": 2.0},
    {"latitude": 91.0, "longitude": 2.0},
)


def _mutate(data: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    """``data`` with one node replaced by an edge value, or one key dropped or added."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        action = draw(st.sampled_from(["descend", "replace", "drop", "add"]))
        if action == "descend":
            return {**data, key: _mutate(data[key], draw)}
        if action == "replace":
            return {**data, key: draw(st.sampled_from(EDGES))}
        if action == "drop":
            return {k: v for k, v in data.items() if k != key}
        return {**data, draw(st.sampled_from(["x", "type", "email"])): "x"}
    if isinstance(data, list) and data and draw(st.booleans()):
        i = draw(st.integers(0, len(data) - 1))
        return [*data[:i], _mutate(data[i], draw), *data[i + 1 :]]
    return draw(st.sampled_from(EDGES))


def _identical(a: Any, b: Any) -> bool:
    """``a == b``, and of the same types all the way down (a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if attrs.has(type(a)):
        return all(
            _identical(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a))
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_identical(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=lambda c: c.__name__)
def test_the_table_covers_every_field_so_the_class_is_built_from_its_slots(cls: Any) -> None:
    """Adding a field to one of these classes without adding its checks to the table would
    silently send it back through ``__init__``; this says so instead."""
    assert _trusted_spec(cls) is not None
    source = converter.get_structure_hook(cls).__doc__ or ""
    assert "__new(__cl)" in source
    assert "__cl(" not in source.replace("__new(__cl)", "")


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=lambda c: c.__name__)
@settings(max_examples=150)
@given(data=st.data())
def test_valid_values_take_the_fast_path_and_come_back_identical(
    cls: Any, data: st.DataObject
) -> None:
    value = data.draw(STRATEGIES[cls])
    payload = unstructure(value)

    fast = converter.get_structure_hook(cls)(payload, cls)

    assert _identical(fast, value)
    assert _identical(structure(payload, cls), value)


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=lambda c: c.__name__)
@settings(max_examples=400)
@given(data=st.data())
def test_the_fast_path_accepts_nothing_the_constructors_refuse(
    cls: Any, data: st.DataObject
) -> None:
    """Whatever the fast hook builds, the detailed path (through ``__init__``) builds too,
    identically; whatever it refuses, ``structure`` answers as the detailed path does."""
    payload = _mutate(unstructure(data.draw(STRATEGIES[cls])), data.draw)
    try:
        detailed: Any = serialization._detailed.structure(payload, cls)
    except Exception as e:
        detailed = e
    try:
        fast: Any = converter.get_structure_hook(cls)(payload, cls)
    except Exception as e:
        fast = e

    if not isinstance(fast, Exception):
        assert not isinstance(detailed, Exception), f"fast path accepted {payload!r}"
        assert _identical(fast, detailed)
    try:
        result: Any = structure(payload, cls)
    except InvalidPayload as e:
        result = e
    if isinstance(result, InvalidPayload):
        assert result.problems
        assert isinstance(detailed, Exception)
    else:
        assert not isinstance(detailed, Exception)
        assert _identical(result, detailed)


@pytest.mark.parametrize(
    ("cls", "payload"),
    [
        (GeoPoint, {"latitude": 90.5, "longitude": 0.0}),
        (GeoPoint, {"latitude": 0.0, "longitude": -180.5}),
        (Address, {"line1": " ", "city": "Chicago", "country": "US"}),
        (Address, {"line1": "1 Main St", "city": "", "country": "US"}),
        (Address, {"line1": "1 Main St", "city": "Chicago", "country": "us"}),
        (Address, {"line1": "1 Main St", "city": "Chicago", "country": "USA"}),
        (Address, {"line1": "1 Main St", "city": "Chicago", "country": "ÜS"}),
        (CustomerIdentity, {"email": "not-an-address"}),
        (CustomerIdentity, {"phone": "12"}),
        (CustomerIdentity, {"loyalty_id": "  "}),
        (CustomerIdentity, {"name": "\u3000"}),
        (CustomerIdentity, {"external_id": ""}),
        (CustomerIdentity, {"customer_id": " "}),
        (CaptureContext, {"campaign": " "}),
        (CaptureContext, {"device": ""}),
        (LineRequest, {"sku": " ", "quantity": 1}),
        (LineRequest, {"sku": "A", "quantity": 0}),
        (LineRequest, {"sku": "A", "quantity": -3}),
        (OrderRequest, {"channel": "web", "lines": [], "external_id": "X"}),
        (OrderRequest, {"channel": "web", "lines": [{"sku": "A", "quantity": 1}]}),
        (
            OrderRequest,
            {"channel": "web", "lines": [{"sku": "A", "quantity": 1}], "external_id": " "},
        ),
        (
            OrderRequest,
            {"channel": "web", "lines": [{"sku": "A", "quantity": 1}], "idempotency_key": ""},
        ),
        (
            OrderRequest,
            {
                "channel": "web",
                "lines": [{"sku": "A", "quantity": 1}],
                "external_id": "X",
                "currency": " ",
            },
        ),
        (
            OrderRequest,
            {
                "channel": "web",
                "lines": [{"sku": "A", "quantity": 1}],
                "external_id": "X",
                "attributes": {" ": "v"},
            },
        ),
    ],
)
def test_each_rule_holds_on_the_fast_path(cls: Any, payload: Any) -> None:
    """Every check the constructors make beyond the JSON type refuses on the fast path too,
    and the payload is reported as invalid, with the field named."""
    with pytest.raises(Exception):  # noqa: B017, PT011 - any exception: the fast path refused
        converter.get_structure_hook(cls)(payload, cls)
    with pytest.raises(InvalidPayload) as info:
        structure(payload, cls)
    assert all(p.path.startswith("$") for p in info.value.problems)
    assert info.value.problems


def test_identity_is_normalised_as_the_constructor_does() -> None:
    payload = {"email": " Zoe@Example.COM ", "phone": "0044 20 7946 0000", "name": " Zoë  Núñez "}

    fast = converter.get_structure_hook(CustomerIdentity)(payload, CustomerIdentity)

    assert _identical(fast, CustomerIdentity(**payload))
    assert fast.email == "zoe@example.com"
    assert fast.phone == "+442079460000"
    assert fast.name == "Zoë Núñez"
