"""Parts of :class:`orderhub._receivables.Receivables` kept apart to keep it readable: the
checks of an invoice as it is booked, and the sums behind the aging and DSO queries.

Private to :mod:`orderhub._receivables`, whose methods document the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from orderhub._receivables_core import LedgerCore
from orderhub._receivables_index import bucket_sums, scan_buckets
from orderhub._receivables_state import (
    check_currency,
    check_day,
    check_instalments,
    check_text,
    money_units,
)
from orderhub.errors import ValidationError

__all__ = ["aging_sums", "dso", "invoice_request"]


def invoice_request(
    invoice_id: object,
    customer_id: object,
    number: object,
    currency: object,
    amount: object,
    issued_on: object,
    due_on: object,
    discount: object,
    discount_until: object,
    instalments: object,
) -> tuple[str, tuple[Any, ...]]:
    """The checked arguments of :meth:`Receivables.add_invoice`: the invoice id and the
    booking request (customer, currency, number, units, issued, due, discount units,
    discount until, instalment (units, due) pairs), days as ordinals."""
    inv_id = check_text(invoice_id, "invoice_id")
    cust = check_text(customer_id, "customer_id", inv_id)
    num = check_text(number, "number", inv_id)
    cur = check_currency(currency)
    total = money_units(amount, "amount", cur, entity_id=inv_id)
    issued = check_day(issued_on, "issued_on", inv_id).toordinal()
    due = check_day(due_on, "due_on", inv_id).toordinal()
    if due < issued:
        raise ValidationError(
            "must not be before issued_on", field="due_on", value=due_on, entity_id=inv_id
        )
    disc, until = 0, 0
    if discount is not None or discount_until is not None:
        if discount is None or discount_until is None:
            raise ValidationError(
                "a discount needs both discount and discount_until",
                field="discount" if discount is None else "discount_until",
                value=None,
                entity_id=inv_id,
            )
        disc = money_units(discount, "discount", cur, entity_id=inv_id)
        if disc >= total:
            raise ValidationError(
                "must be less than the amount",
                field="discount",
                value=str(discount),
                entity_id=inv_id,
            )
        until = check_day(discount_until, "discount_until", inv_id).toordinal()
        if not issued <= until <= due:
            raise ValidationError(
                "must be between issued_on and due_on",
                field="discount_until",
                value=discount_until,
                entity_id=inv_id,
            )
    parts = check_instalments(instalments, cur, total, issued, due, inv_id)
    return inv_id, (cust, cur, num, total, issued, due, disc, until, tuple(parts))


def aging_sums(
    ledger: LedgerCore,
    day: int,
    by_due: bool,
    bounds: Sequence[int],
    customer_id: str | None,
    currency: str | None,
) -> tuple[str, list[int], int, int]:
    """(currency, open units per bucket, open total, unapplied total) for
    :meth:`Receivables.aging`: from the trees where there are any, else by a scan."""
    if customer_id is None:
        cur = ledger._ledger_currency(currency)
        book = ledger._books.get(cur)
        if book is None:
            return cur, [0] * (len(bounds) + 1), 0, 0
        tree = book.by_due if by_due else book.by_issue
        sums = bucket_sums(tree, book.open_total, day, bounds)
        return cur, sums, book.open_total, book.unapplied_total
    acct, cur = ledger._find(customer_id, currency)
    if acct is None:
        return cur, [0] * (len(bounds) + 1), 0, 0
    total, unapplied = acct.open_total, acct.unapplied_total
    own = acct.by_due if by_due else acct.by_issue
    if own is not None:
        sums = bucket_sums(own, total, day, bounds)
    else:
        sums = scan_buckets(acct.open, day, by_due, bounds)
    return cur, sums, total, unapplied


def dso(ledger: LedgerCore, as_of: date, days: int, currency: str | None) -> Decimal | None:
    """:meth:`Receivables.dso`."""
    day = check_day(as_of, "as_of").toordinal()
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise ValidationError("must be a positive number of days", field="days", value=days)
    book = ledger._books.get(ledger._ledger_currency(currency))
    if book is None:
        return None
    sales = book.sales.upto(day) - book.sales.upto(day - days)
    if sales <= 0:
        return None
    hundredths = (2 * 100 * days * book.open_total + sales) // (2 * sales)
    return Decimal(hundredths).scaleb(-2)
