"""Fuzz the payload boundary: arbitrary and mutated JSON into ``structure()`` and the hub.

Every case picks a public attrs type of ``orderhub.__all__`` and a JSON document: either
arbitrary JSON (``st.recursive``) or a valid payload (``unstructure`` of a strategy-drawn
value) with one node changed — replaced, deleted, or given an extra key. It is fed to
``structure(doc, type)``; for ``OrderRequest`` what structures is then captured into one
long-lived hub. Anything raised that is not an ``OrderhubError`` is a finding; so is a
rejected capture that changed the hub (events, orders, customers, queue).

Usage: python bench/fuzz_payloads.py [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import attrs
from _common import target
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import orderhub
from orderhub import Item, Money, OrderHub, OrderRequest
from orderhub.errors import OrderhubError
from orderhub.serialization import structure, unstructure
from orderhub.testing import FixedClock, SequentialIds

PUBLIC_TYPES: list[type] = sorted(
    (
        obj
        for name in orderhub.__all__
        if isinstance(obj := getattr(orderhub, name), type) and attrs.has(obj)
    ),
    key=lambda t: t.__name__,
)
"""Every public attrs type: the targets of ``structure``."""

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["USD", "JPY", "1.50", "2026-03-02", "2026-03-02T09:00:00+00:00", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
"""Arbitrary JSON values (floats with NaN and infinities, huge integers, ISO-ish strings)."""


def _valid_types() -> list[type]:
    """The public types ``orderhub.testing.strategies`` registers (``st.from_type`` draws them)."""
    from hypothesis.strategies._internal.types import _global_type_lookup

    from orderhub.testing.strategies import register_type_strategies

    register_type_strategies()
    return [t for t in PUBLIC_TYPES if t in _global_type_lookup]


def _paths(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path in a JSON document (the root is ``()``)."""
    out = [here]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*here, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], how: str, new: Any) -> Any:
    """A copy of ``doc`` with the node at ``path`` replaced, deleted or given an extra key."""
    if not path:
        if how == "extra" and isinstance(doc, dict):
            return {**doc, "unexpected": new}
        return new
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        if not rest and how == "delete":
            return {k: v for k, v in doc.items() if k != head}
        return {**doc, head: _mutate(doc[head], rest, how, new)}
    copy = list(doc)
    if not rest and how == "delete":
        del copy[head]
        return copy
    copy[head] = _mutate(copy[head], rest, how, new)
    return copy


@st.composite
def cases(draw: st.DrawFn, valid_types: list[type]) -> tuple[str, type, Any]:
    """(kind, target type, JSON document): arbitrary, or a valid payload with one node changed."""
    if valid_types and draw(st.booleans()):
        t = draw(st.sampled_from(valid_types))
        doc = unstructure(draw(st.from_type(t)))
        path = draw(st.sampled_from(_paths(doc)))
        how = draw(st.sampled_from(("replace", "delete", "extra", "keep")))
        if how == "keep":
            return "valid", t, doc
        return f"mutated-{how}", t, _mutate(doc, path, how, draw(JSON))
    return "arbitrary", draw(st.sampled_from(PUBLIC_TYPES)), draw(JSON)


def _hub() -> OrderHub:
    hub = OrderHub(clock=FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC)), ids=SequentialIds())
    hub.catalog.add(Item(sku="TENT", description="tent", price=Money("149.00", "USD")))
    return hub


def _snapshot(hub: OrderHub) -> tuple[Any, ...]:
    """A cheap picture of the hub: events, orders, customers, queue."""
    return (len(hub.events), len(tuple(hub.orders())), len(hub.customers), hub.queued())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args()

    valid_types = _valid_types()
    hub = _hub()
    tried: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    findings: list[str] = []
    changed: list[str] = []
    first: dict[str, str] = {}

    def report(what: str, t: type, doc: Any) -> None:
        error = sys.exc_info()[1]
        key = f"{what}({t.__name__}) raised {type(error).__name__}: {error}"
        findings.append(key)
        if key not in first:
            first[key] = f"{traceback.format_exc(limit=-2)}  payload: {doc!r:.300}"

    @seed(args.seed)
    @settings(
        database=None,
        max_examples=args.cases,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(valid_types))
    def run(case: tuple[str, type, Any]) -> None:
        kind, t, doc = case
        tried[kind] += 1
        try:
            value = structure(doc, t)
        except OrderhubError:
            outcomes["structure refused"] += 1
            return
        except Exception:
            report("structure", t, doc)
            return
        outcomes["structured"] += 1
        if t is not OrderRequest:
            return
        before = _snapshot(hub)
        try:
            hub.capture(value)
        except OrderhubError:
            outcomes["capture refused"] += 1
            if _snapshot(hub) != before:
                changed.append(f"a refused capture changed the hub: {doc!r:.300}")
        except Exception:
            report("capture", t, doc)
        else:
            outcomes["captured"] += 1

    t0 = time.perf_counter()
    run()
    elapsed = time.perf_counter() - t0
    total = sum(tried.values())
    print(
        f"types: {len(PUBLIC_TYPES)} public attrs types, {len(valid_types)} with strategies "
        f"for mutated valid payloads"
    )
    print(f"cases tried: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s), seed {args.seed}")
    for kind, n in sorted(tried.items()):
        print(f"  {kind}: {n}")
    for what, n in sorted(outcomes.items()):
        print(f"  {what}: {n}")
    for key, n in Counter(findings).most_common(20):
        print(f"NON-ORDERHUB ERROR ×{n}: {key}\n{first[key]}")
    for c in changed[:20]:
        print("HUB CHANGED:", c)
    target("fuzz_non_orderhub_errors", str(len(findings)), "0", not findings)
    refused = outcomes["capture refused"]
    target(
        "fuzz_hub_unchanged",
        f"{refused - len(changed)}/{refused} refused captures left the hub unchanged",
        "all",
        not changed,
    )
    return 0 if not findings and not changed else 1


if __name__ == "__main__":
    sys.exit(main())
