"""JournalLine.dr and .cr make without checks only lines the constructor accepts, and
refuse everything else with the constructor's own errors."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub import Money
from orderhub._journal import Account, JournalLine
from orderhub.errors import ValidationError


def rebuilt(line: JournalLine) -> JournalLine:
    return JournalLine(**{a.name: getattr(line, a.name) for a in attrs.fields(JournalLine)})


@given(
    st.sampled_from(Account),
    st.integers(0, 10**12),
    st.sampled_from(["USD", "JPY", "KWD"]),
    st.booleans(),
)
def test_dr_and_cr_make_what_the_constructor_makes(
    account: Account, units: int, currency: str, debit: bool
) -> None:
    amount = Money.from_minor(units, currency)
    make = JournalLine.dr if debit else JournalLine.cr
    if units == 0:
        with pytest.raises(ValidationError) as caught:
            make(account, amount)
        assert caught.value.reason == "exactly one of debit and credit must be non-zero"
        return
    line = make(account, amount)
    assert rebuilt(line) == line
    assert (line.debit if debit else line.credit) == amount


@pytest.mark.parametrize("make", [JournalLine.dr, JournalLine.cr])
@pytest.mark.parametrize(
    ("account", "amount", "field"),
    [
        ("cash", Money("1.00", "USD"), "account"),
        (Account.CASH, Money("-1.00", "USD"), "amount"),
        (Account.CASH, "1.00", "amount"),
    ],
)
def test_dr_and_cr_refuse_as_before(make: Any, account: Any, amount: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(account, amount)
    assert caught.value.field == field


def test_a_subclass_still_runs_its_constructor() -> None:
    made: list[str] = []

    @attrs.frozen(kw_only=True)
    class Noted(JournalLine):
        def __attrs_post_init__(self) -> None:
            super().__attrs_post_init__()
            made.append("checked")

    line = Noted.dr(Account.CASH, Money("2.00", "USD"))
    assert type(line) is Noted
    assert made == ["checked"]
