"""The journal: balanced entries, posting rules, revenue recognition, the trial balance."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from orderhub import Money
from orderhub._billing import (
    BillableLine,
    Invoice,
    build_adjustment,
    build_credit_note,
    build_invoice,
)
from orderhub._journal import (
    Account,
    EntryKind,
    Journal,
    JournalEntry,
    JournalLine,
    RecogniseOnDelivery,
    RecogniseOnShipment,
    RevenuePolicy,
    entry_for_credit_application,
    entry_for_credit_note,
    entry_for_delivery,
    entry_for_invoice,
    entry_for_payment,
    entry_for_payment_reversal,
    entry_for_prepayment_applied,
    entry_for_refund,
    entry_for_write_off,
)
from orderhub._tax import RateTable
from orderhub.errors import (
    CurrencyMismatch,
    DuplicateId,
    NotFound,
    UnknownCurrency,
    ValidationError,
)

D = Decimal
DAY = date(2026, 3, 2)
A = Account
TAX = RateTable({"US": D("0.0825")})


def usd(amount: str) -> Money:
    """``amount`` US dollars."""
    return Money(amount, "USD")


def invoice(price: str = "100.00", quantity: int = 2, invoice_id: str = "inv-1") -> Invoice:
    """An invoice of ``quantity`` units at ``price`` with 8.25 % tax added."""
    return build_invoice(
        invoice_id=invoice_id,
        number=f"N-{invoice_id}",
        order_id="ord-1",
        customer_id="cus-1",
        shipment_id="shp-1",
        lines=[
            BillableLine(
                line_no=1,
                sku="TENT",
                description="tent",
                unit_price=usd(price),
                ordered=quantity,
                shipped_now=quantity,
            )
        ],
        ship_to_country="US",
        ship_to_region=None,
        tax=TAX,
        issued_on=DAY,
    )


def credit(inv: Invoice, units: int | None = None, credit_note_id: str = "cn-1") -> Invoice:
    """A credit note for ``units`` of line 1 of ``inv`` (all of it when ``None``)."""
    return build_credit_note(
        inv,
        credit_note_id=credit_note_id,
        number=f"CN-{credit_note_id}",
        issued_on=DAY,
        reason="return",
        lines=None if units is None else {1: units},
    )


def sides(entry: JournalEntry) -> list[tuple[Account, str, str]]:
    """The entry's lines as (account, debit, credit) with amounts as text."""
    return [(x.account, str(x.debit.amount), str(x.credit.amount)) for x in entry.lines]


def journal_state(journal: Journal) -> dict[str, Any]:
    """Everything a post could change, copied (the running balances are private)."""
    return {
        "entries": journal.entries(),
        "balances": dict(journal._balances),
        "prepaid": dict(journal._prepaid),
    }


# -- lines and entries ------------------------------------------------------------------------


def test_a_line_has_exactly_one_side() -> None:
    """A journal line debits or credits, never both and never neither."""
    with pytest.raises(ValidationError, match="exactly one"):
        JournalLine(account=A.CASH, debit=usd("1.00"), credit=usd("1.00"))
    with pytest.raises(ValidationError, match="exactly one"):
        JournalLine(account=A.CASH, debit=usd("0.00"), credit=usd("0.00"))


@pytest.mark.parametrize(
    ("debit", "credit", "error"),
    [
        (usd("-1.00"), usd("0.00"), ValidationError),
        (usd("1.00"), Money("0.00", "EUR"), CurrencyMismatch),
    ],
)
def test_a_line_refuses_negative_amounts_and_two_currencies(
    debit: Money, credit: Money, error: type[Exception]
) -> None:
    """Amounts on a line are not negative and in one currency."""
    with pytest.raises(error):
        JournalLine(account=A.CASH, debit=debit, credit=credit)


def test_an_unbalanced_entry_cannot_be_constructed() -> None:
    """Σ debits ≠ Σ credits is refused, naming the difference."""
    with pytest.raises(ValidationError, match=r"differ by 0\.01 USD"):
        JournalEntry(
            id="je-1",
            on=DAY,
            lines=(JournalLine.dr(A.CASH, usd("10.00")), JournalLine.cr(A.REVENUE, usd("9.99"))),
        )


def test_an_entry_balances_in_every_currency_separately() -> None:
    """Balanced in total is not enough: each currency must balance on its own."""
    with pytest.raises(ValidationError, match="EUR"):
        JournalEntry(
            id="je-1",
            on=DAY,
            lines=(
                JournalLine.dr(A.CASH, usd("10.00")),
                JournalLine.cr(A.REVENUE, Money("10.00", "EUR")),
            ),
        )


def test_a_multi_currency_entry_that_balances_per_currency_is_fine() -> None:
    """An entry moving two currencies is accepted when each balances."""
    entry = JournalEntry(
        id="je-1",
        on=DAY,
        lines=(
            JournalLine.dr(A.CASH, usd("10.00")),
            JournalLine.cr(A.CUSTOMER_CREDIT, usd("10.00")),
            JournalLine.dr(A.CASH, Money(500, "JPY")),
            JournalLine.cr(A.CUSTOMER_CREDIT, Money(500, "JPY")),
        ),
    )

    assert entry.currencies == ("JPY", "USD")
    assert entry.total("JPY") == Money(500, "JPY")


# -- posting rules ----------------------------------------------------------------------------


def test_an_invoice_posts_receivable_revenue_and_tax() -> None:
    """On shipment: Dr receivable grand / Cr revenue net / Cr tax payable."""
    entry = entry_for_invoice(invoice(), RecogniseOnShipment(), "je-1")

    assert sides(entry) == [
        (A.ACCOUNTS_RECEIVABLE, "216.50", "0.00"),
        (A.REVENUE, "0.00", "200.00"),
        (A.TAX_PAYABLE, "0.00", "16.50"),
    ]
    assert (entry.kind, entry.reference, entry.on) == (EntryKind.INVOICE, "inv-1", DAY)


def test_on_delivery_the_invoice_defers_revenue_until_delivered() -> None:
    """On delivery: the invoice credits deferred revenue; the delivery moves it to revenue."""
    inv = invoice()

    at_invoice = entry_for_invoice(inv, RecogniseOnDelivery(), "je-1")
    at_delivery = entry_for_delivery(inv, RecogniseOnDelivery(), "je-2", on=DAY + timedelta(3))

    assert sides(at_invoice)[1] == (A.DEFERRED_REVENUE, "0.00", "200.00")
    assert sides(at_delivery) == [
        (A.DEFERRED_REVENUE, "200.00", "0.00"),
        (A.REVENUE, "0.00", "200.00"),
    ]


def test_delivery_recognises_only_what_was_not_credited_before() -> None:
    """A credit before delivery comes out of deferred revenue, and delivery recognises the rest."""
    inv = invoice()
    note = credit(inv, 1)
    journal = Journal()

    journal.post(entry_for_invoice(inv, RecogniseOnDelivery(), "je-1"))
    journal.post(entry_for_credit_note(note, RecogniseOnDelivery(), "je-2", delivered=False))
    journal.post(
        entry_for_delivery(inv, RecogniseOnDelivery(), "je-3", on=DAY, credited_net=note.net_total)
    )

    assert journal.recognised_revenue("USD") == usd("100.00")
    assert journal.deferred_revenue("USD") == usd("0.00")
    assert journal.balance(A.SALES_RETURNS, "USD") == usd("0.00")


def test_delivery_under_recognition_at_shipment_is_refused() -> None:
    """Nothing is deferred under recognition at shipment, so a delivery entry is an error."""
    with pytest.raises(ValidationError, match="nothing is deferred"):
        entry_for_delivery(invoice(), RecogniseOnShipment(), "je-1", on=DAY)


def test_a_credit_note_posts_returns_tax_and_receivable() -> None:
    """Dr sales returns net / Dr tax payable / Cr receivable grand."""
    entry = entry_for_credit_note(credit(invoice(), 1), RecogniseOnShipment(), "je-1")

    assert sides(entry) == [
        (A.SALES_RETURNS, "100.00", "0.00"),
        (A.TAX_PAYABLE, "8.25", "0.00"),
        (A.ACCOUNTS_RECEIVABLE, "0.00", "108.25"),
    ]
    assert entry.kind is EntryKind.CREDIT_NOTE


def test_a_price_adjustment_posts_to_sales_allowances() -> None:
    """An adjustment's credit note can debit sales allowances instead of returns."""
    note = build_adjustment(
        invoice(),
        credit_note_id="cn-1",
        number="CN-1",
        issued_on=DAY,
        reason="late",
        amount=usd("10.00"),
    )

    entry = entry_for_credit_note(note, RecogniseOnShipment(), "je-1", account=A.SALES_ALLOWANCES)

    assert sides(entry)[0] == (A.SALES_ALLOWANCES, "10.00", "0.00")


def test_a_credit_note_under_deferral_must_say_whether_delivered() -> None:
    """Under recognition at delivery the posting rule needs to know where the revenue is."""
    with pytest.raises(ValidationError, match="delivered"):
        entry_for_credit_note(credit(invoice()), RecogniseOnDelivery(), "je-1")


def test_a_credit_note_refuses_a_non_contra_revenue_account() -> None:
    """Credit notes debit returns or allowances, nothing else."""
    with pytest.raises(ValidationError, match="SALES_RETURNS"):
        entry_for_credit_note(credit(invoice()), RecogniseOnShipment(), "je-1", account=A.CASH)


def test_posting_rules_refuse_the_wrong_document() -> None:
    """An invoice rule refuses a credit note, and the other way round."""
    inv = invoice()

    with pytest.raises(ValidationError, match="an invoice"):
        entry_for_invoice(credit(inv), RecogniseOnShipment(), "je-1")
    with pytest.raises(ValidationError, match="a credit note"):
        entry_for_credit_note(inv, RecogniseOnShipment(), "je-1")


def test_a_payment_with_an_overpayment_and_a_discount() -> None:
    """Dr cash / Dr discounts allowed / Cr receivable applied + discount / Cr customer credit."""
    entry = entry_for_payment(
        entry_id="je-1",
        on=DAY,
        amount=usd("250.00"),
        applied=usd("212.17"),
        discount=usd("4.33"),
        reference="bank-77",
    )

    assert sides(entry) == [
        (A.CASH, "250.00", "0.00"),
        (A.DISCOUNTS_ALLOWED, "4.33", "0.00"),
        (A.ACCOUNTS_RECEIVABLE, "0.00", "216.50"),
        (A.CUSTOMER_CREDIT, "0.00", "37.83"),
    ]
    assert entry.reference == "bank-77"


def test_a_prepayment_is_held_in_deferred_revenue_until_the_goods_ship() -> None:
    """Cash for an unshipped order is deferred, then pays the invoice when the goods ship."""
    journal = Journal()
    inv = invoice()

    journal.post(
        entry_for_payment(
            entry_id="je-1", on=DAY, amount=usd("250.00"), applied=usd("0"), prepayment=True
        )
    )
    held = journal.prepayments_held("USD")
    journal.post(entry_for_invoice(inv, RecogniseOnShipment(), "je-2"))
    journal.post(
        entry_for_prepayment_applied(
            entry_id="je-3",
            on=DAY,
            to_receivable=inv.grand_total,
            to_credit=usd("33.50"),
        )
    )

    assert held == usd("250.00")
    assert journal.prepayments_held("USD") == usd("0.00")
    assert journal.balance(A.ACCOUNTS_RECEIVABLE, "USD") == usd("0.00")
    assert journal.balance(A.DEFERRED_REVENUE, "USD") == usd("0.00")
    assert journal.balance(A.CUSTOMER_CREDIT, "USD") == usd("-33.50")
    assert journal.recognised_revenue("USD") == usd("200.00")


def test_a_payment_whose_parts_do_not_add_up_is_refused() -> None:
    """Applied + unapplied must be the cash received."""
    with pytest.raises(ValidationError, match="applied"):
        entry_for_payment(
            entry_id="je-1",
            on=DAY,
            amount=usd("10.00"),
            applied=usd("6.00"),
            unapplied=usd("3.00"),
        )
    with pytest.raises(ValidationError, match="applied"):
        entry_for_payment(entry_id="je-1", on=DAY, amount=usd("10.00"), applied=usd("11.00"))
    with pytest.raises(CurrencyMismatch):
        entry_for_payment(
            entry_id="je-1", on=DAY, amount=usd("10.00"), applied=Money("10.00", "EUR")
        )


def test_write_off_refund_and_credit_application() -> None:
    """Write-off: Dr bad debt / Cr AR; refund: Dr customer credit / Cr cash; credit applied:
    Dr customer credit / Cr AR."""
    amount = usd("0.03")

    write_off = entry_for_write_off(entry_id="je-1", on=DAY, amount=amount, memo="small")
    refund = entry_for_refund(entry_id="je-2", on=DAY, amount=amount)
    prepaid_refund = entry_for_refund(entry_id="je-3", on=DAY, amount=amount, prepayment=True)
    applied = entry_for_credit_application(entry_id="je-4", on=DAY, amount=amount)

    assert [x.account for x in write_off.lines] == [A.BAD_DEBT_EXPENSE, A.ACCOUNTS_RECEIVABLE]
    assert [x.account for x in refund.lines] == [A.CUSTOMER_CREDIT, A.CASH]
    assert [x.account for x in prepaid_refund.lines] == [A.DEFERRED_REVENUE, A.CASH]
    assert [x.account for x in applied.lines] == [A.CUSTOMER_CREDIT, A.ACCOUNTS_RECEIVABLE]
    assert write_off.memo == "small"


def test_a_payment_reversal_mirrors_the_payment() -> None:
    """A bounced payment's entry swaps every debit and credit of the payment's."""
    payment = entry_for_payment(
        entry_id="je-1",
        on=DAY,
        amount=usd("120.00"),
        applied=usd("100.00"),
        discount=usd("2.00"),
        reference="bank-9",
    )
    journal = Journal()

    reversal = entry_for_payment_reversal(payment, entry_id="je-2", on=DAY + timedelta(5))
    journal.post(payment)
    journal.post(reversal)

    assert [x.mirrored() for x in reversal.lines] == list(payment.lines)
    assert (reversal.kind, reversal.reference) == (EntryKind.PAYMENT_REVERSAL, "bank-9")
    assert all(m.is_zero for m in journal.trial_balance("USD").values())


def test_only_a_payment_can_be_reversed() -> None:
    """The reversal rule refuses entries that are not payments."""
    with pytest.raises(ValidationError, match="payment"):
        entry_for_payment_reversal(
            entry_for_invoice(invoice(), RecogniseOnShipment(), "je-1"), entry_id="je-2", on=DAY
        )


def test_a_free_shipment_posts_an_empty_entry() -> None:
    """A zero invoice's entry has no lines, and posting it changes no balance."""
    free = build_invoice(
        invoice_id="inv-0",
        number="N-0",
        order_id="ord-1",
        customer_id="cus-1",
        shipment_id="shp-1",
        lines=[
            BillableLine(
                line_no=1,
                sku="GIFT",
                description="gift",
                unit_price=usd("5.00"),
                ordered=1,
                shipped_now=1,
                order_discount=usd("5.00"),
            )
        ],
        ship_to_country="US",
        ship_to_region=None,
        tax=TAX,
        issued_on=DAY,
    )
    journal = Journal()

    entry = entry_for_invoice(free, RecogniseOnShipment(), "je-1")
    journal.post(entry)

    assert entry.lines == ()
    assert journal.currencies() == ()


def test_the_built_in_policies_are_revenue_policies() -> None:
    """Both built-in policies implement the RevenuePolicy protocol."""
    assert isinstance(RecogniseOnShipment(), RevenuePolicy)
    assert isinstance(RecogniseOnDelivery(), RevenuePolicy)


# -- the journal ------------------------------------------------------------------------------


def test_posting_the_same_entry_twice_changes_nothing() -> None:
    """The same id with the same content is harmless."""
    journal = Journal()
    entry = entry_for_invoice(invoice(), RecogniseOnShipment(), "je-1")
    journal.post(entry)
    before = journal_state(journal)

    again = journal.post(attrs.evolve(entry))

    assert again is False
    assert journal_state(journal) == before


def test_posting_another_entry_under_a_used_id_is_refused() -> None:
    """The same id with other content is a DuplicateId, and nothing changes."""
    journal = Journal()
    journal.post(entry_for_invoice(invoice(), RecogniseOnShipment(), "je-1"))
    before = journal_state(journal)

    with pytest.raises(DuplicateId):
        journal.post(entry_for_invoice(invoice("99.00"), RecogniseOnShipment(), "je-1"))
    assert journal_state(journal) == before


def test_trial_balance_lists_every_account_and_sums_to_zero() -> None:
    """The trial balance has every account, debit-positive, summing to zero."""
    journal = Journal()
    inv = invoice()
    journal.post(entry_for_invoice(inv, RecogniseOnShipment(), "je-1"))
    journal.post(
        entry_for_payment(entry_id="je-2", on=DAY, amount=usd("300.00"), applied=usd("216.50"))
    )

    tb = journal.trial_balance("USD")

    assert list(tb) == list(Account)
    assert sum((m.amount for m in tb.values()), D(0)) == 0
    assert tb[A.CASH] == usd("300.00")
    assert tb[A.CUSTOMER_CREDIT] == usd("-83.50")
    assert tb[A.REVENUE] == usd("-200.00")


def test_queries_refuse_unknown_currencies_and_entries() -> None:
    """Balances need an ISO currency; an unknown entry id is NotFound."""
    journal = Journal()

    with pytest.raises(UnknownCurrency):
        journal.trial_balance("XXX")
    with pytest.raises(NotFound):
        journal.entry("je-404")


def test_entries_come_back_in_posting_order() -> None:
    """Entries are listed in the order they were posted and found by id."""
    journal = Journal()
    first = entry_for_invoice(invoice(), RecogniseOnShipment(), "je-2")
    second = entry_for_write_off(entry_id="je-1", on=DAY, amount=usd("1.00"))

    journal.post(first)
    journal.post(second)

    assert journal.entries() == (first, second)
    assert journal.entry("je-1") == second


def test_a_journal_rebuilt_from_its_entries_has_the_same_books() -> None:
    """Posting the stored entries again, in order, gives the same balances."""
    journal = Journal()
    journal.post(entry_for_invoice(invoice(), RecogniseOnDelivery(), "je-1"))
    journal.post(
        entry_for_payment(
            entry_id="je-2", on=DAY, amount=usd("50.00"), applied=usd("0"), prepayment=True
        )
    )

    rebuilt = Journal.of(journal.entries())

    assert journal_state(rebuilt) == journal_state(journal)
    assert rebuilt.deferred_revenue("USD") == usd("200.00")
    assert rebuilt.prepayments_held("USD") == usd("50.00")


# -- properties -------------------------------------------------------------------------------

CURRENCIES = ("USD", "JPY", "KWD")
policies = st.sampled_from([RecogniseOnShipment(), RecogniseOnDelivery()])


class JournalMachine(RuleBasedStateMachine):
    """Random sequences of every posting rule, checked against a model of the books.

    After every step: the trial balance of each currency sums to zero; recognised +
    deferred revenue = invoiced − credited nets; and receivable and cash match the model.
    """

    @initialize(policy=policies)
    def start(self, policy: RevenuePolicy) -> None:
        """A fresh journal under ``policy``."""
        self.policy = policy
        self.journal = Journal()
        self.n = 0
        self.invoices: list[dict[str, Any]] = []
        self.payments: list[JournalEntry] = []
        self.revenue: dict[str, Decimal] = defaultdict(Decimal)  # invoiced − credited nets
        self.ar: dict[str, Decimal] = defaultdict(Decimal)
        self.cash: dict[str, Decimal] = defaultdict(Decimal)

    def next_id(self, kind: str) -> str:
        """A fresh id."""
        self.n += 1
        return f"{kind}-{self.n}"

    def post(self, entry: JournalEntry) -> None:
        """Post ``entry`` and check it is new and balanced."""
        assert self.journal.post(entry)
        for c in entry.currencies:
            debits = sum((x.debit.amount for x in entry.lines if x.currency == c), D(0))
            credits = sum((x.credit.amount for x in entry.lines if x.currency == c), D(0))
            assert debits == credits

    @rule(
        currency=st.sampled_from(CURRENCIES),
        price=st.integers(0, 10**6),
        quantity=st.integers(1, 5),
        discount=st.integers(0, 100),
    )
    def invoice(self, currency: str, price: int, quantity: int, discount: int) -> None:
        """Invoice a shipment and post it."""
        unit = Money.from_minor(price, currency)
        inv = build_invoice(
            invoice_id=self.next_id("inv"),
            number=f"N-{self.n}",
            order_id="ord",
            customer_id="cus",
            shipment_id=None,
            lines=[
                BillableLine(
                    line_no=1,
                    sku="X",
                    description="x",
                    unit_price=unit,
                    ordered=quantity,
                    shipped_now=quantity,
                    line_discount=Money.from_minor(price * quantity * discount // 100, currency),
                )
            ],
            ship_to_country="US",
            ship_to_region=None,
            tax=TAX,
            issued_on=DAY,
        )
        self.post(entry_for_invoice(inv, self.policy, self.next_id("je")))
        self.invoices.append({"invoice": inv, "credited": 0, "delivered": False, "early": 0})
        self.revenue[currency] += inv.net_total.amount
        self.ar[currency] += inv.grand_total.amount

    @precondition(lambda self: any(not i["delivered"] for i in self.invoices))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Report the delivery of an invoice's goods."""
        rec = data.draw(st.sampled_from([i for i in self.invoices if not i["delivered"]]))
        rec["delivered"] = True
        if self.policy.defers(rec["invoice"]):
            inv = rec["invoice"]
            credited = Money.from_minor(rec["early"], inv.currency)
            self.post(
                entry_for_delivery(
                    inv, self.policy, self.next_id("je"), on=DAY, credited_net=credited
                )
            )

    @precondition(lambda self: any(i["credited"] < 1 for i in self.invoices))
    @rule(data=st.data(), adjust=st.booleans())
    def credit(self, data: st.DataObject, adjust: bool) -> None:
        """Credit all of an invoice's units, or adjust its price by a part of its value."""
        rec = data.draw(st.sampled_from([i for i in self.invoices if i["credited"] < 1]))
        inv: Invoice = rec["invoice"]
        if inv.net_total.is_zero:
            return
        rec["credited"] = 1
        if adjust:
            part = data.draw(st.integers(1, inv.net_total.minor_units))
            note = build_adjustment(
                inv,
                credit_note_id=self.next_id("cn"),
                number=f"CN-{self.n}",
                issued_on=DAY,
                reason="price",
                amount=Money.from_minor(part, inv.currency),
            )
        else:
            note = build_credit_note(
                inv,
                credit_note_id=self.next_id("cn"),
                number=f"CN-{self.n}",
                issued_on=DAY,
                reason="return",
            )
        account = A.SALES_ALLOWANCES if adjust else A.SALES_RETURNS
        self.post(
            entry_for_credit_note(
                note,
                self.policy,
                self.next_id("je"),
                delivered=rec["delivered"],
                account=account,
            )
        )
        if not rec["delivered"]:
            rec["early"] += note.net_total.minor_units
        self.revenue[inv.currency] -= note.net_total.amount
        self.ar[inv.currency] -= note.grand_total.amount

    @rule(
        currency=st.sampled_from(CURRENCIES),
        applied=st.integers(0, 10**6),
        unapplied=st.integers(0, 10**6),
        discount=st.integers(0, 1000),
        prepayment=st.booleans(),
    )
    def pay(
        self, currency: str, applied: int, unapplied: int, discount: int, prepayment: bool
    ) -> None:
        """Receive a payment: applied, unapplied or prepaid, perhaps with a discount."""
        if not applied + unapplied:
            return
        m = Money.from_minor
        entry = entry_for_payment(
            entry_id=self.next_id("je"),
            on=DAY,
            amount=m(applied + unapplied, currency),
            applied=m(applied, currency),
            discount=m(discount, currency),
            prepayment=prepayment,
        )
        self.post(entry)
        self.payments.append(entry)
        self.ar[currency] -= m(applied + discount, currency).amount
        self.cash[currency] += m(applied + unapplied, currency).amount

    @precondition(lambda self: bool(self.payments))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        """Reverse (bounce) a payment not reversed before."""
        payment = data.draw(st.sampled_from(self.payments))
        self.payments.remove(payment)
        self.post(entry_for_payment_reversal(payment, entry_id=self.next_id("je"), on=DAY))
        for x in payment.lines:
            if x.account is A.ACCOUNTS_RECEIVABLE:
                self.ar[x.currency] += x.credit.amount
            if x.account is A.CASH:
                self.cash[x.currency] -= x.debit.amount

    @rule(
        currency=st.sampled_from(CURRENCIES),
        units=st.integers(1, 10**5),
        how=st.sampled_from(["write_off", "refund", "refund_prepaid", "apply", "prepaid"]),
    )
    def settle(self, currency: str, units: int, how: str) -> None:
        """Write off, refund, apply customer credit, or apply a prepayment."""
        amount = Money.from_minor(units, currency)
        entry_id = self.next_id("je")
        if how == "write_off":
            entry = entry_for_write_off(entry_id=entry_id, on=DAY, amount=amount)
        elif how.startswith("refund"):
            entry = entry_for_refund(
                entry_id=entry_id, on=DAY, amount=amount, prepayment=how == "refund_prepaid"
            )
            self.cash[currency] -= amount.amount
        elif how == "apply":
            entry = entry_for_credit_application(entry_id=entry_id, on=DAY, amount=amount)
        else:
            entry = entry_for_prepayment_applied(
                entry_id=entry_id, on=DAY, to_receivable=amount, to_credit=amount
            )
        if how in ("write_off", "apply", "prepaid"):
            self.ar[currency] -= amount.amount
        self.post(entry)

    @rule()
    def repost(self) -> None:
        """Posting an entry again changes nothing."""
        entries = self.journal.entries()
        if entries:
            before = journal_state(self.journal)
            assert self.journal.post(entries[-1]) is False
            assert journal_state(self.journal) == before

    @invariant()
    def books_balance(self) -> None:
        """The trial balance of every currency sums to zero."""
        for c in CURRENCIES:
            tb = self.journal.trial_balance(c)
            assert sum((m.amount for m in tb.values()), D(0)) == 0

    @invariant()
    def revenue_is_recognised_or_deferred(self) -> None:
        """Recognised + deferred revenue = invoiced − credited nets, under either policy."""
        for c in CURRENCIES:
            recognised = self.journal.recognised_revenue(c)
            deferred = self.journal.deferred_revenue(c)
            assert (recognised + deferred).amount == self.revenue[c]
            held = self.journal.prepayments_held(c)
            assert -(deferred + held) == self.journal.balance(A.DEFERRED_REVENUE, c)
            if isinstance(self.policy, RecogniseOnShipment):
                assert deferred.is_zero

    @invariant()
    def receivable_and_cash_match_the_model(self) -> None:
        """The receivable and cash balances are what the documents and payments say."""
        for c in CURRENCIES:
            assert self.journal.balance(A.ACCOUNTS_RECEIVABLE, c).amount == self.ar[c]
            assert self.journal.balance(A.CASH, c).amount == self.cash[c]


TestJournalMachine = JournalMachine.TestCase
