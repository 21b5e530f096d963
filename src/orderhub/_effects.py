"""Effects: every outside action the hub wants done, as data in an outbox.

The hub core never calls an adapter. It records an :class:`Effect` (what, for which
adapter, with which payload and idempotency key); a driver carries it out and reports the
:data:`~orderhub.ports.Outcome` back through :meth:`OrderHub.resolve` — the one resolution
path for the synchronous and the asyncio driver alike.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from sortedcontainers import SortedList

from orderhub._statemachine import evolver
from orderhub.errors import ValidationError

__all__ = [
    "Effect",
    "EffectKind",
    "EffectStatus",
    "Outbox",
    "RetryPolicy",
    "evolve_effect",
    "lazy_effect",
]


class EffectKind(enum.Enum):
    """What an effect asks the outside world to do."""

    SUBMIT_ORDER = "submit_order"
    CANCEL_ORDER = "cancel_order"
    POST_INVOICE = "post_invoice"
    POST_CREDIT_NOTE = "post_credit_note"
    POST_PAYMENT = "post_payment"
    UPSERT_CUSTOMER = "upsert_customer"
    RELEASE_FULFILLMENT = "release"
    CANCEL_FULFILLMENT = "cancel"
    POST_JOURNAL_ENTRY = "post_journal_entry"

    @property
    def port(self) -> str:
        """Which kind of adapter carries it out: ``erp``, ``fulfillment`` or ``finance``."""
        if self in (EffectKind.RELEASE_FULFILLMENT, EffectKind.CANCEL_FULFILLMENT):
            return "fulfillment"
        if self is EffectKind.POST_JOURNAL_ENTRY:
            return "finance"
        return "erp"


class EffectStatus(enum.Enum):
    """Where an effect is."""

    PENDING = "pending"
    """Not done yet: due at ``next_attempt_at``."""
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    """The outside system refused; the hub compensated."""
    ABANDONED = "abandoned"
    """The retry policy gave up; the hub compensated."""
    CANCELLED = "cancelled"
    """No longer wanted, and never to be sent (again): the release of a fulfilment order
    cancelled while its order was on hold. The location is sent a cancel only if it may
    have had the release: an attempt was made, or an answer for one comes in later."""


class _Built:
    """Where an effect the hub emits keeps the builder of its payload (not an attrs field:
    invisible to equality, ``repr``, :func:`attrs.evolve` and the serialization of
    effects)."""

    __slots__ = ("_build",)


@attrs.frozen(kw_only=True)
class Effect(_Built):
    """One outside action: ``kind`` for the adapter named ``target`` (an ERP name, a
    fulfilment adapter name, or ``"finance"``), about ``subject_id`` (the document), with a
    JSON-safe ``payload`` and an ``idempotency_key`` that never changes across retries.

    ``payload`` is the mapping given to ``Effect(...)``; the hub's own effects keep instead
    the frozen documents it is made from, as they were when the effect was emitted, and
    build it on each access (so read it once and keep it in a variable). Equality and
    ``repr`` ignore the payload.
    """

    id: str
    kind: EffectKind
    target: str
    subject_id: str
    payload: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    idempotency_key: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    status: EffectStatus = EffectStatus.PENDING
    reference: str | None = None
    last_error: str | None = None


_Builder = Callable[[Any], Mapping[str, Any]]
_raw = Effect.__dict__["payload"]  # the slot: the mapping given, or what the hub builds from
_get_raw: Callable[[Effect], Any] = _raw.__get__
_set_raw: Callable[[Effect, Any], None] = _raw.__set__
_get_build: Callable[[Effect], _Builder] = _Built.__dict__["_build"].__get__
_set_build: Callable[[Effect, _Builder], None] = _Built.__dict__["_build"].__set__


class _Payload:
    """The JSON-safe payload to send: the mapping given, or, for the hub's own effects, built
    afresh on each access from the documents as they were when the effect was emitted (read
    it once and keep it in a variable)."""

    __slots__ = ()

    def __get__(self, effect: Effect | None, owner: type | None = None) -> Any:
        if effect is None:
            return self
        source = _get_raw(effect)
        try:
            build = _get_build(effect)
        except AttributeError:  # an effect made by Effect(...): its payload as given
            return source
        if isinstance(source, Mapping):  # a payload read back from a snapshot
            return source
        return build(source)

    def __set__(self, effect: Effect, value: Any) -> None:
        _set_raw(effect, value)


# The field's slot stays where the value is kept; reading it goes through _Payload.
setattr(Effect, "payload", _Payload())  # noqa: B010  (for mypy the field keeps its type)


def lazy_effect(source: Any, build: _Builder, **fields: Any) -> Effect:
    """An effect whose payload ``build`` makes from ``source`` (frozen documents) when read."""
    effect = Effect(payload=source, **fields)
    _set_build(effect, build)
    return effect


_evolve = evolver(Effect)


def evolve_effect(effect: Effect, **changes: Any) -> Effect:
    """:func:`attrs.evolve` for effects, keeping a payload built on access as it is (where
    ``attrs.evolve`` reads the payload, so builds it)."""
    new = _evolve(effect, payload=_get_raw(effect), **changes)
    build = getattr(effect, "_build", None)  # unset on an effect made by Effect(...)
    if build is not None:
        _set_build(new, build)
    return new


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Exponential backoff with a cap: attempt *n* failed → wait ``first_delay`` ×
    ``factor``^(n−1), at most ``max_delay``; after ``max_attempts`` failures, give up."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    factor: int = 2
    max_delay: timedelta = timedelta(hours=1)

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or (self.max_attempts < 1)
        ):
            raise ValidationError(
                "must be a positive int", field="max_attempts", value=self.max_attempts
            )
        if isinstance(self.factor, bool) or not isinstance(self.factor, int) or self.factor < 1:
            raise ValidationError("must be a positive int", field="factor", value=self.factor)
        for name in ("first_delay", "max_delay"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ValidationError("must be a non-negative timedelta", field=name, value=value)

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failure."""
        grown: timedelta = self.first_delay * self.factor ** max(0, attempts - 1)
        return min(grown, self.max_delay)

    def gives_up(self, attempts: int) -> bool:
        """True when ``attempts`` failures are all the policy allows."""
        return attempts >= self.max_attempts


_HELD_BACK = datetime.max.replace(tzinfo=UTC)
"""Where the due index files a pending effect that is held back (the release of an order on
hold): after every time a clock can read, so :meth:`Outbox.due` never reaches it."""


class Outbox:
    """The effects of the hub, with the pending ones indexed by when they are due.

    A pending effect can be *held back* (:meth:`hold_back`): it stays pending with its own
    ``next_attempt_at``, but is filed in the due index under :data:`_HELD_BACK` until
    :meth:`let_go`, so that finding the due effects never walks past it.

    An effect that settles keeps its last pending version, and what changed — status,
    attempts, reference, error — as a row of plain values in ``_settled``; the settled
    :class:`Effect` is made when asked for. Each effect of a hub settles once, and a
    second object per effect, kept for good, is what CPython's collector would walk on
    every full collection (seven per order) while the pending version had already been
    kept long enough to be walked too.
    """

    def __init__(self) -> None:
        self._effects: dict[str, Effect] = {}
        self._settled: dict[str, tuple[str, int, str | None, str | None]] = {}
        self._by_key: dict[str, str] = {}
        self._due: SortedList = SortedList()  # (next_attempt_at or _HELD_BACK, seq, id)
        self._seq: dict[str, int] = {}

    def add(self, effect: Effect) -> Effect:
        """Queue ``effect``; an effect with the same idempotency key is not queued twice."""
        first = self._by_key.get(effect.idempotency_key)
        if first is not None:
            known = self.get(first)
            assert known is not None
            return known
        self._effects[effect.id] = effect
        self._by_key[effect.idempotency_key] = effect.id
        self._seq[effect.id] = len(self._seq)
        self._due.add((effect.next_attempt_at, self._seq[effect.id], effect.id))
        return effect

    def put(self, before: Effect, after: Effect) -> None:
        """Store the new snapshot of an effect and keep the due index in step. An ``after``
        that settles the stored pending ``before`` and changes nothing else than status,
        attempts, reference and last error (as :meth:`OrderHub.resolve` settles effects)
        is kept as a row; any other is kept as it is."""
        effect_id = after.id
        held = False
        if before.status is EffectStatus.PENDING:
            seq = self._seq[before.id]
            try:
                self._due.remove((before.next_attempt_at, seq, before.id))
            except ValueError:  # held back: it stays held back while it is pending
                held = (_HELD_BACK, seq, before.id) in self._due
                self._due.discard((_HELD_BACK, seq, before.id))
        if after.status is EffectStatus.PENDING:
            self._settled.pop(effect_id, None)
            self._effects[effect_id] = after
            when = _HELD_BACK if held else after.next_attempt_at
            self._due.add((when, self._seq[effect_id], effect_id))
        elif self._effects.get(effect_id) is before and _only_settles(before, after):
            self._settled[effect_id] = (
                after.status.value,
                after.attempts,
                after.reference,
                after.last_error,
            )
        else:
            self._settled.pop(effect_id, None)
            self._effects[effect_id] = after

    def hold_back(self, effect_id: str) -> None:
        """Keep the pending effect ``effect_id`` from coming due until :meth:`let_go`;
        holding back an effect already held back, or settled, changes nothing."""
        effect = self._effects.get(effect_id)
        if effect is None or effect_id in self._settled:
            return
        seq = self._seq[effect_id]
        entry = (effect.next_attempt_at, seq, effect_id)
        if entry in self._due:
            self._due.remove(entry)
            self._due.add((_HELD_BACK, seq, effect_id))

    def let_go(self, effect_id: str) -> None:
        """Let a held-back effect come due again at its own ``next_attempt_at`` (at once if
        that has passed); an effect not held back is left as it is."""
        seq = self._seq.get(effect_id)
        if seq is None or (_HELD_BACK, seq, effect_id) not in self._due:
            return
        self._due.remove((_HELD_BACK, seq, effect_id))
        self._due.add((self._effects[effect_id].next_attempt_at, seq, effect_id))

    def is_held_back(self, effect_id: str) -> bool:
        """True when ``effect_id`` is pending and held back. Cheap when nothing is held
        back (the common case): held-back effects are last in the due index."""
        due = self._due
        if not due or due[-1][0] != _HELD_BACK:
            return False
        seq = self._seq.get(effect_id)
        return seq is not None and (_HELD_BACK, seq, effect_id) in due

    def pending_with_key(self, key: str) -> Effect | None:
        """The pending effect queued under idempotency key ``key``, or None (there is none,
        or it has settled)."""
        effect_id = self._by_key.get(key)
        if effect_id is None or effect_id in self._settled:
            return None
        effect = self._effects[effect_id]
        return effect if effect.status is EffectStatus.PENDING else None

    def with_key(self, key: str) -> Effect | None:
        """The effect queued under idempotency key ``key``, whatever its status, or None."""
        effect_id = self._by_key.get(key)
        return None if effect_id is None else self.get(effect_id)

    def get(self, effect_id: str) -> Effect | None:
        """The effect ``effect_id``, or None."""
        effect = self._effects.get(effect_id)
        settled = self._settled.get(effect_id)
        return effect if settled is None or effect is None else _as_settled(effect, settled)

    def due(self, now: datetime) -> tuple[Effect, ...]:
        """The pending effects due at ``now``, in the order they became due."""
        out = []
        for when, _, effect_id in self._due:
            if when > now:
                break
            out.append(self._effects[effect_id])
        return tuple(out)

    def pending(self) -> tuple[Effect, ...]:
        """Every pending effect, due or not, soonest first (the held-back ones last)."""
        return tuple(self._effects[e[2]] for e in self._due)

    def __iter__(self) -> Iterator[Effect]:
        settled = self._settled
        if not settled:
            return iter(self._effects.values())
        return (
            e if e.id not in settled else _as_settled(e, settled[e.id])
            for e in self._effects.values()
        )

    def __len__(self) -> int:
        return len(self._effects)


def _only_settles(before: Effect, after: Effect) -> bool:
    """True when ``after`` is ``before`` settled: only what a settled row keeps differs."""
    return (
        before.status is EffectStatus.PENDING
        and after.id == before.id
        and after.kind is before.kind
        and after.target == before.target
        and after.subject_id == before.subject_id
        and after.idempotency_key == before.idempotency_key
        and after.created_at == before.created_at
        and after.next_attempt_at == before.next_attempt_at
        and _get_raw(after) is _get_raw(before)
        and getattr(after, "_build", None) is getattr(before, "_build", None)
    )


def _as_settled(pending: Effect, row: tuple[str, int, str | None, str | None]) -> Effect:
    status, attempts, reference, last_error = row
    return evolve_effect(
        pending,
        status=EffectStatus(status),
        attempts=attempts,
        reference=reference,
        last_error=last_error,
    )
