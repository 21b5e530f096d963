"""The mutation check: break one invariant of the hub at a time and HubMachine must fail.

Each break is applied with ``monkeypatch`` for one test only; the machine runs derandomised,
without shrinking, so that a caught break fails fast and the file stays quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from orderhub import _billing
from orderhub._allocation import Allocator
from orderhub._effects import Outbox
from orderhub._hub import OrderHub
from orderhub._hub_payments import PaymentCommands
from orderhub._journal import Account, EntryKind, Journal, JournalLine
from orderhub._log import LoggedClock
from orderhub._money import Money
from orderhub._receivables_core import LedgerCore
from orderhub._stock import MovementKind, StockBook
from orderhub.errors import OrderhubError
from orderhub.testing._adapters import _Recorder
from orderhub.testing._machine import HubMachine

MUTANT_SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)


def _cancel_keeps_reservation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelling (or re-routing) forgets to give the reserved units back to the stock book."""
    monkeypatch.setattr(Allocator, "_release", lambda self, *a, **k: None)


def _shipment_consumes_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shipment takes its units out of reserved stock twice."""

    # StockBook._consume is the step every consumption goes through (the public consume
    # and the allocator's shipping alike); a held reservation is a row, r[0] its id, r[3]
    # its location, r[4] its SKU.
    def consume(self: StockBook, r: Any, quantity: int, at: Any) -> Any:
        done = original(self, r, quantity, at)
        self._move(r[3], r[4], MovementKind.SHIP.value, 0, -quantity, None, r[0], at)
        return done

    original = StockBook._consume
    monkeypatch.setattr(StockBook, "_consume", consume)


def _invoice_line_rounded_wrongly(monkeypatch: pytest.MonkeyPatch) -> None:
    """One invoice line's net is rounded one minor unit up while the totals keep the exact sum."""

    def document(*, kind: Any, lines: tuple[Any, ...], **fields: Any) -> Any:
        invoice = original(kind=kind, lines=lines, **fields)
        if not lines:
            return invoice
        first = lines[0]
        cent = Money.from_minor(1, first.net.currency)
        bumped = attrs.evolve(first, net=first.net + cent, total=first.total + cent)
        return attrs.evolve(invoice, lines=(bumped, *lines[1:]))

    original = _billing._document
    monkeypatch.setattr(_billing, "_document", document)


def _payment_applied_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Receivables apply a payment's amount to the open item twice."""

    def apply(self: LedgerCore, src: Any, item: Any, applied: int, disc: int, day: int) -> Any:
        entry = original(self, src, item, applied, disc, day)
        self._shift(item, -applied)
        return entry

    original = LedgerCore._apply
    monkeypatch.setattr(LedgerCore, "_apply", apply)


def _journal_posts_to_wrong_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal posts receivable lines to revenue (each entry still balances)."""

    def post(self: Journal, entry: Any) -> bool:
        lines = tuple(
            attrs.evolve(ln, account=Account.REVENUE)
            if ln.account is Account.ACCOUNTS_RECEIVABLE
            else ln
            for ln in entry.lines
        )
        return original(self, attrs.evolve(entry, lines=lines))

    original = Journal.post
    monkeypatch.setattr(Journal, "post", post)


def _invoice_tax_one_unit_high(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every invoice books one minor unit more tax (receivable and tax payable, balanced)."""

    def post(self: Journal, entry: Any) -> bool:
        if entry.kind is EntryKind.INVOICE:
            lines = []
            for ln in entry.lines:
                if ln.account is Account.ACCOUNTS_RECEIVABLE:
                    cent = Money.from_minor(1, ln.currency)
                    ln = attrs.evolve(ln, debit=ln.debit + cent)
                    lines += [ln, JournalLine.cr(Account.TAX_PAYABLE, cent)]
                else:
                    lines.append(ln)
            entry = attrs.evolve(entry, lines=tuple(lines))
        return original(self, entry)

    original = Journal.post
    monkeypatch.setattr(Journal, "post", post)


def _adapter_duplicates_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-memory adapter records every document a second time under a key of its own."""

    def record(self: _Recorder, action: str, payload: Any, key: str) -> str:
        reference = original(self, action, payload, key)
        self.documents.setdefault(f"{key}#copy", (action, payload))
        return reference

    original = _Recorder._record
    monkeypatch.setattr(_Recorder, "_record", record)


def _hub_reads_time_outside_its_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub reads the host's clock directly, so the command log misses the reading (and
    a replay sees another time): the determinism check at the end of a run fails."""
    monkeypatch.setattr(LoggedClock, "now", lambda self: self.inner.now())


def _restore_drops_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Restoring loses the effects that were pending when the snapshot was taken."""

    def restore(cls: Any, data: Any, **kwargs: Any) -> Any:
        hub = original.__func__(cls, data, **kwargs)
        hub._outbox = Outbox()
        return hub

    original = OrderHub.restore
    monkeypatch.setattr(OrderHub, "restore", classmethod(restore))


def _hold_does_not_hold_back_releases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Putting an order on hold leaves its queued releases due: the warehouse ships it."""
    monkeypatch.setattr(Outbox, "hold_back", lambda self, effect_id: None)


def _reversal_leaves_orders_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bounced payment re-opens its invoices but leaves their orders closed."""
    monkeypatch.setattr(PaymentCommands, "_reopen_unpaid", lambda self, *a: [])


BREAKS: list[Callable[[pytest.MonkeyPatch], None]] = [
    _cancel_keeps_reservation,
    _shipment_consumes_twice,
    _invoice_line_rounded_wrongly,
    _payment_applied_twice,
    _journal_posts_to_wrong_account,
    _invoice_tax_one_unit_high,
    _adapter_duplicates_document,
    _hub_reads_time_outside_its_log,
    _restore_drops_the_outbox,
    _hold_does_not_hold_back_releases,
    _reversal_leaves_orders_closed,
]


def test_the_unbroken_hub_passes_the_same_run() -> None:
    """The settings the mutants fail under pass on the hub as it is."""
    run_state_machine_as_test(HubMachine, settings=MUTANT_SETTINGS)


@pytest.mark.parametrize("brk", BREAKS, ids=lambda b: b.__name__.lstrip("_"))
def test_hub_machine_catches_the_break(
    brk: Callable[[pytest.MonkeyPatch], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each deliberate break makes HubMachine fail: an invariant, or the hub's own check."""
    brk(monkeypatch)
    with pytest.raises((AssertionError, OrderhubError)):
        run_state_machine_as_test(HubMachine, settings=MUTANT_SETTINGS)
