"""Payment terms: due date, early-payment discount window, instalments."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs

from orderhub._money import Money, minor_units, to_decimal
from orderhub.errors import ValidationError

__all__ = ["Instalment", "PaymentTerms"]


def _days(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is None and a.name == "discount_days":
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            "must be a whole number of days, 0 or more", field=a.name, value=value
        )


def _share(value: Decimal) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError("must be a Decimal", field="share", value=value)
    d = to_decimal(value, "share")
    if not 0 < d <= 1:
        raise ValidationError("must lie above 0 and at most 1", field="share", value=value)
    return d


@attrs.frozen
class Instalment:
    """One part of an invoice that falls due on its own: ``share`` of the total (a fraction),
    ``due_days`` after the invoice date."""

    share: Decimal = attrs.field(converter=_share)
    due_days: int = attrs.field(validator=_days)


def _percent(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError("must be a Decimal", field="discount_percent", value=value)
    d = to_decimal(value, "discount_percent")
    if not 0 < d < 100:
        raise ValidationError(
            "must lie above 0 and below 100", field="discount_percent", value=value
        )
    return d


def _instalments(value: Sequence[Instalment]) -> tuple[Instalment, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(i, Instalment) for i in value):
        raise ValidationError("must be a tuple of Instalment", field="instalments", value=value)
    return tuple(value)


_DUE_ON_RECEIPT: Final = re.compile(r"(?:due\s+(?:up)?on\s+receipt|receipt|cod|net\s*0)")
_TERMS: Final = re.compile(
    r"(?:(?P<pct>\d+(?:\.\d+)?)\s*%?\s*/\s*(?P<dd>\d+)\s*,?\s*)?"
    r"(?:net\s*|n\s*/\s*)(?P<net>\d+)(?:\s*days?)?"
)


@attrs.frozen(kw_only=True)
class PaymentTerms:
    """When an invoice falls due, and the discount for paying early.

    ``net_days`` after the invoice date the whole amount is due (0: due on receipt). With
    ``discount_percent`` and ``discount_days`` (both or neither), paying within
    ``discount_days`` earns ``discount_percent`` % off ("2/10 net 30": 2 % within 10 days,
    else the full amount within 30). ``instalments`` split the amount into parts with their
    own due days (shares summing to exactly 1, due days strictly increasing); the invoice's
    due date is then the later of ``net_days`` and the last instalment.

    ``PaymentTerms.parse("2/10 net 30")``, ``parse("net 30")``, ``parse("due on receipt")``.
    """

    net_days: int = attrs.field(default=0, validator=_days)
    discount_percent: Decimal | None = attrs.field(default=None, converter=_percent)
    discount_days: int | None = attrs.field(default=None, validator=_days)
    instalments: tuple[Instalment, ...] = attrs.field(default=(), converter=_instalments)

    def __attrs_post_init__(self) -> None:
        if (self.discount_percent is None) != (self.discount_days is None):
            raise ValidationError(
                "give discount_percent and discount_days together, or neither",
                field="discount_days",
                value=self.discount_days,
            )
        if self.discount_days is not None and self.discount_days > self.final_days:
            raise ValidationError(
                "the discount window must end no later than the due date",
                field="discount_days",
                value=self.discount_days,
            )
        if self.instalments:
            total = sum((i.share for i in self.instalments), Decimal(0))
            if total != 1:
                raise ValidationError(
                    "instalment shares must sum to exactly 1",
                    field="instalments",
                    value=str(total),
                )
            days = [i.due_days for i in self.instalments]
            if any(b <= a for a, b in itertools.pairwise(days)):
                raise ValidationError(
                    "instalment due days must strictly increase", field="instalments", value=days
                )

    @classmethod
    def parse(cls, text: str) -> PaymentTerms:
        """Terms from their usual notation: ``"2/10 net 30"``, ``"2/10, n/30"``,
        ``"net 30"``, ``"n/45"``, ``"due on receipt"`` (case and spacing are free)."""
        if not isinstance(text, str):
            raise ValidationError("must be a string", field="terms", value=text)
        t = " ".join(text.lower().split())
        if _DUE_ON_RECEIPT.fullmatch(t):
            return cls()
        m = _TERMS.fullmatch(t)
        if m is None:
            raise ValidationError(
                'not terms like "2/10 net 30", "net 30" or "due on receipt"',
                field="terms",
                value=text,
            )
        pct, dd = m["pct"], m["dd"]
        return cls(
            net_days=int(m["net"]),
            discount_percent=Decimal(pct) if pct is not None else None,
            discount_days=int(dd) if dd is not None else None,
        )

    def __str__(self) -> str:
        if self.instalments:
            parts = ", ".join(f"{i.share} at {i.due_days} days" for i in self.instalments)
            text = f"instalments: {parts}"
        elif self.net_days == 0:
            text = "due on receipt"
        else:
            text = f"net {self.net_days}"
        if self.discount_percent is not None:
            text = f"{self.discount_percent.normalize():f}/{self.discount_days} {text}"
        return text

    # -- reading -------------------------------------------------------------------------

    @property
    def final_days(self) -> int:
        """Days from the invoice date until the last amount falls due."""
        last = self.instalments[-1].due_days if self.instalments else 0
        return max(self.net_days, last)

    @property
    def has_discount(self) -> bool:
        """True when paying early earns a discount."""
        return self.discount_percent is not None

    def due_on(self, issued: date) -> date:
        """The date the (last part of the) amount falls due for an invoice of ``issued``."""
        return issued + timedelta(days=self.final_days)

    def discount_until(self, issued: date) -> date | None:
        """The last day that earns the early-payment discount, or ``None`` without one."""
        if self.discount_days is None:
            return None
        return issued + timedelta(days=self.discount_days)

    def discount(self, amount: Money) -> Money:
        """The early-payment discount on ``amount`` (rounded half-up; zero without one)."""
        if not isinstance(amount, Money):
            raise ValidationError("must be Money", field="amount", value=amount)
        if self.discount_percent is None:
            return Money.zero(amount.currency)
        discount = amount.multiply(self.discount_percent.scaleb(-2))
        if amount.amount > 0 and discount >= amount:
            # 60 % of 0.01 rounds to 0.01: a discount never takes the whole amount.
            return amount - Money(
                Decimal(1).scaleb(-minor_units(amount.currency)), amount.currency
            )
        return discount

    def instalment_amounts(self, total: Money) -> tuple[tuple[Money, int], ...]:
        """``total`` split into (amount, due days) per instalment, summing exactly to it.

        Without instalments: one part, the whole total at ``net_days``.
        """
        if not isinstance(total, Money):
            raise ValidationError("must be Money", field="total", value=total)
        if not self.instalments:
            return ((total, self.net_days),)
        parts = total.allocate([i.share for i in self.instalments])
        # An amount too small to split leaves some instalments at zero: nothing falls due
        # on them, so they are left out (the parts still sum exactly to the total).
        split = tuple(
            (p, i.due_days) for p, i in zip(parts, self.instalments, strict=True) if not p.is_zero
        )
        return split or ((total, self.instalments[-1].due_days),)
