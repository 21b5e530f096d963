"""Drivers: carry the hub's due effects out through the adapters, and report back.

Both drivers share one pure dispatch (which adapter, which method) and one resolution path
(:meth:`OrderHub.resolve`); they differ only in calling the adapter directly or awaiting it.
An adapter that raises counts as a retryable failure. Neither sends the release of an order on
hold (:meth:`OrderHub.pending_effects` holds it back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orderhub._effects import Effect, EffectKind
from orderhub.ports import Failed, Outcome, Rejected, Succeeded

if TYPE_CHECKING:
    from orderhub._hub import OrderHub

__all__ = ["AsyncDriver", "SyncDriver"]


# Per effect kind, looked up once: the port that carries it out and the adapter method.
_PORT: dict[EffectKind, str] = {kind: kind.port for kind in EffectKind}
_METHOD: dict[EffectKind, str] = {kind: kind.value for kind in EffectKind}
_RELEASE = EffectKind.RELEASE_FULFILLMENT


def _adapter_for(
    effect: Effect, erps: Mapping[str, Any], fulfillment: Mapping[str, Any], finance: Any
) -> Any:
    port = _PORT[effect.kind]
    if port == "erp":
        return erps.get(effect.target)
    if port == "fulfillment":
        return fulfillment.get(effect.target, fulfillment.get("default"))
    return finance


def _as_outcome(result: object) -> Outcome:
    if isinstance(result, (Succeeded, Rejected, Failed)):
        return result
    return Failed(f"adapter returned {type(result).__name__}, not an Outcome")


def _fulfillment_map(fulfillment: Any) -> Mapping[str, Any]:
    if fulfillment is None:
        return {}
    if isinstance(fulfillment, Mapping):
        return dict(fulfillment)
    return {"default": fulfillment}


class SyncDriver:
    """Carries out due effects with synchronous adapters.

    ``erps`` maps ERP names (``Location.erp``) to :class:`~orderhub.ports.ErpAdapter`\\ s;
    ``fulfillment`` is one :class:`~orderhub.ports.FulfillmentAdapter` or a mapping from
    drop-ship vendor names (and ``"default"``) to adapters; ``finance`` receives the journal.
    """

    def __init__(
        self,
        hub: OrderHub,
        *,
        erps: Mapping[str, Any] | None = None,
        fulfillment: Any = None,
        finance: Any = None,
    ) -> None:
        self.hub = hub
        self.erps = dict(erps or {})
        self.fulfillment = _fulfillment_map(fulfillment)
        self.finance = finance

    def call(self, effect: Effect) -> Outcome:
        """Carry out one effect and return what came of it (never raises)."""
        adapter = _adapter_for(effect, self.erps, self.fulfillment, self.finance)
        if adapter is None:
            return Failed(f"no adapter registered for {effect.kind.port} {effect.target!r}")
        try:
            method = getattr(adapter, _METHOD[effect.kind])
            return _as_outcome(method(effect.payload, effect.idempotency_key))
        except Exception as e:  # an adapter that raises is a retryable failure
            return Failed(f"{type(e).__name__}: {e}")

    def run(self, max_rounds: int = 100) -> int:
        """Carry out every due effect, round after round, until none is due (effects
        waiting for a retry later on the clock, and releases of orders on hold, stay
        pending). Returns the calls made.

        A release whose order went on hold during the round (its sales order refused, say)
        is not sent: the effects are called one after the other, so the driver can ask."""
        calls = 0
        hub, call = self.hub, self.call
        held_back = hub._outbox.is_held_back
        for _ in range(max_rounds):
            due = hub.pending_effects()
            if not due:
                break
            resolve = hub.resolve
            for effect in due:
                if effect.kind is _RELEASE and held_back(effect.id):
                    continue
                # By id: the hub looks the effect up anyway, and a command log then holds
                # the id, not the superseded snapshot of the effect (payload and all).
                resolve(effect.id, call(effect))
                calls += 1
        return calls


class AsyncDriver:
    """Carries out due effects with asyncio adapters, concurrently within each round; the
    outcomes are fed back in the order the effects became due.

    A round's effects are sent together: a hold placed while they are in flight (by the
    host, or by the hub when a sales order of the same round is refused) cannot recall a
    release already sent; its answer is taken as usual (a release that lands on an order
    on hold resumes it as released)."""

    def __init__(
        self,
        hub: OrderHub,
        *,
        erps: Mapping[str, Any] | None = None,
        fulfillment: Any = None,
        finance: Any = None,
    ) -> None:
        self.hub = hub
        self.erps = dict(erps or {})
        self.fulfillment = _fulfillment_map(fulfillment)
        self.finance = finance

    async def call(self, effect: Effect) -> Outcome:
        """Carry out one effect and return what came of it (never raises)."""
        adapter = _adapter_for(effect, self.erps, self.fulfillment, self.finance)
        if adapter is None:
            return Failed(f"no adapter registered for {effect.kind.port} {effect.target!r}")
        try:
            method = getattr(adapter, _METHOD[effect.kind])
            return _as_outcome(await method(effect.payload, effect.idempotency_key))
        except Exception as e:  # an adapter that raises is a retryable failure
            return Failed(f"{type(e).__name__}: {e}")

    async def run(self, max_rounds: int = 100) -> int:
        """See :meth:`SyncDriver.run`."""
        calls = 0
        for _ in range(max_rounds):
            due = self.hub.pending_effects()
            if not due:
                break
            outcomes = await asyncio.gather(*(self.call(e) for e in due))
            for effect, outcome in zip(due, outcomes, strict=True):
                self.hub.resolve(effect.id, outcome)  # by id: see SyncDriver.run
                calls += 1
        return calls
