"""State machines as data: one table of legal transitions per lifecycle."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Generic, TypeVar

from orderhub.errors import IllegalTransition

__all__ = ["StateTable"]

S = TypeVar("S", bound=enum.Enum)


class StateTable(Generic[S]):
    """The legal transitions of one lifecycle, and the checks and diagrams drawn from them.

    ``transitions`` maps each state to the states it may move to; a state missing from the
    mapping (or mapped to nothing) is final.
    """

    def __init__(self, name: str, initial: S, transitions: Mapping[S, frozenset[S]]) -> None:
        self.name = name
        self.initial = initial
        self._transitions = {s: frozenset(t) for s, t in transitions.items()}

    @property
    def transitions(self) -> Mapping[S, frozenset[S]]:
        """Every state and the states it may move to."""
        return dict(self._transitions)

    def can(self, source: S, target: S) -> bool:
        """True when moving from ``source`` to ``target`` is legal."""
        return target in self._transitions.get(source, frozenset())

    def is_final(self, state: S) -> bool:
        """True when no transition leaves ``state``."""
        return not self._transitions.get(state)

    def check(self, source: S, target: S, entity_id: str | None = None) -> None:
        """Raise :class:`IllegalTransition` unless ``source`` → ``target`` is legal."""
        if not self.can(source, target):
            raise IllegalTransition(
                f"{self.name} cannot move from {source.value} to {target.value}",
                field="state",
                value=f"{source.value} -> {target.value}",
                entity_id=entity_id,
            )

    def to_mermaid(self) -> str:
        """The table as a Mermaid ``stateDiagram-v2``, in declaration order."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for source, targets in self._transitions.items():
            order = [s for s in type(source) if s in targets]
            lines.extend(f"    {source.value} --> {t.value}" for t in order)
            if not targets:
                lines.append(f"    {source.value} --> [*]")
        return "\n".join(lines)
