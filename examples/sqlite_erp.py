"""A custom ERP adapter backed by sqlite3, exactly-once by idempotency key.

Run it with ``python examples/sqlite_erp.py``. The "ERP" is one table of documents in a real
database file (in a temporary directory, removed at the end) with a UNIQUE idempotency-key
column. The adapter books each document once per key and answers with the document number
stored in the row, so an answer that gets lost is harmless: the retry finds the row and
answers the same number.

The example simulates the dangerous case — a crash after the database committed the sales
order and before the answer reached the hub — then "restarts" (a new adapter over the same
file, a new driver), lets the retry delay pass, and drives again: no second sales order.
One customer also takes a stove off an order already sent: the ERP books a cancellation of
that one unit (``whole_order`` false), not of the sales order.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orderhub import (
    Address,
    Channel,
    CustomerIdentity,
    EffectKind,
    EffectStatus,
    GeoPoint,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
    RetryPolicy,
    SyncDriver,
)
from orderhub.ports import Outcome, Succeeded
from orderhub.testing import FixedClock, InMemoryFinance, InMemoryFulfillment, SequentialIds

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    number          TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    body            TEXT NOT NULL
)
"""

PREFIXES = {
    "submit_order": "SO",
    "cancel_order": "SC",
    "post_invoice": "INV",
    "post_credit_note": "CN",
    "post_payment": "PAY",
    "upsert_customer": "CUST",
}


class SimulatedCrash(ConnectionError):
    """The process died (or the connection dropped) after the database committed."""


class SqliteErp:
    """An :class:`~orderhub.ports.ErpAdapter` over a sqlite3 database file.

    Every call books one row per idempotency key, in one transaction: if the key is there
    already, nothing is written and the existing document number is the answer. With
    ``crash_after_commit``, sales orders are committed and then the answer is lost.
    """

    def __init__(self, path: Path, *, crash_after_commit: bool = False) -> None:
        self.crash_after_commit = crash_after_commit
        # isolation_level=None: we open the transactions ourselves (BEGIN IMMEDIATE takes
        # the write lock at once, so two writers cannot both miss the key).
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _book(self, kind: str, payload: Mapping[str, Any], key: str) -> Outcome:
        with self._transaction() as db:
            row = db.execute(
                "SELECT number FROM documents WHERE idempotency_key = ?", (key,)
            ).fetchone()
            if row is None:
                (count,) = db.execute(
                    "SELECT COUNT(*) FROM documents WHERE kind = ?", (kind,)
                ).fetchone()
                number = f"{PREFIXES[kind]}-{count + 1:05d}"
                db.execute(
                    "INSERT INTO documents (number, kind, idempotency_key, body)"
                    " VALUES (?, ?, ?, ?)",
                    (number, kind, key, json.dumps(payload, sort_keys=True)),
                )
            else:
                (number,) = row
        if self.crash_after_commit and kind == "submit_order":
            raise SimulatedCrash(f"connection lost after committing {number}")
        return Succeeded(number)

    def submit_order(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Book a sales order."""
        return self._book("submit_order", payload, key)

    def cancel_order(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Book a cancellation."""
        return self._book("cancel_order", payload, key)

    def post_invoice(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Book an invoice."""
        return self._book("post_invoice", payload, key)

    def post_credit_note(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Book a credit note."""
        return self._book("post_credit_note", payload, key)

    def post_payment(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Book a customer payment."""
        return self._book("post_payment", payload, key)

    def upsert_customer(self, payload: Mapping[str, Any], key: str) -> Outcome:
        """Book a customer (once per customer and ERP: the key says which)."""
        return self._book("upsert_customer", payload, key)


def build_hub(clock: FixedClock, retry: RetryPolicy) -> OrderHub:
    hub = OrderHub(clock=clock, ids=SequentialIds(), retry=retry)
    hub.catalog.add(Item(sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD")))
    hub.catalog.add(Item(sku="STOVE-1", description="camp stove", price=Money("39.95", "USD")))
    hub.network.add(Location(id="dc-nj", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03)))
    hub.stock.receive("dc-nj", "TENT-2P", 20)
    hub.stock.receive("dc-nj", "STOVE-1", 20)
    return hub


ORDERS = [
    ("W-1001", "ann@example.com", {"TENT-2P": 1, "STOVE-1": 1}),
    ("W-1002", "bob@example.com", {"STOVE-1": 2}),
    ("W-1003", "ann@example.com", {"TENT-2P": 2}),
]


def counts(path: Path) -> dict[str, int]:
    """Documents in the ERP database, by kind."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind").fetchall()
    return dict(rows)


def pending(hub: OrderHub) -> list[Any]:
    return [e for e in hub.effects() if e.status is EffectStatus.PENDING]


def main() -> dict[str, int]:
    """Run the flow; returns the documents in the ERP database by kind."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    retry = RetryPolicy(max_attempts=5, first_delay=timedelta(minutes=1))
    hub = build_hub(clock, retry)
    wms, ledger = InMemoryFulfillment(), InMemoryFinance()

    for external_id, email, lines in ORDERS:
        hub.capture(
            OrderRequest(
                channel=Channel.WEB,
                external_id=external_id,
                customer=CustomerIdentity(email=email),
                ship_to=Address(
                    line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
                ),
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines.items()],
            )
        )
    hub.process()
    # Bob wants one stove, not two, after his order went out to the ERP and the DC.
    changed = next(o for o in hub.orders() if o.external_id == "W-1002")
    hub.cancel_line(changed.id, 1, 1, reason="one stove is enough")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "erp.sqlite3"

        print("orderhub with a sqlite3 ERP")
        print(f"  {len(ORDERS)} orders captured and processed")

        # 1. The ERP commits every sales order, then the answer is lost (a crash).
        erp = SqliteErp(path, crash_after_commit=True)
        SyncDriver(hub, erps={"main": erp}, fulfillment=wms, finance=ledger).run()
        erp.close()
        in_doubt = [e for e in pending(hub) if e.kind is EffectKind.SUBMIT_ORDER]
        print("\nCrash between the database write and the outcome report")
        print(f"  sales orders in the database: {counts(path)['submit_order']}")
        print(f"  sales orders the hub still has pending: {len(in_doubt)}")
        for e in in_doubt:
            print(f"    {e.idempotency_key}  attempt {e.attempts}: {e.last_error}")

        # 2. Restart: a new adapter over the same file, a new driver; wait out the backoff.
        erp = SqliteErp(path)
        driver = SyncDriver(hub, erps={"main": erp}, fulfillment=wms, finance=ledger)
        clock.advance(retry.first_delay + timedelta(seconds=1))
        driver.run()
        print("\nAfter the restart and the retry")
        for e in hub.effects():
            if e.kind is EffectKind.SUBMIT_ORDER:
                print(f"    {e.idempotency_key} → {e.reference} (attempts {e.attempts})")

        # 3. Ship everything, take the payments, drive again.
        clock.advance(hours=4)
        for order in hub.orders():
            for fo in hub.fulfillment_orders(order.id):
                hub.confirm_shipment(fo.id, fo.to_ship, carrier="UPS", tracking=f"1Z-{fo.id}")
        for invoice in hub.invoices():
            hub.record_payment(
                invoice.customer_id,
                invoice.grand_total,
                reference=f"ACH-{invoice.number}",
                invoices=[invoice.id],
            )
        driver.run()
        erp.close()

        documents = counts(path)
        with closing(sqlite3.connect(path)) as db:
            (sales_orders,) = db.execute(
                "SELECT COUNT(*) FROM documents WHERE kind = 'submit_order'"
            ).fetchone()
            cancellations = [
                json.loads(body)
                for (body,) in db.execute(
                    "SELECT body FROM documents WHERE kind = 'cancel_order' ORDER BY number"
                )
            ]
        print("\nDocuments in the ERP database")
        for kind, n in sorted(documents.items()):
            print(f"  {kind:<16} {n}")
        print(f"  journal entries in the ledger: {len(ledger.received())}")
        print(f"  effects still pending: {len(pending(hub))}")
        print(f"\nsales orders in the database: {sales_orders} for {len(ORDERS)} orders")
        for c in cancellations:
            units = ", ".join(f"line {ln['line_no']} x{ln['quantity']}" for ln in c["lines"])
            scope = "the whole order" if c["whole_order"] else units
            print(f"cancellation booked for {c['order_id']}: {scope} ({c['reason']})")

        assert sales_orders == len(ORDERS), "a retry created a second sales order"
        assert [(c["whole_order"], c["lines"]) for c in cancellations] == [
            (False, [{"line_no": 1, "sku": "STOVE-1", "quantity": 1}])
        ], "the ERP must cancel the one stove, not the sales order"
        assert documents["post_invoice"] == len(hub.invoices())
        assert not pending(hub)
    return documents


if __name__ == "__main__":
    main()
