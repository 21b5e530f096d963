"""Routing's fast path (a single location found without gathering every candidate, and the
nearest found from remembered unit vectors) plans exactly what the plain path plans."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings

from orderhub import GeoPoint, _routing_rules, _routing_run
from orderhub import routing as r
from orderhub._network import Location, LocationKind
from orderhub.routing import ByDistance
from test_routing_properties import Scenario, scenarios


def _plain_plan(s: Scenario, monkeypatch: pytest.MonkeyPatch) -> r.RoutingPlan:
    with monkeypatch.context() as m:
        m.setattr(_routing_run, "_can_defer", lambda view, filters: False)
        m.setattr(_routing_run, "_nearest_candidates", lambda locations, order: locations)
        return s.plan()


@settings(max_examples=500)
@given(scenarios())
def test_the_fast_path_plans_what_the_plain_path_plans(s: Scenario) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        plain = _plain_plan(s, monkeypatch)

    assert s.plan() == plain


def _location(i: int, lat: float, lon: float) -> Location:
    return Location(id=f"loc-{i:02d}", kind=LocationKind.DC, geo=GeoPoint(lat, lon))


class _Order:
    """Just what the distance ranker reads of an order: its ship-to's position."""

    def __init__(self, geo: GeoPoint) -> None:
        self.ship_to = type("ShipTo", (), {"geo": geo})()


def _exact_nearest(locations: list[Location], order: _Order) -> Location:
    ranker = ByDistance()
    return min(locations, key=lambda loc: (ranker.key(loc, order, None), loc.id))  # type: ignore[arg-type]


@pytest.mark.parametrize("antipode", [False, True])
@pytest.mark.parametrize("spread", [1e-12, 1e-9, 1e-6, 1e-3, 1.0, 30.0])
def test_nearest_candidates_keep_the_exact_nearest(spread: float, antipode: bool) -> None:
    """Clusters of near-equal distances, tiny and near-antipodal ones included: the
    candidates always hold the location that ranking every location by its exact key picks."""
    rnd = random.Random(f"{spread}-{antipode}")
    for _ in range(300):
        lat0, lon0 = rnd.uniform(-80, 80), rnd.uniform(-170, 170)
        order = _Order(GeoPoint(lat0, lon0))
        if antipode:
            lat0, lon0 = -lat0, lon0 - 180 if lon0 > 0 else lon0 + 180
        locations = [
            _location(
                i,
                max(-90.0, min(90.0, lat0 + spread * rnd.uniform(-1, 1))),
                max(-180.0, min(180.0, lon0 + spread * rnd.uniform(-1, 1))),
            )
            for i in range(rnd.randint(1, 12))
        ]
        twin = locations[rnd.randrange(len(locations))].geo
        assert twin is not None
        locations.append(_location(99, twin.latitude, twin.longitude))

        kept = _routing_rules._nearest_candidates(locations, order)  # type: ignore[arg-type]

        assert _exact_nearest(locations, order) in kept
