"""The shortcuts in the value constructors the structure path calls give the same answers.

``Money(amount, currency)`` skips ``to_decimal`` for a plain decimal string or a finite
``Decimal``; ``normalise_phone`` removes separators without its regex. Each is held here to
the long way round, on every kind of input, including every error and its message.
"""

from __future__ import annotations

import decimal
import sys
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orderhub import Money, normalise_phone
from orderhub._currencies import MINOR_UNITS
from orderhub._identity import _PHONE_SEPARATORS
from orderhub._money import _check_currency, _quantize, to_decimal
from orderhub.errors import InvalidMoney, OrderhubError, ValidationError


def _money_the_long_way(amount: Any, currency: Any) -> Money:
    """What ``Money.__init__`` did before its shortcut."""
    code = _check_currency(currency)
    d = to_decimal(amount, "amount")
    q = _quantize(d, code, decimal.ROUND_HALF_UP, amount)
    if q != d:
        raise InvalidMoney(
            f"{code} has {MINOR_UNITS[code]} decimal(s); round explicitly with Money.rounded()",
            field="amount",
            value=amount,
        )
    return Money._exact(q, code)


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        value = fn(*args)
    except OrderhubError as e:
        return (type(e), str(e), e.field, e.value)
    if isinstance(value, Money):
        return (value.amount.as_tuple(), value.currency)
    return value


decimal_texts = st.one_of(
    st.from_regex(r"[+-]?[0-9]{1,12}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"\s*[+-]?\.?[0-9_]{0,8}\s*", fullmatch=True),
    st.sampled_from(
        ["NaN", "-inf", "Infinity", "sNaN", "nan12", "1e999999999", "9" * 70, "-0.00", "0e5"]
    ),
    st.text(max_size=8),
)
amounts = st.one_of(
    decimal_texts,
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(places=4, min_value=-(10**6), max_value=10**6),
    st.sampled_from([Decimal("-0.00"), Decimal("1E+2"), Decimal("1.005"), Decimal(10) ** 70]),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
)
codes = st.sampled_from(["USD", "JPY", "KWD", "CLF", "usd", "XXX", ""]) | st.none() | st.integers()


@given(amount=amounts, currency=codes)
def test_money_is_built_as_the_long_way_builds_it(amount: Any, currency: Any) -> None:
    assert _outcome(Money, amount, currency) == _outcome(_money_the_long_way, amount, currency)


def _phone_the_long_way(value: str) -> str:
    v = _PHONE_SEPARATORS.sub("", value.strip())
    if v.startswith("00"):
        v = "+" + v[2:]
    digits = v[1:] if v.startswith("+") else v
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15):
        raise ValidationError("not a phone number", field="phone", value=value, sensitive=True)
    return v


phone_texts = st.text(
    alphabet=st.sampled_from("0123456789+-.()/ \t\u00a0\u2007\u3000\u1680\x1c٣x"), max_size=20
) | st.text(max_size=20)


@given(value=phone_texts)
def test_phone_is_normalised_as_the_regex_normalises_it(value: str) -> None:
    assert _outcome(normalise_phone, value) == _outcome(_phone_the_long_way, value)


def test_str_split_splits_on_exactly_the_whitespace_the_regex_removes() -> None:
    """The premise of the shortcut, over every code point."""
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if _PHONE_SEPARATORS.fullmatch(chr(c))]
    split = [chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}a".split()) == 2]

    assert sorted(set(spaces) - set("-.()/")) == split
