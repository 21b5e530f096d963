"""Money: exact amounts at the minor unit of their ISO 4217 currency."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub import Money, RoundingPolicy, minor_units
from orderhub._currencies import MINOR_UNITS
from orderhub.errors import (
    CurrencyMismatch,
    InvalidMoney,
    OrderhubError,
    UnknownCurrency,
    ValidationError,
)

# -- strategies (private to this module until a shared testing module exists) ----------------

_CODES = sorted(MINOR_UNITS)
# Well past the 28 significant digits of Python's default decimal context.
_MAX_UNITS = 10**40

currencies = st.sampled_from(_CODES)


@st.composite
def monies(draw: st.DrawFn, currency: str | None = None) -> Money:
    """Any amount, negative, zero or positive, in ``currency`` or in any known currency."""
    code = draw(currencies) if currency is None else currency
    units = draw(st.integers(min_value=-_MAX_UNITS, max_value=_MAX_UNITS))
    return Money.from_minor(units, code)


@st.composite
def money_pairs(draw: st.DrawFn) -> tuple[Money, Money]:
    """Two amounts in one currency."""
    code = draw(currencies)
    return draw(monies(code)), draw(monies(code))


_ratio = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.decimals(min_value=0, max_value=1000, places=3).map(str),
    st.decimals(min_value=0, max_value=1000, places=4),
    st.just(0),
)

ratio_lists = st.lists(_ratio, min_size=1, max_size=12).filter(
    lambda rs: any(Decimal(r) != 0 for r in rs)
)

plain_decimals = st.decimals(
    min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=6
)


def _units(parts: tuple[Money, ...]) -> list[int]:
    return [p.minor_units for p in parts]


def _exact_shares(units: int, ratios: list[int | str | Decimal]) -> list[Fraction]:
    weights = [Fraction(Decimal(r)) for r in ratios]
    total = sum(weights, Fraction(0))
    return [units * w / total for w in weights]


# -- construction ---------------------------------------------------------------------------


def test_money_from_str_is_held_at_the_minor_unit() -> None:
    """A string amount is read exactly and padded to the currency's decimals."""
    text = "1.5"

    money = Money(text, "USD")

    assert money.amount == Decimal("1.50")
    assert money.amount.as_tuple().exponent == -2
    assert money.currency == "USD"


def test_money_from_int_is_held_at_the_minor_unit() -> None:
    """An int amount is a whole number of major units."""
    units = 5

    money = Money(units, "USD")

    assert money.amount.as_tuple() == Decimal("5.00").as_tuple()


def test_money_from_decimal_keeps_its_value() -> None:
    """A Decimal amount is taken as it is."""
    amount = Decimal("1.250")

    money = Money(amount, "KWD")

    assert money.amount == amount
    assert str(money) == "1.250 KWD"


def test_trailing_zeros_past_the_minor_unit_are_accepted() -> None:
    """Extra trailing zeros lose nothing, so they are accepted and dropped."""
    text = "1.5000"

    money = Money(text, "USD")

    assert money == Money("1.50", "USD")
    assert str(money) == "1.50 USD"


def test_exponent_notation_is_read_exactly() -> None:
    """A decimal string in exponent form is read exactly and shown in plain form."""
    text = "1E+3"

    money = Money(text, "USD")

    assert str(money) == "1000.00 USD"


@pytest.mark.parametrize(
    ("currency", "decimals", "one"),
    [("JPY", 0, "1"), ("USD", 2, "1.00"), ("KWD", 3, "1.000"), ("CLF", 4, "1.0000")],
)
def test_each_currency_has_its_iso_decimals(currency: str, decimals: int, one: str) -> None:
    """JPY has 0 decimals, USD 2, KWD 3 and CLF 4."""
    amount = 1

    money = Money(amount, currency)

    assert minor_units(currency) == decimals
    assert str(money) == f"{one} {currency}"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1.005", "USD"),
        ("0.5", "JPY"),
        ("1.0001", "KWD"),
        ("0.00001", "CLF"),
        (Decimal("0.001"), "EUR"),
        ("1E-3", "USD"),
    ],
)
def test_too_many_decimals_are_refused(amount: str | Decimal, currency: str) -> None:
    """An amount finer than the currency's minor unit is refused, not rounded."""
    code = currency

    with pytest.raises(InvalidMoney) as info:
        Money(amount, code)

    assert info.value.field == "amount"
    assert info.value.value == amount
    assert "Money.rounded()" in str(info.value)


@pytest.mark.parametrize("amount", [1.5, 0.1, 0.0, float("nan"), float("inf"), -float("inf")])
def test_floats_are_refused(amount: float) -> None:
    """A float is never taken as money, not even one that looks exact."""
    code = "USD"

    with pytest.raises(InvalidMoney, match="floats are not exact"):
        Money(amount, code)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount",
    ["NaN", "sNaN", "-nan", "Infinity", "-inf", Decimal("NaN"), Decimal("-Infinity")],
)
def test_nan_and_infinities_are_refused(amount: str | Decimal) -> None:
    """NaN and the infinities are not amounts, whether given as str or Decimal."""
    code = "USD"

    with pytest.raises(InvalidMoney, match="finite"):
        Money(amount, code)


@pytest.mark.parametrize("amount", [True, False])
def test_bools_are_refused(amount: bool) -> None:
    """A bool is an int to Python but never an amount."""
    code = "USD"

    with pytest.raises(InvalidMoney, match="must be a str, int or Decimal"):
        Money(amount, code)


@pytest.mark.parametrize(
    "amount", [None, [], b"1", object(), Fraction(1, 2), complex(1, 0), {"amount": "1"}]
)
def test_other_types_are_refused(amount: object) -> None:
    """Anything but str, int and Decimal is refused with the value named."""
    code = "USD"

    with pytest.raises(InvalidMoney) as info:
        Money(amount, code)  # type: ignore[arg-type]

    assert info.value.field == "amount"
    assert info.value.value is amount


@pytest.mark.parametrize("amount", ["", "abc", "1,00", "1.2.3", "$1", "1 000", "0x10"])
def test_garbage_strings_are_refused(amount: str) -> None:
    """A string that is not a decimal number is refused."""
    code = "USD"

    with pytest.raises(InvalidMoney, match="not a decimal number"):
        Money(amount, code)


def test_an_absurdly_large_amount_is_refused() -> None:
    """An amount beyond the private decimal context is refused, not rounded."""
    amount = 10**70

    with pytest.raises(InvalidMoney, match="too large"):
        Money(amount, "USD")


@pytest.mark.parametrize(
    "currency", ["usd", "Usd", "XXX", "XAU", "XTS", "ABC", "", "USDX", None, 840, b"USD"]
)
def test_unknown_currencies_are_refused(currency: object) -> None:
    """A code that is not an active ISO 4217 currency with a minor unit is refused."""
    amount = "1"

    with pytest.raises(UnknownCurrency) as info:
        Money(amount, currency)  # type: ignore[arg-type]

    assert info.value.field == "currency"
    assert info.value.value == currency


def test_money_errors_are_value_errors_in_the_orderhub_hierarchy() -> None:
    """The money errors can be caught as ValueError and as OrderhubError."""
    classes = [InvalidMoney, UnknownCurrency, CurrencyMismatch]

    bases = [(issubclass(c, ValueError), issubclass(c, OrderhubError)) for c in classes]

    assert bases == [(True, True)] * 3


def test_money_is_frozen() -> None:
    """A Money cannot be changed after it is made."""
    money = Money("1.00", "USD")

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        money.amount = Decimal("2.00")  # type: ignore[misc]

    assert money == Money("1.00", "USD")


def test_equal_amounts_are_equal_and_hash_alike() -> None:
    """Amounts equal in value and currency are equal, whatever their spelling."""
    a = Money("1.5", "USD")
    b = Money(Decimal("1.50"), "USD")

    same = a == b

    assert same
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_equal_numbers_in_other_currencies_are_not_equal() -> None:
    """Equality across currencies is simply False, never an error."""
    usd = Money("1.00", "USD")
    others: list[object] = [Money("1.00", "EUR"), Decimal("1.00"), "1.00 USD"]

    results = [usd == other for other in others]

    assert results == [False, False, False]


@pytest.mark.parametrize(
    ("currency", "decimals"),
    [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("UYW", 4)],
)
def test_minor_units_function(currency: str, decimals: int) -> None:
    """minor_units() gives the number of decimals of a currency."""
    code = currency

    result = minor_units(code)

    assert result == decimals


@pytest.mark.parametrize("currency", ["XXX", "usd", None, ["USD"], 978])
def test_minor_units_of_unknown_currency(currency: object) -> None:
    """minor_units() refuses anything that is not a known code, even unhashable values."""
    code = currency

    with pytest.raises(UnknownCurrency):
        minor_units(code)  # type: ignore[arg-type]


# -- reading and representation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text", "representation"),
    [
        (Money("149", "USD"), "149.00 USD", "Money('149.00', 'USD')"),
        (Money(500, "JPY"), "500 JPY", "Money('500', 'JPY')"),
        (Money("-1.5", "USD"), "-1.50 USD", "Money('-1.50', 'USD')"),
        (Money("0.0001", "CLF"), "0.0001 CLF", "Money('0.0001', 'CLF')"),
        (Money(10**12, "JPY"), "1000000000000 JPY", "Money('1000000000000', 'JPY')"),
        (Money.zero("KWD"), "0.000 KWD", "Money('0.000', 'KWD')"),
    ],
)
def test_str_and_repr(money: Money, text: str, representation: str) -> None:
    """str shows amount and code; repr shows the constructor call, in plain notation."""
    value = money

    shown = (str(value), repr(value))

    assert shown == (text, representation)


@given(monies())
def test_repr_round_trips(money: Money) -> None:
    """Evaluating the repr of a Money gives an equal Money."""
    namespace = {"Money": Money}

    again = eval(repr(money), namespace)

    assert again == money
    assert str(again) == str(money)


def test_zero_and_sign_predicates() -> None:
    """is_zero and is_negative read the sign of the amount."""
    zero, debit, credit = Money.zero("USD"), Money("1.00", "USD"), Money("-1.00", "USD")

    flags = [(m.is_zero, m.is_negative) for m in (zero, debit, credit)]

    assert flags == [(True, False), (False, False), (False, True)]


# -- minor units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "currency", "expected"),
    [
        (125, "USD", "1.25"),
        (-5, "JPY", "-5"),
        (1, "CLF", "0.0001"),
        (0, "KWD", "0.000"),
        (-1001, "BHD", "-1.001"),
    ],
)
def test_from_minor(units: int, currency: str, expected: str) -> None:
    """from_minor() reads a count of minor units of the currency."""
    count = units

    money = Money.from_minor(count, currency)

    assert money == Money(expected, currency)
    assert str(money) == f"{expected} {currency}"
    assert money.minor_units == units


@pytest.mark.parametrize("units", [1.5, 125.0, "125", Decimal(125), True, None])
def test_from_minor_takes_only_ints(units: object) -> None:
    """from_minor() refuses anything but an int number of minor units."""
    code = "USD"

    with pytest.raises(InvalidMoney) as info:
        Money.from_minor(units, code)  # type: ignore[arg-type]

    assert info.value.field == "units"


def test_from_minor_refuses_unknown_currency() -> None:
    """from_minor() checks the currency code."""
    units = 1

    with pytest.raises(UnknownCurrency):
        Money.from_minor(units, "XAU")


@given(st.integers(min_value=-_MAX_UNITS, max_value=_MAX_UNITS), currencies)
def test_minor_units_round_trip(units: int, currency: str) -> None:
    """from_minor() and .minor_units are inverse to each other."""
    money = Money.from_minor(units, currency)

    back = money.minor_units

    assert back == units
    assert Money(money.amount, currency) == money


# -- arithmetic -----------------------------------------------------------------------------


def test_add_and_subtract() -> None:
    """Amounts of one currency add and subtract exactly."""
    a, b = Money("10.10", "USD"), Money("0.95", "USD")

    results = (a + b, a - b, b - a)

    assert results == (Money("11.05", "USD"), Money("9.15", "USD"), Money("-9.15", "USD"))


def test_negation_absolute_value_and_plus() -> None:
    """Unary minus, abs() and unary plus keep the currency."""
    money = Money("-2.50", "EUR")

    results = (-money, abs(money), +money)

    assert results == (Money("2.50", "EUR"), Money("2.50", "EUR"), money)


def test_multiply_by_int_is_exact() -> None:
    """Multiplying by an int needs no rounding, from either side."""
    money = Money("0.333", "KWD")

    results = (money * 3, 3 * money, money * 0, money * -2)

    assert results == (
        Money("0.999", "KWD"),
        Money("0.999", "KWD"),
        Money("0.000", "KWD"),
        Money("-0.666", "KWD"),
    )


@pytest.mark.parametrize("factor", [Decimal("1.5"), 1.5, Fraction(1, 2), True, "2", None])
def test_star_refuses_anything_but_int(factor: object) -> None:
    """The * operator takes only an int; a rate must go through multiply()."""
    money = Money("1.00", "USD")

    with pytest.raises(TypeError):
        _ = money * factor  # type: ignore[operator]

    assert money == Money("1.00", "USD")


def test_sum_needs_a_money_start() -> None:
    """sum() works when started at zero of the currency."""
    parts = [Money("0.10", "USD"), Money("0.20", "USD"), Money("0.30", "USD")]

    total = sum(parts, Money.zero("USD"))

    assert total == Money("0.60", "USD")


@pytest.mark.parametrize("other", [1, Decimal("1.00"), "1.00", None])
def test_add_refuses_non_money(other: object) -> None:
    """Adding something that is not Money is a TypeError."""
    money = Money("1.00", "USD")

    with pytest.raises(TypeError):
        _ = money + other  # type: ignore[operator]


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_mixing_currencies_is_refused(operation: Callable[[Money, Money], object]) -> None:
    """Arithmetic and ordering between two currencies raise CurrencyMismatch."""
    usd, eur = Money("1.00", "USD"), Money("1.00", "EUR")

    with pytest.raises(CurrencyMismatch) as info:
        operation(usd, eur)

    assert isinstance(info.value, ValueError)
    assert info.value.field == "currency"
    assert info.value.value == "EUR"
    assert (usd, eur) == (Money("1.00", "USD"), Money("1.00", "EUR"))


def test_ordering_within_one_currency() -> None:
    """Amounts of one currency order by value."""
    small, big = Money("-1.00", "USD"), Money("0.99", "USD")

    results = (small < big, small <= big, big > small, big >= small, big < small)

    assert results == (True, True, True, True, False)
    assert sorted([big, small]) == [small, big]


@pytest.mark.parametrize(
    ("policy", "positive", "negative"),
    [
        (RoundingPolicy.HALF_UP, "0.13", "-0.13"),
        (RoundingPolicy.HALF_EVEN, "0.12", "-0.12"),
        (RoundingPolicy.HALF_DOWN, "0.12", "-0.12"),
        (RoundingPolicy.UP, "0.13", "-0.13"),
        (RoundingPolicy.DOWN, "0.12", "-0.12"),
        (RoundingPolicy.CEILING, "0.13", "-0.12"),
        (RoundingPolicy.FLOOR, "0.12", "-0.13"),
    ],
)
def test_multiply_rounds_by_the_policy(
    policy: RoundingPolicy, positive: str, negative: str
) -> None:
    """multiply() rounds the exact product (here a tie, ±0.125) by the given policy."""
    debit, credit = Money("1.00", "USD"), Money("-1.00", "USD")

    results = (debit.multiply("0.125", policy), credit.multiply(Decimal("0.125"), policy))

    assert results == (Money(positive, "USD"), Money(negative, "USD"))


def test_multiply_rounds_half_up_by_default() -> None:
    """Without a policy, multiply() rounds half up, as invoice lines do."""
    money = Money("0.50", "USD")

    result = money.multiply("0.25")

    assert result == Money("0.13", "USD")


def test_multiply_by_an_int_factor() -> None:
    """multiply() takes int factors too."""
    money = Money("2.50", "USD")

    result = money.multiply(4)

    assert result == Money("10.00", "USD")


@pytest.mark.parametrize("factor", [0.5, float("nan"), "abc", "inf", None])
def test_multiply_refuses_inexact_factors(factor: object) -> None:
    """multiply() refuses floats, NaN, infinities and garbage, naming the factor."""
    money = Money("1.00", "USD")

    with pytest.raises(InvalidMoney) as info:
        money.multiply(factor)  # type: ignore[arg-type]

    assert info.value.field == "factor"


@given(money_pairs())
def test_adding_then_subtracting_gives_back_the_amount(pair: tuple[Money, Money]) -> None:
    """a + b - b == a for any two amounts of one currency."""
    a, b = pair

    result = a + b - b

    assert result == a
    assert str(result) == str(a)


@given(money_pairs())
def test_ordering_agrees_with_minor_units(pair: tuple[Money, Money]) -> None:
    """Comparing amounts agrees with comparing their minor units."""
    a, b = pair

    result = (a < b, a <= b, a == b)

    assert result == (
        a.minor_units < b.minor_units,
        a.minor_units <= b.minor_units,
        a.minor_units == b.minor_units,
    )


# -- rounding -------------------------------------------------------------------------------

_ROUNDING_CASES = {
    # policy: results for 2.345, 2.355, -2.345, 2.341, -2.341, -2.349 in USD
    RoundingPolicy.HALF_UP: ["2.35", "2.36", "-2.35", "2.34", "-2.34", "-2.35"],
    RoundingPolicy.HALF_EVEN: ["2.34", "2.36", "-2.34", "2.34", "-2.34", "-2.35"],
    RoundingPolicy.HALF_DOWN: ["2.34", "2.35", "-2.34", "2.34", "-2.34", "-2.35"],
    RoundingPolicy.UP: ["2.35", "2.36", "-2.35", "2.35", "-2.35", "-2.35"],
    RoundingPolicy.DOWN: ["2.34", "2.35", "-2.34", "2.34", "-2.34", "-2.34"],
    RoundingPolicy.CEILING: ["2.35", "2.36", "-2.34", "2.35", "-2.34", "-2.34"],
    RoundingPolicy.FLOOR: ["2.34", "2.35", "-2.35", "2.34", "-2.35", "-2.35"],
}
_ROUNDING_INPUTS = ["2.345", "2.355", "-2.345", "2.341", "-2.341", "-2.349"]


@pytest.mark.parametrize(
    ("policy", "amount", "expected"),
    [
        (policy, amount, expected)
        for policy, row in _ROUNDING_CASES.items()
        for amount, expected in zip(_ROUNDING_INPUTS, row, strict=True)
    ],
)
def test_rounded_by_each_policy(policy: RoundingPolicy, amount: str, expected: str) -> None:
    """rounded() rounds ties and non-ties, positive and negative, by the policy."""
    code = "USD"

    money = Money.rounded(amount, code, policy)

    assert money == Money(expected, code)


def test_every_policy_has_a_rounding_case() -> None:
    """The rounding table above covers every RoundingPolicy."""
    policies = set(RoundingPolicy)

    covered = set(_ROUNDING_CASES)

    assert covered == policies


@pytest.mark.parametrize(
    ("amount", "currency", "policy", "expected"),
    [
        ("2.5", "JPY", RoundingPolicy.HALF_EVEN, "2"),
        ("3.5", "JPY", RoundingPolicy.HALF_EVEN, "4"),
        ("-0.5", "JPY", RoundingPolicy.HALF_UP, "-1"),
        ("-0.5", "JPY", RoundingPolicy.HALF_EVEN, "0"),
        ("1.0005", "KWD", RoundingPolicy.HALF_UP, "1.001"),
        ("-1.0005", "BHD", RoundingPolicy.HALF_DOWN, "-1.000"),
        ("0.00005", "CLF", RoundingPolicy.HALF_UP, "0.0001"),
        ("-0.00005", "CLF", RoundingPolicy.FLOOR, "-0.0001"),
        ("1E-99999999", "USD", RoundingPolicy.HALF_UP, "0.00"),
    ],
)
def test_rounded_in_other_currencies(
    amount: str, currency: str, policy: RoundingPolicy, expected: str
) -> None:
    """rounded() rounds to the minor unit of each currency."""
    code = currency

    money = Money.rounded(amount, code, policy)

    assert money == Money(expected, code)


def test_rounded_is_half_up_by_default() -> None:
    """Without a policy, rounded() rounds half up (away from zero on a tie)."""
    amounts = ["0.005", "-0.005"]

    results = [Money.rounded(a, "USD") for a in amounts]

    assert results == [Money("0.01", "USD"), Money("-0.01", "USD")]


def test_rounded_refuses_floats_and_unknown_currencies() -> None:
    """rounded() applies the same input checks as the constructor."""
    amount = 0.125

    with pytest.raises(InvalidMoney):
        Money.rounded(amount, "USD")  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrency):
        Money.rounded("0.125", "XXX")


@given(plain_decimals, currencies, st.sampled_from(RoundingPolicy))
def test_rounded_is_idempotent(amount: Decimal, currency: str, policy: RoundingPolicy) -> None:
    """Rounding an already rounded amount again changes nothing."""
    once = Money.rounded(amount, currency, policy)

    twice = Money.rounded(once.amount, currency, policy)

    assert twice == once
    assert Money(once.amount, currency) == once


@given(plain_decimals, currencies, st.sampled_from(RoundingPolicy))
def test_rounded_moves_less_than_one_minor_unit(
    amount: Decimal, currency: str, policy: RoundingPolicy
) -> None:
    """The rounded amount is within one minor unit of the exact amount."""
    unit = Fraction(1, 10 ** minor_units(currency))

    money = Money.rounded(amount, currency, policy)

    assert abs(Fraction(money.amount) - Fraction(amount)) < unit


# -- allocate and split ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "ratios", "expected"),
    [
        ("100.00", "USD", [1, 1, 1], ["33.34", "33.33", "33.33"]),
        ("1.00", "USD", [1, 2, 3], ["0.17", "0.33", "0.50"]),
        ("0.03", "USD", [3, 1], ["0.02", "0.01"]),
        ("0.05", "USD", [0, 1, 1], ["0.00", "0.03", "0.02"]),
        ("0.01", "USD", [1, 1], ["0.01", "0.00"]),
        ("0.01", "USD", [0, 1, 1], ["0.00", "0.01", "0.00"]),
        ("10.00", "USD", [Decimal("0.5"), "0.25", 1], ["2.86", "1.43", "5.71"]),
        ("100", "JPY", [1, 1, 1], ["34", "33", "33"]),
        ("1.000", "KWD", [1, 1, 1], ["0.334", "0.333", "0.333"]),
        ("0.0001", "CLF", [1, 1], ["0.0001", "0.0000"]),
        ("-0.05", "USD", [0, 1, 1], ["0.00", "-0.03", "-0.02"]),
        ("-100", "JPY", [1, 1, 1], ["-34", "-33", "-33"]),
        ("0.00", "USD", [1, 2], ["0.00", "0.00"]),
    ],
)
def test_allocate_examples(
    amount: str, currency: str, ratios: list[int | str | Decimal], expected: list[str]
) -> None:
    """allocate() gives each part its share by the largest-remainder rule."""
    money = Money(amount, currency)

    parts = money.allocate(ratios)

    assert parts == tuple(Money(e, currency) for e in expected)


def test_allocate_by_money_ratios() -> None:
    """Amounts can serve as ratios, e.g. to spread a discount over line totals."""
    discount = Money("10.00", "USD")
    lines = [Money("30.00", "USD"), Money("70.00", "USD"), Money("0.00", "USD")]

    parts = discount.allocate(lines)  # type: ignore[arg-type]

    assert parts == (Money("3.00", "USD"), Money("7.00", "USD"), Money("0.00", "USD"))


def test_allocate_largest_remainder_beats_position() -> None:
    """A later part with a larger remainder gets the leftover unit before an earlier one."""
    money = Money("0.10", "USD")

    parts = money.allocate([1, 2])

    # exact shares are 3.33… and 6.66… cents: the second part has the larger remainder
    assert parts == (Money("0.03", "USD"), Money("0.07", "USD"))


@pytest.mark.parametrize(
    ("amount", "currency", "n", "expected"),
    [
        ("0.10", "USD", 3, ["0.04", "0.03", "0.03"]),
        ("-0.10", "USD", 3, ["-0.04", "-0.03", "-0.03"]),
        ("0.02", "USD", 5, ["0.01", "0.01", "0.00", "0.00", "0.00"]),
        ("7", "JPY", 1, ["7"]),
        ("0.005", "KWD", 2, ["0.003", "0.002"]),
        ("1.0000", "CLF", 3, ["0.3334", "0.3333", "0.3333"]),
    ],
)
def test_split_examples(amount: str, currency: str, n: int, expected: list[str]) -> None:
    """split(n) gives n parts as equal as the minor unit allows, larger ones first."""
    money = Money(amount, currency)

    parts = money.split(n)

    assert parts == tuple(Money(e, currency) for e in expected)


def test_allocate_with_a_count_is_split() -> None:
    """allocate(n) with an int is the same as split(n)."""
    money = Money("1.00", "EUR")

    parts = money.allocate(3)

    assert parts == money.split(3)


@pytest.mark.parametrize(
    ("ratios", "field"),
    [
        ([0, 0, 0], "ratios"),
        ([Decimal(0), "0.00"], "ratios"),
        ([], "ratios"),
        ([1, -1], "ratios[1]"),
        ([1, "-0.5"], "ratios[1]"),
        ([Money("-1.00", "USD")], "ratios[0]"),
        ([0.5, 0.5], "ratios[0]"),
        ([True, 1], "ratios[0]"),
        ([1, "abc"], "ratios[1]"),
        ([1, None], "ratios[1]"),
        ([1, "NaN"], "ratios[1]"),
    ],
)
def test_allocate_refuses_bad_ratios(ratios: list[object], field: str) -> None:
    """All-zero, empty, negative, float, bool and garbage ratios are refused, naming the ratio."""
    money = Money("1.00", "USD")

    with pytest.raises(ValidationError) as info:
        money.allocate(ratios)  # type: ignore[arg-type]

    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert money == Money("1.00", "USD")


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "3", None])
def test_split_refuses_bad_counts(n: object) -> None:
    """split() needs a positive int count of parts."""
    money = Money("1.00", "USD")

    with pytest.raises(ValidationError) as info:
        money.split(n)  # type: ignore[arg-type]

    assert info.value.field == "parts"


@given(monies(), ratio_lists)
def test_allocated_parts_sum_to_the_whole(money: Money, ratios: list[int | str | Decimal]) -> None:
    """The parts always add up exactly to the amount: no minor unit is created or lost."""
    whole = money

    parts = whole.allocate(ratios)

    assert len(parts) == len(ratios)
    assert all(p.currency == whole.currency for p in parts)
    assert sum(parts, Money.zero(whole.currency)) == whole


@given(monies(), ratio_lists)
def test_each_part_is_within_one_unit_of_its_share(
    money: Money, ratios: list[int | str | Decimal]
) -> None:
    """Every part differs from its exact share by less than one minor unit."""
    shares = _exact_shares(money.minor_units, ratios)

    parts = _units(money.allocate(ratios))

    assert all(abs(p - s) < 1 for p, s in zip(parts, shares, strict=True))


@given(monies(), ratio_lists)
def test_a_zero_ratio_gets_zero(money: Money, ratios: list[int | str | Decimal]) -> None:
    """A part whose ratio is zero always gets exactly zero."""
    zero_positions = [i for i, r in enumerate(ratios) if Decimal(r) == 0]

    parts = money.allocate(ratios)

    assert all(parts[i].is_zero for i in zero_positions)


@given(monies(), ratio_lists)
def test_allocating_the_negative_mirrors_the_parts(
    money: Money, ratios: list[int | str | Decimal]
) -> None:
    """allocate(-x) is -allocate(x) part for part, so a credit reverses its invoice."""
    positive = money.allocate(ratios)

    negative = (-money).allocate(ratios)

    assert negative == tuple(-p for p in positive)


@given(monies(), ratio_lists)
def test_allocate_is_deterministic(money: Money, ratios: list[int | str | Decimal]) -> None:
    """The same amount and ratios always give the same parts."""
    first = money.allocate(ratios)

    again = Money(money.amount, money.currency).allocate(list(ratios))

    assert again == first
    assert [str(p) for p in again] == [str(p) for p in first]


@given(monies(), st.integers(min_value=1, max_value=50))
def test_split_parts_differ_by_at_most_one_unit(money: Money, n: int) -> None:
    """split(n) parts differ by at most one minor unit, larger magnitudes first."""
    whole = money

    sizes = [abs(u) for u in _units(whole.split(n))]

    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)


# -- exactness whatever the host's decimal context; no negative zero -------------------------


def test_addition_ignores_the_host_decimal_context() -> None:
    """Adding is exact even when the host lowered the thread's decimal precision."""
    a, b = Money("1234.56", "USD"), Money("0.01", "USD")

    with decimal.localcontext(prec=5):
        total = a + b

    assert str(total) == "1234.57 USD"


def test_addition_past_28_digits_stays_at_the_minor_unit() -> None:
    """A sum with more than 28 significant digits keeps its minor unit."""
    a, b = Money("99999999999999999999999999.99", "USD"), Money("0.01", "USD")

    total = a + b

    assert str(total) == "100000000000000000000000000.00 USD"


def test_multiply_rounds_only_once() -> None:
    """multiply() rounds the exact product once, never an already rounded product."""
    money = Money("1.00", "USD")

    result = money.multiply("0.125000000000000000000000000001", RoundingPolicy.HALF_EVEN)

    assert result == Money("0.13", "USD")


def test_zero_is_never_shown_negative() -> None:
    """A zero amount reads as zero, never as minus zero."""
    results = [Money("-0", "USD"), Money.rounded("-0.004", "USD")]

    shown = [str(m) for m in results]

    assert shown == ["0.00 USD", "0.00 USD"]


def test_from_minor_never_rounds() -> None:
    """from_minor() keeps every unit up to 60 digits and refuses a longer count."""
    fits, too_long = 10**59 + 1, 10**70 + 1

    money = Money.from_minor(fits, "USD")

    assert money.minor_units == fits
    with pytest.raises(InvalidMoney, match="60 significant digits"):
        Money.from_minor(too_long, "USD")
