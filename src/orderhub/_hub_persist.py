"""Persistence of the hub, owned by the host: snapshots, restore, and the command log.

Two ways to get a hub back, and hosts use both: a *snapshot* is the whole hub as JSON-safe
data (restore it and carry on); the *command log* is every state-changing call since, with
the clock readings and ids it took (replay it onto the restored hub, or onto an empty one,
and you have the identical hub). Snapshot every so often, keep the log since the last
snapshot, and :meth:`forget_commands` what a snapshot covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orderhub import _snapshot, _snapshot_codec
from orderhub._log import CommandLog, LoggedCommand, check_position
from orderhub.errors import InvalidSnapshot, ValidationError

if TYPE_CHECKING:
    from orderhub._hub import OrderHub
    from orderhub._insight_segments import Segment
    from orderhub._queue import QueuePriority
    from orderhub._tax import TaxPolicy
    from orderhub.ports import Clock, IdFactory, RevenuePolicy, RoutingStrategy

__all__ = ["PersistCommands"]

# The host's code a hub holds: written as {"$ext": name}; the snapshot also holds the
# configured object itself when it is orderhub's own (so restore needs it passed only when
# the host wrote it).
_CONFIG = ("routing", "queue_priority", "tax", "revenue_policy")

# The readers of each snapshot version: 1 wrote tagged JSON objects, 2 writes arrays.
_READERS: dict[int, Callable[[Any, Mapping[str, Any]], Any]] = {
    1: _snapshot.decode,
    _snapshot.SCHEMA_VERSION: _snapshot_codec.decode,
}


def _config_of(hub: Any) -> dict[str, Any]:
    return {
        "routing": hub._alloc.routing,
        "queue_priority": hub._queue._priority,
        "tax": hub._tax,
        "revenue_policy": hub._revenue_policy,
    }


class PersistCommands:
    """Snapshot, restore, replay and the command log of :class:`~orderhub.OrderHub`."""

    _command_log: CommandLog

    # -- the command log ---------------------------------------------------------------------

    @property
    def command_log(self) -> tuple[LoggedCommand, ...]:
        """The commands logged and not yet forgotten, oldest first (see :class:`LoggedCommand`)."""
        return self._command_log.commands()

    @property
    def log_position(self) -> int:
        """The ``seq`` of the last command this hub ran (0 for a new hub)."""
        return self._command_log.seq

    def forget_commands(self, through: int) -> None:
        """Drop logged commands up to ``seq`` ``through``: the host has stored them.

        The hub keeps its command log in memory until told; a host that appends each
        command to its own store (or takes a snapshot) forgets what is safe.
        """
        self._command_log.forget(check_position(through))

    def replay(self, commands: Iterable[LoggedCommand]) -> None:
        """Run logged commands again, in order, continuing this hub's log.

        On an empty hub configured as the original was, replaying the original's whole log
        rebuilds an identical hub (same books, events, outbox and snapshot); on a hub
        restored from a snapshot, replaying the commands after the snapshot's
        :attr:`log_position` brings it up to date. Each command gets the clock readings and
        ids it took the first time. Raises :class:`~orderhub.errors.ReplayDiverged`, at the
        first command that does not do what the log says, if this hub's code or
        configuration is not the one that wrote the log; the commands before it stay
        applied.
        """
        log = self._command_log
        if log.depth:
            raise ValidationError("cannot replay inside a command", field="commands")
        for command in commands:
            if not isinstance(command, LoggedCommand):
                raise ValidationError(
                    "must be LoggedCommand entries", field="commands", value=type(command)
                )
            log.replay_one(self, command)

    # -- snapshots -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole hub as JSON-safe data (``json.dumps`` takes it as it is).

        Holds every book — orders, customers, catalog, network, stock and reservations,
        fulfilment orders, shipments, invoices, receivables, journal, outbox, insight — and
        the event log, with a ``schema`` and ``version``; not the command log's entries
        (the host stores those as they come; ``position`` says where the snapshot stands
        in it). Code is not data: the clock and id factories, and any routing strategy,
        queue priority, tax or revenue policy or segment test that is not orderhub's own,
        are named under ``"code"`` and passed again to :meth:`restore`.
        """
        log = self._command_log
        if log.depth:
            raise ValidationError("cannot snapshot inside a command", field="snapshot")
        hub: Any = self
        externals: dict[int, str] = {
            id(hub._clock.inner): "clock",
            id(hub._ids.inner): "ids",
            id(log.entries): "commands",
        }
        config: dict[str, Any] = {}
        code: list[str] = []
        if id(hub._numbers.inner) not in externals:
            externals[id(hub._numbers.inner)] = "numbers"
            code.append("numbers")
        for name, obj in _config_of(hub).items():
            try:
                config[name] = _snapshot_codec.encode(obj, externals)
            except _snapshot.Unencodable:
                config[name] = None
                code.append(name)
            externals[id(obj)] = name
        for segment in hub.insights._segments.values():
            try:
                _snapshot_codec.encode(segment.test, externals)
            except _snapshot.Unencodable:
                externals.setdefault(id(segment.test), f"segment:{segment.name}")
                code.append(f"segment:{segment.name}")
        try:
            written = _snapshot_codec.encode(self, externals)
        except _snapshot.Unencodable as exc:
            raise InvalidSnapshot(
                f"holds {type(exc.obj).__qualname__}, which is neither data nor known code",
                field=".".join(exc.path),
            ) from None
        return {
            "schema": _snapshot.SCHEMA,
            "version": _snapshot.SCHEMA_VERSION,
            "position": log.seq,
            "code": code,
            "config": config,
            "names": written["names"],
            "hub": written["data"],
        }

    @classmethod
    def restore(
        cls,
        data: Mapping[str, Any],
        *,
        clock: Clock,
        ids: IdFactory,
        numbers: IdFactory | None = None,
        routing: RoutingStrategy | None = None,
        queue_priority: QueuePriority | None = None,
        tax: TaxPolicy | None = None,
        revenue_policy: RevenuePolicy | None = None,
        segments: Sequence[Segment] = (),
    ) -> OrderHub:
        """Rebuild a hub from :meth:`snapshot` data; it carries on where the original stood.

        ``clock`` and ``ids`` (and ``numbers``, if the original had its own document-number
        factory) are the host's, as for a new hub. The ids they make must not repeat ids
        the original made. ``routing``, ``queue_priority``, ``tax`` and ``revenue_policy``
        replace the configured ones (they must be passed when the snapshot names them
        under ``"code"``); ``segments`` supplies the tests of segments whose test is code,
        by name. Effects pending in the snapshot are pending in the restored hub: hand it
        to a driver with the adapters and it goes on. Raises
        :class:`~orderhub.errors.InvalidSnapshot` for data that is not a snapshot this
        version reads, or code it needs that was not passed.
        """
        if not isinstance(data, Mapping):
            raise InvalidSnapshot("must be a mapping", field="data", value=type(data).__name__)
        if data.get("schema") != _snapshot.SCHEMA:
            raise InvalidSnapshot(
                "is not an orderhub hub snapshot", field="schema", value=data.get("schema")
            )
        version = data.get("version")
        if version not in _READERS or type(version) is not int:
            raise InvalidSnapshot(
                f"cannot be read by this version (reads 1 to {_snapshot.SCHEMA_VERSION})",
                field="version",
                value=version,
            )
        decode = _READERS[version]
        externals: dict[str, Any] = {"clock": clock, "ids": ids, "commands": []}
        if numbers is not None:
            externals["numbers"] = numbers
        given = {
            "routing": routing,
            "queue_priority": queue_priority,
            "tax": tax,
            "revenue_policy": revenue_policy,
        }
        config = data.get("config", {})
        for name in _CONFIG:
            if given[name] is not None:
                externals[name] = given[name]
            elif isinstance(config, Mapping) and config.get(name) is not None:
                externals[name] = decode(config[name], externals)
        for segment in segments:
            externals[f"segment:{segment.name}"] = segment.test
        missing = [str(n) for n in data.get("code", ()) if str(n) not in externals]
        if missing:
            raise InvalidSnapshot(
                "names code that must be passed to restore", field="code", value=missing
            )
        hub = decode({"names": data.get("names"), "data": data.get("hub")}, externals)
        if not isinstance(hub, cls):
            raise InvalidSnapshot("does not hold a hub", field="hub", value=type(hub).__name__)
        restored: OrderHub = hub  # type: ignore[assignment]
        _check_layout(restored)
        try:
            restored._rebuild_derived()
        except (AttributeError, TypeError):
            raise InvalidSnapshot("holds books this version cannot index", field="hub") from None
        restored._hold_back_releases_of_held_orders()
        return restored


def _check_layout(hub: Any) -> None:
    """Refuse a hub laid out as before settled effects and stock positions were kept as
    rows (a development version's snapshot): it would restore, then fail on first use."""
    pairs = all(type(p) is tuple for at in hub.stock._positions.values() for p in at.values())
    if not hasattr(hub._outbox, "_settled") or not pairs:
        raise InvalidSnapshot(
            "was written by an earlier development version of orderhub, whose books are "
            "laid out differently: rebuild the hub by replaying its command log",
            field="hub",
        )
