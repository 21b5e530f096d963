"""State machines as data: one table of legal transitions per lifecycle; and the one way
the aggregates make their next snapshot (:func:`evolver`)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar

import attrs

from orderhub.errors import IllegalTransition, ValidationError

__all__ = ["StateTable", "conforms", "evolver", "replacer"]

S = TypeVar("S", bound=enum.Enum)
T = TypeVar("T")

_NONE: Final[frozenset[Any]] = frozenset()


def evolver(cls: type[T]) -> Callable[..., T]:
    """``attrs.evolve`` for instances of ``cls``, compiled once for the class.

    ``replace(inst, **changes)`` is ``cls(...)`` with every ``__init__`` argument taken from
    ``inst`` except those in ``changes``: the class's own ``__init__`` runs, so every
    converter, validator and check runs exactly as with :func:`attrs.evolve` (an unknown
    name is a ``TypeError`` too). It only skips ``evolve``'s look-up of the fields on every
    call, which the hot paths of the hub pay thousands of times per batch. An instance of a
    subclass goes through :func:`attrs.evolve`.
    """
    fields = [a for a in attrs.fields(cls) if a.init]  # type: ignore[arg-type]
    params = (", *" if fields else "") + "".join(f", {a.alias}=_M" for a in fields)
    args = ", ".join(f"{a.alias}=inst.{a.name} if {a.alias} is _M else {a.alias}" for a in fields)
    given = "".join(f"({a.alias!r}, {a.alias}), " for a in fields)
    source = (
        f"def replace(inst, /{params}):\n"
        "    if inst.__class__ is not cls:\n"
        f"        changes = {{k: v for k, v in ({given}) if v is not _M}}\n"
        "        return _evolve(inst, **changes)\n"
        f"    return cls({args})\n"
    )
    namespace: dict[str, Any] = {"cls": cls, "_M": object(), "_evolve": attrs.evolve}
    exec(compile(source, f"<evolver {cls.__qualname__}>", "exec"), namespace)
    replace: Callable[..., T] = namespace["replace"]
    replace.__doc__ = f"attrs.evolve for {cls.__qualname__} (see orderhub._statemachine.evolver)."
    return replace


def replacer(cls: type[T], *names: str) -> Callable[..., T]:
    """``attrs.evolve(inst, **dict(zip(names, values)))`` as ``replace(inst, *values)``: an
    :func:`evolver` for one fixed set of changed fields, compiled once.

    The class's own ``__init__`` runs, as with :func:`attrs.evolve`; the others are read
    straight from ``inst`` with no test of which were given. An instance of a subclass goes
    through :func:`attrs.evolve`.
    """
    fields = [a for a in attrs.fields(cls) if a.init]  # type: ignore[arg-type]
    aliases = {a.alias for a in fields}
    unknown = [n for n in names if n not in aliases]
    if unknown or len(set(names)) != len(names):
        raise TypeError(f"{cls.__qualname__} has no init argument(s) {unknown or names}")
    params = "".join(f", {n}" for n in names)
    args = ", ".join(
        f"{a.alias}={a.alias if a.alias in names else 'inst.' + a.name}" for a in fields
    )
    given = "".join(f"{n!r}: {n}, " for n in names)
    source = (
        f"def replace(inst{params}):\n"
        "    if inst.__class__ is not cls:\n"
        f"        return _evolve(inst, **{{{given}}})\n"
        f"    return cls({args})\n"
    )
    namespace: dict[str, Any] = {"cls": cls, "_evolve": attrs.evolve}
    exec(compile(source, f"<replacer {cls.__qualname__}>", "exec"), namespace)
    replace: Callable[..., T] = namespace["replace"]
    replace.__doc__ = f"attrs.evolve of {', '.join(names)} for {cls.__qualname__}."
    return replace


_CONFORMING: set[tuple[type, type]] = set()


def conforms(obj: object, protocol: type) -> bool:
    """``isinstance(obj, protocol)`` for a runtime-checkable ``protocol``, remembered per class.

    The check of a protocol looks up each of its members on ``obj``, which is slow on a
    hot path. For an object without a ``__dict__`` (a slotted class: its members are its
    class's, for every instance) a positive answer holds for every instance of the class,
    so it is remembered; anything else is checked every time.
    """
    key = (obj.__class__, protocol)
    if key in _CONFORMING:
        return True
    if not isinstance(obj, protocol):
        return False
    if not hasattr(obj, "__dict__"):
        _CONFORMING.add(key)
    return True


class StateTable(Generic[S]):
    """The legal transitions of one lifecycle, and the checks and diagrams drawn from them.

    ``transitions`` maps each state to the states it may move to; a state missing from the
    mapping (or mapped to nothing) is final. ``labels`` names the condition of a transition
    that is only taken in one circumstance, ``{(source, target): "why"}``; the diagram
    writes it on that edge (each labelled pair must be a transition of the table).
    """

    def __init__(
        self,
        name: str,
        initial: S,
        transitions: Mapping[S, frozenset[S]],
        *,
        labels: Mapping[tuple[S, S], str] | None = None,
    ) -> None:
        self.name = name
        self.initial = initial
        self._transitions = {s: frozenset(t) for s, t in transitions.items()}
        self._labels: dict[tuple[S, S], str] = {}
        for edge, label in (labels or {}).items():
            if not (
                isinstance(edge, tuple)
                and len(edge) == 2
                and edge[1] in self._transitions.get(edge[0], _NONE)
            ):
                raise ValidationError(
                    "labels a transition the table does not have", field="labels", value=edge
                )
            source, target = edge
            if not isinstance(label, str) or not label.strip() or "\n" in label:
                raise ValidationError(
                    "must be a non-empty one-line string",
                    field=f"labels[{source.value} -> {target.value}]",
                    value=label,
                )
            self._labels[(source, target)] = label.strip()

    @property
    def labels(self) -> Mapping[tuple[S, S], str]:
        """The condition written on each labelled transition."""
        return dict(self._labels)

    @property
    def transitions(self) -> Mapping[S, frozenset[S]]:
        """Every state and the states it may move to."""
        return dict(self._transitions)

    def can(self, source: S, target: S) -> bool:
        """True when moving from ``source`` to ``target`` is legal."""
        return target in self._transitions.get(source, _NONE)

    def is_final(self, state: S) -> bool:
        """True when no transition leaves ``state``."""
        return not self._transitions.get(state)

    def check(self, source: S, target: S, entity_id: str | None = None) -> None:
        """Raise :class:`IllegalTransition` unless ``source`` → ``target`` is legal."""
        if target not in self._transitions.get(source, _NONE):  # not self.can(...)
            raise IllegalTransition(
                f"{self.name} cannot move from {source.value} to {target.value}",
                field="state",
                value=f"{source.value} -> {target.value}",
                entity_id=entity_id,
            )

    def to_mermaid(self) -> str:
        """The table as a Mermaid ``stateDiagram-v2``, in declaration order, each labelled
        transition with its label."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for source, targets in self._transitions.items():
            order = [s for s in type(source) if s in targets]
            for t in order:
                label = self._labels.get((source, t))
                suffix = "" if label is None else f": {label}"
                lines.append(f"    {source.value} --> {t.value}{suffix}")
            if not targets:
                lines.append(f"    {source.value} --> [*]")
        return "\n".join(lines)
