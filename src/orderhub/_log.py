"""The command log: every state-changing call on a hub, with the time and ids it consumed.

The hub's domain events say what happened; they are notifications and carry no personal
data. The command log says what was *asked*, with everything that made the answer what it
was — the arguments, each reading of the injected clock and each id the factories handed
out — so that replaying it onto an empty hub rebuilds an identical hub.

The log is kept by wrapping the hub's commands (and the mutating methods of the books it
owns) in one place, :func:`install`. Only the outermost call is logged: a command that
calls others is one entry. A call that raises is not logged (it changed nothing).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from orderhub.errors import InvalidSnapshot, ReplayDiverged, ValidationError
from orderhub.ports import Clock, Failed, IdFactory, Rejected, Succeeded

__all__ = ["LoggedCommand"]

_F = TypeVar("_F", bound=Callable[..., Any])


@attrs.frozen(kw_only=True)
class LoggedCommand:
    """One state-changing call on a hub, as the hub's command log keeps it.

    ``seq`` numbers the commands of a hub from 1 without gaps; ``target`` is where the call
    was made (``""`` for the hub, ``"stock"``, ``"catalog"``, ``"customers"`` … for the
    books it owns); ``name``, ``args`` and ``kwargs`` are the call. ``clock`` holds every
    reading of the hub's clock the command took, ``ids`` and ``numbers`` every id its id
    factory and document-number factory made, in order; ``events`` is how many domain
    events it appended to the hub's event log, and ``at`` when it ran.

    Arguments are kept as given (order requests included), so a command log holds personal
    data: store it as you store the orders themselves. :meth:`to_json` gives the JSON-safe
    form to store; :meth:`from_json` reads it back.
    """

    seq: int
    at: datetime
    target: str
    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    clock: tuple[datetime, ...] = ()
    ids: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    events: int = 0

    def to_json(self) -> dict[str, Any]:
        """This command as JSON-safe data: ``version`` (of this layout, so that a later
        orderhub can tell what it reads), ``seq`` and ``command`` in the clear (to filter
        and read), the rest written as a hub snapshot writes values."""
        from orderhub._snapshot import Unencodable, encode

        try:
            written = encode({name: getattr(self, name) for name in _FIELDS}, {})
        except Unencodable as exc:
            raise ValidationError(
                f"holds {type(exc.obj).__qualname__}, which is not data",
                field=".".join(exc.path[1:]) or "args",
            ) from None
        return {
            "version": _JSON_VERSION,
            "seq": self.seq,
            "command": f"{self.target}.{self.name}" if self.target else self.name,
            "names": written["names"],
            "fields": written["data"],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoggedCommand:
        """Read back what :meth:`to_json` wrote (an entry written before it carried a
        ``version`` reads as version 1, the same layout); raises
        :class:`~orderhub.errors.InvalidSnapshot` for anything else, and for a version
        this orderhub does not read."""
        from orderhub._snapshot import decode

        if not isinstance(data, Mapping) or set(data) - {"version"} != _JSON_KEYS:
            raise InvalidSnapshot(
                "must be what LoggedCommand.to_json wrote",
                field="command",
                value=sorted(data) if isinstance(data, Mapping) else type(data).__name__,
            )
        version = data.get("version", 1)
        if type(version) is not int or version != _JSON_VERSION:
            raise InvalidSnapshot(
                f"cannot be read by this version (reads {_JSON_VERSION})",
                field="version",
                value=version,
            )
        values = decode({"names": data["names"], "data": data["fields"]}, {})
        if not isinstance(values, dict) or set(values) != set(_FIELDS):
            raise InvalidSnapshot("must hold every field of a command", field="fields")
        for name, kind in _KINDS.items():
            value = values[name]
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                raise InvalidSnapshot(
                    f"must be {kind.__name__}", field=name, value=type(value).__name__
                )
        if values["seq"] < 1 or values["events"] < 0 or values["seq"] != data["seq"]:
            raise InvalidSnapshot("is not a valid sequence number", field="seq", value=data["seq"])
        return cls(**values)


_JSON_VERSION = 1  # of the layout LoggedCommand.to_json writes
_JSON_KEYS = frozenset({"seq", "command", "names", "fields"})
_FIELDS = ("seq", "at", "target", "name", "args", "kwargs", "clock", "ids", "numbers", "events")
_KINDS: dict[str, type] = {
    "seq": int,
    "at": datetime,
    "target": str,
    "name": str,
    "args": tuple,
    "kwargs": dict,
    "clock": tuple,
    "ids": tuple,
    "numbers": tuple,
    "events": int,
}


class _Recording:
    """Where the readings of one command go while it runs (or come from, in a replay)."""

    __slots__ = ("clock", "ids", "numbers", "replaying")

    def __init__(self, replay: LoggedCommand | None = None) -> None:
        self.replaying = replay is not None
        if replay is None:
            self.clock: list[datetime] = []
            self.ids: list[str] = []
            self.numbers: list[str] = []
        else:
            # Reversed, so that each reading is a cheap pop() from the end.
            self.clock = list(reversed(replay.clock))
            self.ids = list(reversed(replay.ids))
            self.numbers = list(reversed(replay.numbers))


# A logged command is kept as a row: one flat tuple (seq, at, target, name, events, kwargs,
# kinds, len(args), len(clock), len(ids), *args, *clock, *ids, *numbers). An outcome a
# driver reported (the argument of a resolve) is written as its text, and ``kinds`` says
# which arguments were outcomes ("S", "R", "F"; "." for any other; None when none was);
# no keyword arguments are written as None. A resolve's row then holds only strings,
# numbers and times, which CPython's garbage collector stops tracking the first time it
# sees the row (a tuple nested in it would take it more than one look): a driven hub
# resolves seven effects per order, and as LoggedCommand objects with their outcomes every
# full collection would walk them. (A row whose arguments hold objects — a request, an
# amount — stays tracked.) LoggedCommand is made when the log is read.
_Row = tuple[Any, ...]
_WRITE_OUTCOME: dict[type, tuple[str, str]] = {
    Succeeded: ("S", "reference"),
    Rejected: ("R", "reason"),
    Failed: ("F", "reason"),
}
_READ_OUTCOME: dict[str, Callable[[Any], Any]] = {"S": Succeeded, "R": Rejected, "F": Failed}


def _row(
    seq: int,
    at: datetime,
    target: str,
    name: str,
    events: int,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    clock: Sequence[datetime],
    ids: Sequence[str],
    numbers: Sequence[str],
) -> _Row:
    kinds = None
    written = args
    for i, arg in enumerate(args):
        outcome = _WRITE_OUTCOME.get(type(arg))
        if outcome is not None:
            if kinds is None:
                kinds, written = ["."] * len(args), list(args)
            kinds[i] = outcome[0]
            written[i] = getattr(arg, outcome[1])  # type: ignore[index]
    return (
        seq,
        at,
        target,
        name,
        events,
        dict(kwargs) if kwargs else None,
        None if kinds is None else "".join(kinds),
        len(args),
        len(clock),
        len(ids),
        *written,
        *clock,
        *ids,
        *numbers,
    )


def _command(row: _Row) -> LoggedCommand:
    seq, at, target, name, events, kwargs, kinds, n_args, n_clock, n_ids = row[:10]
    clock_at = 10 + n_args
    ids_at = clock_at + n_clock
    numbers_at = ids_at + n_ids
    args = row[10:clock_at]
    if kinds is not None:
        args = tuple(
            arg if kind == "." else _READ_OUTCOME[kind](arg)
            for kind, arg in zip(kinds, args, strict=True)
        )
    return LoggedCommand(
        seq=seq,
        at=at,
        target=target,
        name=name,
        args=args,
        kwargs={} if kwargs is None else dict(kwargs),
        clock=row[clock_at:ids_at],
        ids=row[ids_at:numbers_at],
        numbers=row[numbers_at:],
        events=events,
    )


class CommandLog:
    """The log of one hub: the next sequence number and the commands not yet forgotten
    (kept as rows; :meth:`commands` makes the :class:`LoggedCommand` objects)."""

    def __init__(self, clock: Clock, events: Sequence[object]) -> None:
        self.depth = 0
        self.seq = 0
        self.entries: list[_Row] = []
        self.current: _Recording | None = None
        self._clock = clock
        self._events = events

    def run(
        self, target: str, fn: Callable[..., Any], obj: object, args: tuple[Any, ...], kw: Any
    ) -> Any:
        """Run one outermost command and log it if it succeeded."""
        recording = self.current = _Recording()
        before = len(self._events)
        self.depth = 1
        try:
            result = fn(obj, *args, **kw)
        finally:
            self.depth = 0
            self.current = None
        changed = len(self._events) - before
        self.seq += 1
        self.entries.append(
            _row(
                self.seq,
                recording.clock[0] if recording.clock else self._clock.now(),
                target,
                fn.__name__,
                changed,
                args,
                kw,
                recording.clock,
                recording.ids,
                recording.numbers,
            )
        )
        return result

    def commands(self) -> tuple[LoggedCommand, ...]:
        """The commands not yet forgotten, oldest first."""
        return tuple(map(_command, self.entries))

    def replay_one(self, hub: Any, command: LoggedCommand) -> None:
        """Run ``command`` again on ``hub``, feeding it the readings it took the first time."""
        if command.seq != self.seq + 1:
            raise ReplayDiverged(
                f"expected command {self.seq + 1} next",
                field="seq",
                value=command.seq,
            )
        target = _resolve_target(hub, command.target)
        fn = next(
            (
                _ORIGINALS[(klass, command.name)]
                for klass in type(target).__mro__
                if (klass, command.name) in _ORIGINALS
            ),
            None,
        )
        if fn is None:
            raise ReplayDiverged(
                "not a logged command", field="name", value=f"{command.target}.{command.name}"
            )
        recording = self.current = _Recording(command)
        before = len(self._events)
        self.depth = 1
        try:
            fn(target, *command.args, **command.kwargs)
        except ReplayDiverged:
            raise
        except Exception as exc:
            raise ReplayDiverged(
                f"failed on replay: {exc}", field="seq", value=command.seq
            ) from exc
        finally:
            self.depth = 0
            self.current = None
        left = [
            name
            for name, readings in (
                ("clock", recording.clock),
                ("ids", recording.ids),
                ("numbers", recording.numbers),
            )
            if readings
        ]
        if left:
            raise ReplayDiverged(
                f"took fewer {'/'.join(left)} readings than logged", field="seq", value=command.seq
            )
        if len(self._events) - before != command.events:
            raise ReplayDiverged(
                f"produced {len(self._events) - before} events, {command.events} logged",
                field="seq",
                value=command.seq,
            )
        self.seq = command.seq
        self.entries.append(
            _row(
                command.seq,
                command.at,
                command.target,
                command.name,
                command.events,
                command.args,
                command.kwargs,
                command.clock,
                command.ids,
                command.numbers,
            )
        )

    def forget(self, through: int) -> None:
        """Drop the entries up to and including ``through`` (the host has stored them)."""
        self.entries = [row for row in self.entries if row[0] > through]


class LoggedClock:
    """The hub's view of the host's clock: readings inside a command are logged (or replayed)."""

    def __init__(self, inner: Clock, log: CommandLog | None = None) -> None:
        self.inner = inner
        self.log = log

    def now(self) -> datetime:
        log = self.log
        current = log.current if log is not None else None
        if current is None:
            return self.inner.now()
        if current.replaying:
            if not current.clock:
                raise ReplayDiverged("took more clock readings than logged", field="clock")
            return current.clock.pop()
        value = self.inner.now()
        current.clock.append(value)
        return value


class LoggedIds:
    """The hub's view of an id factory: ids made inside a command are logged (or replayed)."""

    def __init__(self, inner: IdFactory, slot: str, log: CommandLog | None = None) -> None:
        self.inner = inner
        self.slot = slot
        self.log = log

    def new_id(self, kind: str) -> str:
        log = self.log
        current = log.current if log is not None else None
        if current is None:
            return self.inner.new_id(kind)
        readings: list[str] = getattr(current, self.slot)
        if current.replaying:
            if not readings:
                raise ReplayDiverged(f"took more {self.slot} than logged", field=self.slot)
            return readings.pop()
        value = self.inner.new_id(kind)
        readings.append(value)
        return value


# -- installing the log on the hub's commands ------------------------------------------------

_ORIGINALS: dict[tuple[type, str], Callable[..., Any]] = {}


def _resolve_target(hub: Any, target: str) -> Any:
    obj = hub
    for part in target.split(".") if target else ():
        obj = getattr(obj, part)
    return obj


def _logged(target: str, fn: _F, idle: Callable[[Any], bool] | None = None) -> _F:
    @functools.wraps(fn)
    def command(self: Any, *args: Any, **kwargs: Any) -> Any:
        log: CommandLog | None = self._command_log
        if log is None or log.depth or (idle is not None and idle(self)):
            return fn(self, *args, **kwargs)
        return log.run(target, fn, self, args, kwargs)

    return command  # type: ignore[return-value]


Idle = Callable[[Any], bool]


def install(commands: Mapping[type, tuple[str, tuple[str | tuple[str, Idle], ...]]]) -> None:
    """Wrap the named methods of each class so that outermost calls are logged.

    ``commands`` maps a class to where the hub keeps it (``""`` for the hub itself) and the
    names of its state-changing methods; a name may come with a test that says the call
    has nothing to do (it then runs unlogged). Instances not owned by a hub have no log.
    """
    for cls, (target, entries) in commands.items():
        if "_command_log" not in cls.__dict__:
            cls._command_log = None  # type: ignore[attr-defined]
        for entry in entries:
            name, idle = (entry, None) if isinstance(entry, str) else entry
            if (cls, name) in _ORIGINALS:
                continue
            attr = inspect.getattr_static(cls, name)
            if isinstance(attr, property):  # a setting: log the setter
                assert attr.fset is not None
                _ORIGINALS[(cls, name)] = attr.fset
                wrapped = property(attr.fget, _logged(target, attr.fset), attr.fdel, attr.__doc__)
                setattr(cls, name, wrapped)
                continue
            fn = getattr(cls, name)
            _ORIGINALS[(cls, name)] = fn
            setattr(cls, name, _logged(target, fn, idle))


def check_position(position: object) -> int:
    """A log position from outside (a snapshot, a caller): a non-negative int."""
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ValidationError("must be a non-negative int", field="through", value=position)
    return position
