"""Pricing an order's lines: gross, line discounts, order discounts spread exactly."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from orderhub._money import Money, exact_add, exact_mul, exact_sub
from orderhub._orders import OrderLine
from orderhub._requests import Discount
from orderhub.errors import CurrencyMismatch, ValidationError

__all__ = ["discount_total", "reprice"]

_ZERO = Decimal(0)


def discount_total(
    discounts: Sequence[Discount], base: Decimal, currency: str, field: str
) -> Decimal:
    """Σ of ``discounts`` on ``base`` (percentages rounded half-up per discount)."""
    total = _ZERO
    for j, d in enumerate(discounts):
        if d.amount is not None:
            if d.amount.currency != currency:
                raise CurrencyMismatch(
                    f"order is in {currency}", field=f"{field}[{j}].amount", value=str(d.amount)
                )
            total = exact_add(total, d.amount.amount)
        else:
            assert d.percent is not None
            off = Money._exact(base, currency).multiply(d.percent.scaleb(-2))
            total = exact_add(total, off.amount)
    if total > base:
        raise ValidationError(
            f"discounts of {total} {currency} exceed the {base} {currency} they apply to",
            field=field,
            value=str(total),
        )
    return total


def reprice(
    lines: Sequence[OrderLine], order_discounts: Sequence[Discount], currency: str
) -> tuple[tuple[OrderLine, ...], Money]:
    """``lines`` priced again at their (captured) unit prices and current ordered quantities:
    line discounts recomputed, order discounts spread over the new line values with
    :meth:`Money.allocate`. Returns the lines and the new order total."""
    grosses: list[Decimal] = []
    line_discounts: list[Decimal] = []
    nets: list[Decimal] = []
    for i, line in enumerate(lines):
        gross = exact_mul(line.unit_price.amount, line.quantities.ordered)
        discount = (
            discount_total(line.discounts, gross, currency, f"lines[{i}].discounts")
            if line.discounts
            else _ZERO
        )
        grosses.append(gross)
        line_discounts.append(discount)
        nets.append(exact_sub(gross, discount))
    subtotal = _ZERO
    for n in nets:
        subtotal = exact_add(subtotal, n)
    order_discount = (
        discount_total(order_discounts, subtotal, currency, "discounts")
        if order_discounts
        else _ZERO
    )
    zero = Money.zero(currency)
    if order_discount:
        shares: Sequence[Money] = Money._exact(order_discount, currency).allocate(nets)
    else:
        shares = [zero] * len(nets)
    priced = tuple(
        attrs.evolve(
            line,
            line_discount=Money._exact(line_discounts[i], currency) if line_discounts[i] else zero,
            order_discount=shares[i],
        )
        for i, line in enumerate(lines)
    )
    return priced, Money._exact(exact_sub(subtotal, order_discount), currency)
