"""Money: an exact ``Decimal`` amount in one ISO 4217 currency."""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final

import attrs

from orderhub._currencies import MINOR_UNITS
from orderhub.errors import CurrencyMismatch, InvalidMoney, UnknownCurrency, ValidationError

__all__ = ["Money", "RoundingPolicy", "minor_units"]

# A private context: wide enough that no amount a business handles loses a digit, and
# independent of whatever the host set as the thread's decimal context.
_CTX: Final = decimal.Context(
    prec=60, Emax=10**6, Emin=-(10**6), traps=[decimal.InvalidOperation, decimal.Overflow]
)
# Arithmetic between amounts must be exact: a result that would need rounding at 60
# significant digits is refused rather than rounded.
_EXACT: Final = decimal.Context(
    prec=60,
    Emax=10**6,
    Emin=-(10**6),
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Inexact],
)
# Wide enough to hold any product exactly before it is rounded once.
_WIDE: Final = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[]
)
_DECIMAL_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIALS: Final = frozenset({"nan", "snan", "inf", "infinity"})
_TOO_LARGE = "amount too large: orderhub keeps at most 60 significant digits"
_EXPONENTS: Final[dict[str, Decimal]] = {c: Decimal(1).scaleb(-d) for c, d in MINOR_UNITS.items()}


class RoundingPolicy(enum.Enum):
    """How an amount finer than the currency's minor unit is rounded."""

    HALF_UP = "half_up"
    """0.005 → 0.01, -0.005 → -0.01 (away from zero on a tie); the default."""
    HALF_EVEN = "half_even"
    """Banker's rounding: a tie goes to the even neighbour."""
    HALF_DOWN = "half_down"
    """A tie goes towards zero."""
    UP = "up"
    """Always away from zero."""
    DOWN = "down"
    """Always towards zero (truncation)."""
    CEILING = "ceiling"
    """Always towards +∞."""
    FLOOR = "floor"
    """Always towards -∞."""

    @property
    def decimal_mode(self) -> str:
        """The matching :mod:`decimal` rounding constant."""
        return _MODES[self]


_MODES: Final = {
    RoundingPolicy.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingPolicy.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingPolicy.HALF_DOWN: decimal.ROUND_HALF_DOWN,
    RoundingPolicy.UP: decimal.ROUND_UP,
    RoundingPolicy.DOWN: decimal.ROUND_DOWN,
    RoundingPolicy.CEILING: decimal.ROUND_CEILING,
    RoundingPolicy.FLOOR: decimal.ROUND_FLOOR,
}


def minor_units(currency: str) -> int:
    """The number of decimals of ``currency`` (JPY 0, USD 2, KWD 3, CLF 4).

    Raises:
        UnknownCurrency: ``currency`` is not an active ISO 4217 code.
    """
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise UnknownCurrency(
            "not an active ISO 4217 currency code", field="currency", value=currency
        ) from None


def _check_currency(value: object) -> str:
    if type(value) is str and value in MINOR_UNITS:
        return value
    raise UnknownCurrency("not an active ISO 4217 currency code", field="currency", value=value)


def to_decimal(value: object, field: str) -> Decimal:
    """Read an exact decimal from ``str``, ``int`` or ``Decimal``; refuse floats and NaN."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int) and not isinstance(value, bool):
        d = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            reason = "not a decimal number"
            if text.lower().lstrip("+-") in _SPECIALS:
                reason = "must be a finite number"
            raise InvalidMoney(reason, field=field, value=value)
        d = Decimal(text)
    elif isinstance(value, float):
        raise InvalidMoney(
            "floats are not exact; pass a str, int or Decimal", field=field, value=value
        )
    else:
        raise InvalidMoney("must be a str, int or Decimal", field=field, value=value)
    if not d.is_finite():
        raise InvalidMoney("must be a finite number", field=field, value=value)
    return d


def _quantize(amount: Decimal, currency: str, mode: str, given: object = None) -> Decimal:
    try:
        q = amount.quantize(_EXPONENTS[currency], rounding=mode, context=_CTX)
    except (decimal.InvalidOperation, decimal.Overflow):
        shown = str(amount) if given is None else given
        raise InvalidMoney(_TOO_LARGE, field="amount", value=shown) from None
    return q if q else q.copy_abs()  # never a negative zero


def _exact_op(op: Callable[[Decimal, Decimal], Decimal], a: Decimal, b: Decimal) -> Decimal:
    try:
        r = op(a, b)
    except (decimal.Inexact, decimal.Overflow, decimal.InvalidOperation):
        raise InvalidMoney(_TOO_LARGE, field="amount", value=f"{a} and {b}") from None
    return r if r else r.copy_abs()


def exact_add(a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` exactly (or ``InvalidMoney``), whatever the thread's decimal context."""
    return _exact_op(_EXACT.add, a, b)


def exact_sub(a: Decimal, b: Decimal) -> Decimal:
    """``a - b`` exactly (or ``InvalidMoney``), whatever the thread's decimal context."""
    return _exact_op(_EXACT.subtract, a, b)


def exact_mul(a: Decimal, b: Decimal | int) -> Decimal:
    """``a × b`` exactly (or ``InvalidMoney``), whatever the thread's decimal context."""
    return _exact_op(_EXACT.multiply, a, Decimal(b))


@attrs.frozen(init=False, repr=False, order=False, eq=True)
class Money:
    """An exact amount of one currency, always held at the currency's minor unit.

    ``Money("149.00", "USD")``; ``Money(500, "JPY")``; ``Money(Decimal("1.250"), "KWD")``.
    Floats, NaN and infinities are refused, and so is an amount with more decimals than the
    currency has (``Money("1.005", "USD")``): use :meth:`rounded` to round on purpose.
    Arithmetic and comparison work only between amounts of one currency.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: str | int | Decimal, currency: str) -> None:
        code = _check_currency(currency)
        if type(amount) is str and _DECIMAL_TEXT.fullmatch(amount):
            d = Decimal(amount)  # the common case: to_decimal's grammar, nothing to strip
        elif type(amount) is Decimal and amount.is_finite():
            d = amount
        else:
            d = to_decimal(amount, "amount")  # everything else, and every error
        try:
            q = d.quantize(_EXPONENTS[code], rounding=decimal.ROUND_HALF_UP, context=_CTX)
        except (decimal.InvalidOperation, decimal.Overflow):
            raise InvalidMoney(_TOO_LARGE, field="amount", value=amount) from None
        if not q:
            q = q.copy_abs()  # never a negative zero
        if q != d:
            raise InvalidMoney(
                f"{code} has {MINOR_UNITS[code]} decimal(s); round explicitly with "
                "Money.rounded()",
                field="amount",
                value=amount,
            )
        object.__setattr__(self, "amount", q)
        object.__setattr__(self, "currency", code)

    @classmethod
    def _exact(cls, amount: Decimal, currency: str) -> Money:
        # Internal constructor for amounts already known to be at the minor unit.
        if cls is Money:
            return _made(amount, currency)
        m = _new(cls)
        _set_amount(m, amount)
        _set_currency(m, currency)
        return m

    @classmethod
    def rounded(
        cls,
        amount: str | int | Decimal,
        currency: str,
        policy: RoundingPolicy = RoundingPolicy.HALF_UP,
    ) -> Money:
        """``amount`` rounded to the currency's minor unit by ``policy`` (half-up by default)."""
        code = _check_currency(currency)
        d = to_decimal(amount, "amount")
        if not isinstance(policy, RoundingPolicy):
            raise ValidationError("must be a RoundingPolicy", field="policy", value=policy)
        return cls._exact(_quantize(d, code, policy.decimal_mode, amount), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        z = _ZEROS.get(currency) if type(currency) is str else None
        if z is None:
            code = _check_currency(currency)
            z = _ZEROS[code] = cls._exact(_quantize(Decimal(0), code, decimal.ROUND_HALF_UP), code)
        return z

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """The amount of ``units`` minor units (cents, fils, yen) of ``currency``."""
        exact_types = type(units) is int and type(currency) is str
        if exact_types and cls is Money:
            made = _BY_MINOR.get((units, currency))
            if made is not None:
                return made
        code = _check_currency(currency)
        if not exact_types and (not isinstance(units, int) or isinstance(units, bool)):
            raise InvalidMoney("minor units must be an int", field="units", value=units)
        try:
            amount = Decimal(units).scaleb(-MINOR_UNITS[code], _EXACT)
        except (decimal.Inexact, decimal.Overflow):
            raise InvalidMoney(_TOO_LARGE, field="units", value=units) from None
        made = cls._exact(amount if amount else amount.copy_abs(), code)
        if exact_types and cls is Money and len(_BY_MINOR) < _SHARED_MAX:
            _BY_MINOR[(units, code)] = made
        return made

    # -- reading -------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as an integer number of minor units (1.25 USD → 125)."""
        return int(self.amount.scaleb(MINOR_UNITS[self.currency], _WIDE))

    @property
    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return not self.amount

    @property
    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.amount < 0

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def __format__(self, spec: str) -> str:
        """Format ``str(self)`` with ``spec`` (alignment and width: ``f"{m:>12}"``)."""
        return format(str(self), spec)

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    # -- arithmetic ----------------------------------------------------------------------

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {op} {self.currency} and {other.currency}",
                field="currency",
                value=other.currency,
            )
        return other

    def __add__(self, other: Money) -> Money:
        currency = self.currency
        if type(other) is not Money or other.currency != currency:
            other = self._same(other, "add")
        a, b = self.amount, other.amount
        try:
            r = _add(a, b)
        except (decimal.Inexact, decimal.Overflow, decimal.InvalidOperation):
            raise InvalidMoney(_TOO_LARGE, field="amount", value=f"{a} and {b}") from None
        return _made(r if r else r.copy_abs(), currency)

    def __sub__(self, other: Money) -> Money:
        currency = self.currency
        if type(other) is not Money or other.currency != currency:
            other = self._same(other, "subtract")
        a, b = self.amount, other.amount
        try:
            r = _subtract(a, b)
        except (decimal.Inexact, decimal.Overflow, decimal.InvalidOperation):
            raise InvalidMoney(_TOO_LARGE, field="amount", value=f"{a} and {b}") from None
        return _made(r if r else r.copy_abs(), currency)

    def __neg__(self) -> Money:
        amount = self.amount
        return Money._exact(amount.copy_negate() if amount else amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._exact(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: int) -> Money:
        if type(factor) is int or (isinstance(factor, int) and not isinstance(factor, bool)):
            product = _exact_op(_multiply, self.amount, Decimal(factor))
            return _made(product, self.currency)
        if isinstance(factor, (Decimal, float, Fraction)):
            raise TypeError("multiplying by a fraction needs rounding: use Money.multiply()")
        return NotImplemented

    __rmul__ = __mul__

    def multiply(
        self, factor: int | str | Decimal, policy: RoundingPolicy = RoundingPolicy.HALF_UP
    ) -> Money:
        """This amount times ``factor`` (a rate, a percentage as a fraction), rounded."""
        f = to_decimal(factor, "factor")
        if not isinstance(policy, RoundingPolicy):
            raise ValidationError("must be a RoundingPolicy", field="policy", value=policy)
        product = _WIDE.multiply(self.amount, f)
        return Money._exact(
            _quantize(product, self.currency, policy.decimal_mode, factor), self.currency
        )

    def __lt__(self, other: Money) -> bool:
        if type(other) is not Money or other.currency != self.currency:
            other = self._same(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if type(other) is not Money or other.currency != self.currency:
            other = self._same(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if type(other) is not Money or other.currency != self.currency:
            other = self._same(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if type(other) is not Money or other.currency != self.currency:
            other = self._same(other, "compare")
        return self.amount >= other.amount

    # -- splitting -----------------------------------------------------------------------

    def allocate(self, ratios: Sequence[int | Decimal | str | Money] | int) -> tuple[Money, ...]:
        """Split this amount by ``ratios`` (or into that many equal parts) with no cent lost.

        Uses the largest-remainder rule on minor units: every part first gets the whole minor
        units of its exact share (rounded towards zero), then the units left over go one each
        to the parts with the largest remainders; a tie goes to the earlier part. Ratios are
        ints, decimal strings, ``Decimal`` or ``Money`` (e.g. line values, to spread a
        discount in proportion to them). The parts
        always sum exactly to the whole, a zero ratio always gets zero, and a negative amount
        splits as the mirror image of its positive (so a credit note reverses an invoice
        part for part).

        Raises:
            ValidationError: a ratio is negative, a float, or all ratios are zero; or the
                count of parts is not positive.
        """
        if isinstance(ratios, Sequence) and not isinstance(ratios, str):
            weights = [_ratio(r, i) for i, r in enumerate(ratios)]
        else:
            n = _count(ratios)
            weights = [Fraction(1)] * n
        if not weights:
            raise ValidationError("need at least one part", field="ratios", value=[])
        total_weight = sum(weights, Fraction(0))
        if total_weight == 0:
            raise ValidationError(
                "ratios must not all be zero", field="ratios", value=[str(w) for w in weights]
            )
        units = self.minor_units
        sign = -1 if units < 0 else 1
        whole = abs(units)
        shares = [whole * w / total_weight for w in weights]
        parts = [int(s) for s in shares]  # floor, since shares are ≥ 0
        left = whole - sum(parts)
        if left:
            order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
            for i in order[:left]:
                parts[i] += 1
        return tuple(Money.from_minor(sign * p, self.currency) for p in parts)

    def split(self, n: int) -> tuple[Money, ...]:
        """Split into ``n`` parts as equal as the minor unit allows (earlier parts larger)."""
        return self.allocate(n)


_ZEROS: dict[str, Money] = {}
# Money's internal constructor, bound once: a bare instance and its two slots set directly.
_new = object.__new__
_set_amount = Money.__dict__["amount"].__set__
_set_currency = Money.__dict__["currency"].__set__
_add = _EXACT.add
# Money is immutable, and a hub keeps many equal amounts (prices, totals, taxes): the
# amounts orderhub's arithmetic makes share one instance per value, so that the documents
# and events hold fewer objects for the cyclic GC to scan. Keyed by the amount's text and
# the code, which tell every amount and exponent apart; the table stops growing at
# _SHARED_MAX entries.
_SHARED: dict[str, Money] = {}
_BY_MINOR: dict[tuple[int, str], Money] = {}  # Money.from_minor's answers, alike
_SHARED_MAX = 1 << 14


def _made(amount: Decimal, currency: str) -> Money:
    # A Money of ``amount`` (already at ``currency``'s minor unit), shared if seen before.
    key = str(amount) + currency  # the amount's text ends in a digit, the code is letters
    m = _SHARED.get(key)
    if m is None:
        m = _new(Money)
        _set_amount(m, amount)
        _set_currency(m, currency)
        if len(_SHARED) < _SHARED_MAX:
            _SHARED[key] = m
    return m


_subtract = _EXACT.subtract
_multiply = _EXACT.multiply


def _count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError("the number of parts must be a positive int", field="parts", value=n)
    return n


def _ratio(r: object, i: int) -> Fraction:
    if isinstance(r, Money):
        r = r.amount
    if isinstance(r, (float, bool)):
        raise ValidationError("ratios must be int, str or Decimal", field=f"ratios[{i}]", value=r)
    d = to_decimal(r, f"ratios[{i}]")
    if d < 0:
        raise ValidationError("ratios must not be negative", field=f"ratios[{i}]", value=r)
    return Fraction(d)
