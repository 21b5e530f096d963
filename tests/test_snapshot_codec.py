"""Snapshot format 2 (``orderhub._snapshot_codec``): what it writes and reads back.

The persistence tests restore whole hubs; these pin the format's own rules on small
graphs: tagged strings, shared and cyclic containers, values written once by value.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from orderhub import InvalidSnapshot, Money, OrderHub
from orderhub._snapshot import encode as encode_v1
from orderhub._snapshot_codec import decode, encode
from orderhub._values import Address, GeoPoint
from orderhub.testing import FixedClock, SequentialIds
from test_persistence import T0, state, trading_world


def round_trip(root: Any) -> Any:
    written = json.loads(json.dumps(encode(root, {})))
    return decode(written, {})


def test_leaves_come_back_as_they_were() -> None:
    leaves = [
        "plain",
        "~starts with a tilde",
        "~~two",
        "~",
        "",
        Decimal("1.50"),
        Decimal("-0"),
        datetime(2026, 3, 2, 8, 0, 1, 5, tzinfo=UTC),
        datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 3, 2, 8, 0),
        date(2026, 3, 2),
        timedelta(days=1, seconds=2),
        1,
        True,
        1.0,
        float("inf"),
        None,
    ]
    back = round_trip(leaves)
    assert back == leaves
    assert [type(v) for v in back] == [type(v) for v in leaves]
    assert [str(v) for v in back] == [str(v) for v in leaves]


def test_equal_values_are_written_once_by_value() -> None:
    usd = [Money("1.00", "USD"), Money("1.00", "USD"), Money("2.00", "USD")]
    written = encode(usd, {})
    assert written["data"][1:] == [[0, "~d1.00", "USD"], "~v0", [0, "~d2.00", "USD"]]
    assert round_trip(usd) == usd
    amounts = [(Decimal("1.00"),), (Decimal("1.0"),)]  # equal, but not written alike
    assert [str(v[0]) for v in round_trip(amounts)] == ["1.00", "1.0"]
    home = Address(line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.8, -87.6))
    pair = (home, Address(line1="1 Main St", city="Chicago", country="US", geo=home.geo))
    assert json.dumps(encode(pair, {})).count("Chicago") == 1
    assert round_trip(pair) == pair


def test_one_true_and_one_point_oh_stay_apart() -> None:
    values = [(1,), (True,), (1.0,), (1,)]
    back = round_trip(values)
    assert back == values
    assert [type(v[0]) for v in back] == [int, bool, float, int]


def test_negative_zero_is_not_merged_with_zero() -> None:
    points = [GeoPoint(0.0, 10.0), GeoPoint(-0.0, 10.0), (0.0, 1), (-0.0, 1)]
    back = round_trip(points)
    assert back == points
    assert [repr(p) for p in back] == [repr(p) for p in points]


def test_shared_and_cyclic_containers_stay_shared() -> None:
    inner: list[Any] = [1]
    outer: dict[str, Any] = {"a": inner, "b": inner}
    outer["self"] = outer
    back = round_trip(outer)
    assert back["a"] is back["b"]
    assert back["self"] is back
    assert back["a"] == [1]


def test_a_hub_written_by_format_1_is_still_restored() -> None:
    hub = trading_world().hub
    current = hub.snapshot()
    written = encode_v1(hub, _externals(hub))
    old = {**current, "version": 1, "names": written["names"], "hub": written["data"]}
    old["config"] = {
        name: None if value is None else encode_v1(_config(hub, name), _externals(hub, False))
        for name, value in current["config"].items()
    }
    restored = OrderHub.restore(
        json.loads(json.dumps(old)), clock=FixedClock(T0), ids=SequentialIds()
    )
    assert state(restored) == state(hub)


def test_refs_must_point_back() -> None:
    for data in ("~v0", [-1, "~v0"], "~v-1", "~v00", "~r0", [-2, "~r0"]):
        with pytest.raises(InvalidSnapshot):
            decode({"names": [], "data": data}, {})


def _config(hub: Any, name: str) -> Any:
    from orderhub._hub_persist import _config_of

    return _config_of(hub)[name]


def _externals(hub: Any, config: bool = True) -> dict[int, str]:
    from orderhub._hub_persist import _config_of

    externals = {
        id(hub._clock.inner): "clock",
        id(hub._ids.inner): "ids",
        id(hub._command_log.entries): "commands",
    }
    for name, obj in _config_of(hub).items():
        if config:
            externals[id(obj)] = name
    return externals
