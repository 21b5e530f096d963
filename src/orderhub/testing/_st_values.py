"""Strategies of orderhub's values: text, money, addresses, identities, requests, catalogs.

Also the helpers the other strategy modules share (``_cached``, ``_optional``, ``_tokens``,
``_codes``). Private: import the strategies from :mod:`orderhub.testing.strategies`.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar, cast

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from orderhub._catalog import Catalog, Item
from orderhub._currencies import MINOR_UNITS
from orderhub._identity import AttributeValue, CustomerIdentity
from orderhub._money import Money
from orderhub._requests import CaptureContext, Discount, LineRequest, OrderRequest, ServiceLevel
from orderhub._values import Address, Channel, ConsentChannel, GeoPoint

T = TypeVar("T")


P = ParamSpec("P")


def _cached(factory: Callable[P, T]) -> Callable[P, T]:
    """Reuse the strategy a factory built for the same (hashable) arguments: building and
    validating strategies again inside every draw of a composite is most of its cost."""
    cached: Any = functools.lru_cache(maxsize=256)(factory)

    @functools.wraps(factory)
    def reuse(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return cast(T, cached(*args, **kwargs))
        except TypeError:  # an unhashable argument (a list): build afresh
            return factory(*args, **kwargs)

    return reuse


_MAX_AMOUNT = Decimal(10) ** 9
"""The default largest amount (in major units) :func:`money` draws."""

_HUNDRED = Decimal(100)

# -- text -----------------------------------------------------------------------------------

_PRINTABLE = st.characters(exclude_categories=("C", "Z"))
"""Any character with a glyph: never whitespace (so ``strip`` keeps it), never a surrogate."""
_ANY_TEXT_CHAR = st.characters(exclude_categories=("Cs", "Cc"))
_ASCII_PRINTABLE = st.sampled_from(string.ascii_letters + string.digits + string.punctuation)
_ASCII_TEXT_CHAR = st.sampled_from(string.ascii_letters + string.digits + string.punctuation + " ")


@_cached
def texts(*, max_size: int = 40, ascii_only: bool = False) -> st.SearchStrategy[str]:
    """Strings that are not blank: the first character is printable, the rest anything
    (spaces and non-ASCII letters included unless ``ascii_only``)."""
    first = _ASCII_PRINTABLE if ascii_only else _PRINTABLE
    rest = _ASCII_TEXT_CHAR if ascii_only else _ANY_TEXT_CHAR
    return st.builds(str.__add__, first, st.text(rest, max_size=max(0, max_size - 1)))


_TOKEN_CHARS = string.ascii_uppercase + string.digits + "-_."


@_cached
def skus(*, ascii_only: bool = True) -> st.SearchStrategy[str]:
    """SKUs: short tokens like ``TENT-2P`` (any printable text unless ``ascii_only``)."""
    if not ascii_only:
        return texts(max_size=20)
    return st.text(st.sampled_from(_TOKEN_CHARS), min_size=1, max_size=12).map(lambda s: "S" + s)


_any_skus = skus  # for the functions whose ``skus`` parameter hides this one


@_cached
def _tokens() -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(_TOKEN_CHARS), min_size=1, max_size=12)


# -- money ----------------------------------------------------------------------------------


@_cached
def currencies(*, minor_units: int | Sequence[int] | None = None) -> st.SearchStrategy[str]:
    """Active ISO 4217 codes; ``minor_units`` keeps those with that many decimals (JPY 0,
    USD 2, KWD 3, CLF 4), e.g. ``currencies(minor_units=(0, 3))`` for the awkward ones."""
    if minor_units is None:
        wanted = None
    elif isinstance(minor_units, int):
        wanted = {minor_units}
    else:
        wanted = set(minor_units)
    codes = sorted(c for c, d in MINOR_UNITS.items() if wanted is None or d in wanted)
    if not codes:
        raise InvalidArgument(f"no active currency has {minor_units} minor unit(s)")
    return st.sampled_from(codes)


def _codes(currency: str | st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    if currency is None:
        return currencies()
    if isinstance(currency, str):
        if currency not in MINOR_UNITS:
            raise InvalidArgument(f"{currency!r} is not an active ISO 4217 currency")
        return st.just(currency)
    return currency


def _major(value: str | int | Decimal | Money) -> Decimal:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, float):
        raise InvalidArgument("bounds must be str, int, Decimal or Money, not float")
    return Decimal(value)


def _minor_bounds(currency: str, lo: Decimal, hi: Decimal) -> tuple[int, int]:
    scale = Decimal(10) ** MINOR_UNITS[currency]
    low = int((lo * scale).to_integral_value(rounding="ROUND_CEILING"))
    high = int((hi * scale).to_integral_value(rounding="ROUND_FLOOR"))
    if low > high:
        raise InvalidArgument(f"no {currency} amount lies between {lo} and {hi}")
    return low, high


@_cached
def money(
    currency: str | st.SearchStrategy[str] | None = None,
    *,
    min_value: str | int | Decimal | Money | None = None,
    max_value: str | int | Decimal | Money | None = None,
    allow_negative: bool = False,
    allow_zero: bool = True,
) -> st.SearchStrategy[Money]:
    """Amounts at the currency's minor unit, from ``min_value`` to ``max_value`` (major units).

    ``currency`` is a code, a strategy of codes, or ``None`` for any active currency. The
    bounds default to 0 (or -``max_value`` with ``allow_negative``) and 10⁹ major units.
    """
    hi = _major(max_value) if max_value is not None else _MAX_AMOUNT
    lo = -hi if allow_negative else Decimal(0)
    if min_value is not None:
        lo = _major(min_value)
    if lo > hi:
        raise InvalidArgument(f"min_value {lo} exceeds max_value {hi}")
    codes = (
        currencies()
        if currency is None
        else st.just(currency)
        if isinstance(currency, str)
        else currency
    )
    if isinstance(currency, str):
        if currency not in MINOR_UNITS:
            raise InvalidArgument(f"{currency!r} is not an active ISO 4217 currency")
        _minor_bounds(currency, lo, hi)  # fail now, not at the first draw

    def amounts(code: str) -> st.SearchStrategy[Money]:
        low, high = _minor_bounds(code, lo, hi)
        units = st.integers(low, high)
        if not allow_zero:
            if low == high == 0:
                raise InvalidArgument(f"the only {code} amount in range is zero")
            units = units.map(lambda u: u if u else (1 if high >= 1 else -1))
        return units.map(lambda u: Money.from_minor(u, code))

    return codes.flatmap(amounts)


# -- small values ---------------------------------------------------------------------------


@_cached
def geo_points() -> st.SearchStrategy[GeoPoint]:
    """Any position on the globe, poles and antimeridian included."""
    return st.builds(
        GeoPoint,
        st.floats(-90, 90, allow_nan=False, allow_infinity=False),
        st.floats(-180, 180, allow_nan=False, allow_infinity=False),
    )


_COUNTRIES = (
    "US", "CA", "MX", "BR", "GB", "IE", "FR", "DE", "NL", "ES", "IT", "PL", "SE", "NO", "IS",
    "CH", "AT", "GR", "TR", "RU", "UA", "EG", "MA", "NG", "KE", "ZA", "SA", "AE", "KW", "BH",
    "IL", "IN", "PK", "CN", "JP", "KR", "TW", "VN", "TH", "SG", "ID", "AU", "NZ", "CL", "AR",
)  # fmt: skip


@_cached
def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


@_cached
def addresses(
    *,
    countries: Sequence[str] | None = None,
    ascii_only: bool = False,
    with_geo: bool | None = None,
) -> st.SearchStrategy[Address]:
    """Postal addresses; names, streets and cities include non-ASCII text unless
    ``ascii_only``. ``with_geo`` forces a position on (``True``) or off (``False``)."""
    text = texts(max_size=30, ascii_only=ascii_only)
    geo: st.SearchStrategy[GeoPoint | None]
    if with_geo is None:
        geo = _optional(geo_points())
    elif with_geo:
        geo = geo_points()
    else:
        geo = st.none()
    return st.builds(
        Address,
        line1=text,
        city=text,
        country=st.sampled_from(tuple(countries) if countries else _COUNTRIES),
        postal_code=_optional(st.text(string.ascii_uppercase + string.digits + " -", max_size=10)),
        line2=_optional(text),
        region=_optional(st.text(string.ascii_uppercase, min_size=1, max_size=3)),
        name=_optional(text),
        company=_optional(text),
        phone=_optional(phones()),
        geo=geo,
    )


@_cached
def emails() -> st.SearchStrategy[str]:
    """E-mail addresses ``normalise_email`` accepts, in mixed case."""
    local = st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=20)
    label = st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
    return st.builds(
        "{}@{}.{}".format, local, st.lists(label, min_size=1, max_size=2).map(".".join), label
    )


@_cached
def phones() -> st.SearchStrategy[str]:
    """Phone numbers ``normalise_phone`` accepts: 6 to 15 digits, optionally international
    (``+`` or ``00``), with or without separators."""
    # A national number never starts with 0 here, so that it cannot read as "00…".
    digits = st.builds(
        str.__add__, st.sampled_from("123456789"), st.text(string.digits, min_size=5, max_size=14)
    )
    prefix = st.sampled_from(["", "+", "00"])
    sep = st.sampled_from(["", " ", "-", "."])

    def spaced(d: str, s: str) -> str:
        return s.join(d[i : i + 3] for i in range(0, len(d), 3))

    return st.builds(lambda p, d, s: p + spaced(d, s), prefix, digits, sep)


@_cached
def customer_identities(
    *,
    customer_ids: Sequence[str] = (),
    anonymous: bool | None = None,
    ascii_only: bool = False,
) -> st.SearchStrategy[CustomerIdentity]:
    """Identities as channels report them. ``customer_id`` is only set from
    ``customer_ids`` (ids the hub knows); ``anonymous=True`` draws identities with no
    identifier, ``False`` identities with at least one."""
    name = _optional(texts(max_size=30, ascii_only=ascii_only))
    if anonymous:
        return st.builds(CustomerIdentity, name=name)
    ids = _optional(st.sampled_from(tuple(customer_ids))) if customer_ids else st.none()
    base = st.builds(
        CustomerIdentity,
        email=_optional(emails()),
        phone=_optional(phones()),
        loyalty_id=_optional(_tokens()),
        name=name,
        external_id=_optional(_tokens()),
        customer_id=ids,
    )
    if anonymous is None:
        return base
    return st.builds(
        lambda ident, email: ident if not ident.is_anonymous else attrs.evolve(ident, email=email),
        base,
        emails(),
    )


@_cached
def attribute_names(*, ascii_only: bool = False) -> st.SearchStrategy[str]:
    """Attribute names: any non-blank text (``age_band``, ``größe``)."""
    return texts(max_size=20, ascii_only=ascii_only)


@_cached
def attribute_values() -> st.SearchStrategy[AttributeValue]:
    """Every kind an attribute value may be: str, int, bool, Decimal and date."""
    return st.one_of(
        st.text(_ANY_TEXT_CHAR, max_size=20),
        st.integers(-(2**63), 2**63),
        st.booleans(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.dates(),
    )


@_cached
def aware_datetimes(
    *, min_value: datetime | None = None, max_value: datetime | None = None
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes (fixed offsets from -12:00 to +14:00, to the minute),
    by default between 2000 and 2100."""
    lo = (min_value or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
    hi = (max_value or datetime(2100, 1, 1, tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
    offsets = st.one_of(
        st.just(UTC),
        st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    )
    return st.builds(
        lambda naive, tz: naive.replace(tzinfo=UTC, fold=0).astimezone(tz),
        st.datetimes(lo, hi),
        offsets,
    )


@_cached
def discounts(
    currency: str | None = None, *, max_amount: Money | None = None
) -> st.SearchStrategy[Discount]:
    """Discounts: a percentage (0.01–100) or a positive amount in ``currency`` (any
    currency if ``None``, at most ``max_amount`` if given), with or without a code."""
    percent = st.decimals(Decimal("0.01"), _HUNDRED, places=2).map(lambda p: Discount(percent=p))
    if max_amount is not None:
        currency = max_amount.currency
        amounts = money(currency, min_value=0, max_value=max_amount, allow_zero=False)
    else:
        amounts = money(currency, allow_zero=False)
    fixed = amounts.map(lambda m: Discount(amount=m))
    code = _optional(_tokens())
    return st.builds(lambda d, c: attrs.evolve(d, code=c), percent | fixed, code)


@_cached
def capture_contexts(*, ascii_only: bool = False) -> st.SearchStrategy[CaptureContext]:
    """Where an order came from: campaign, promo code, referrer, UTM tags, store, device."""
    text = _optional(texts(max_size=20, ascii_only=ascii_only))
    return st.builds(
        CaptureContext,
        campaign=text,
        promo_code=_optional(_tokens()),
        referrer=text,
        utm_source=text,
        utm_medium=text,
        utm_campaign=text,
        store_id=_optional(_tokens()),
        associate_id=_optional(_tokens()),
        device=text,
        tags=st.lists(st.text(_ANY_TEXT_CHAR, max_size=10), max_size=3).map(tuple),
    )


@_cached
def line_requests(
    *,
    skus: Sequence[str] | None = None,
    currency: str | None = None,
    max_quantity: int = 100,
) -> st.SearchStrategy[LineRequest]:
    """Order lines, each valid on its own (not necessarily against a catalog: use
    :func:`order_requests` for that). ``max_quantity`` may be huge."""
    sku = st.sampled_from(tuple(skus)) if skus else _any_skus()
    return st.builds(
        LineRequest,
        sku=sku,
        quantity=st.integers(1, max_quantity),
        unit_price=_optional(money(currency)),
        discounts=st.lists(discounts(currency), max_size=2).map(tuple),
    )


@_cached
def items(
    currency: str | st.SearchStrategy[str] | None = None,
    *,
    skus: st.SearchStrategy[str] | None = None,
    owners: Sequence[str] = ("main", "acme"),
    drop_ship_vendors: Sequence[str] | None = None,
    min_price: str | int | Decimal | Money | None = None,
) -> st.SearchStrategy[Item]:
    """Catalog items priced in ``currency`` (any if ``None``; free ones included unless
    ``min_price``), some drop-shipped: by any vendor, or by one of ``drop_ship_vendors``
    when given (``()``: none is)."""
    vendor: st.SearchStrategy[str | None]
    if drop_ship_vendors is None:
        vendor = _optional(_tokens())
    elif drop_ship_vendors:
        vendor = _optional(st.sampled_from(tuple(drop_ship_vendors)))
    else:
        vendor = st.none()
    return st.builds(
        Item,
        sku=skus if skus is not None else _any_skus(),
        description=texts(max_size=30),
        price=money(currency, min_value=min_price, max_value=10**6),
        owner=st.sampled_from(tuple(owners)),
        category=_optional(_tokens()),
        drop_ship_vendor=vendor,
        weight=_optional(st.decimals(0, 10_000, places=3)),
    )


@_cached
def catalogs(
    currency: str | st.SearchStrategy[str] | None = None,
    *,
    min_size: int = 1,
    max_size: int = 10,
) -> st.SearchStrategy[Catalog]:
    """A :class:`Catalog` of items with distinct SKUs; all in one ``currency`` if given,
    else in one or more currencies."""
    one = items(currency)
    return st.lists(one, min_size=min_size, max_size=max_size, unique_by=_sku_of).map(_catalog_of)


def _sku_of(item: Item) -> str:
    return item.sku


def _catalog_of(found: list[Item]) -> Catalog:
    catalog = Catalog()
    for item in found:
        catalog.add(item)
    return catalog


# -- order requests that capture ------------------------------------------------------------


def _draw_discounts(draw: st.DrawFn, base: Money, allowed: bool) -> tuple[Discount, ...]:
    """At most one percentage (≤ 50 %) and one amount (≤ a quarter of ``base``): never more
    than ``base`` together, however it rounds."""
    if not allowed:
        return ()
    found: list[Discount] = []
    if draw(st.booleans()):
        p = draw(_HALF_PERCENTS)
        found.append(Discount(percent=p, code=draw(_optional(_tokens()))))
    cap = base.minor_units // 4
    if cap >= 1 and draw(st.booleans()):
        units = draw(st.integers(1, cap))
        found.append(Discount(amount=Money.from_minor(units, base.currency)))
    if len(found) == 2 and draw(st.booleans()):
        found.reverse()
    return tuple(found)


_HALF_PERCENTS = st.integers(1, 5000).map(lambda hundredths: Decimal(hundredths).scaleb(-2))
"""Percentages from 0.01 to 50.00."""


def _discount_total(ds: Sequence[Discount], base: Money) -> Money:
    total = Money.zero(base.currency)
    for d in ds:
        if d.amount is not None:
            total = total + d.amount
        elif d.percent is not None:
            total = total + base.multiply(d.percent / _HUNDRED)
    return total


@_cached
@st.composite
def order_requests(
    draw: st.DrawFn,
    catalog: Catalog | Sequence[Item] | None = None,
    *,
    skus: Sequence[str] | None = None,
    currency: str | None = None,
    min_lines: int = 1,
    max_lines: int = 5,
    max_quantity: int = 100,
    with_discounts: bool = True,
    channels: Sequence[Channel] | None = None,
    identities: st.SearchStrategy[CustomerIdentity] | None = None,
    placed_before: datetime | None = None,
    min_price: str | int | Decimal | Money | None = None,
    places: st.SearchStrategy[Address] | None = None,
    contexts: st.SearchStrategy[CaptureContext] | None = None,
    attributes: st.SearchStrategy[dict[str, AttributeValue]] | None = None,
) -> OrderRequest:
    """Order requests that :meth:`OrderHub.capture` accepts.

    * With a ``catalog`` (or its items): lines use its SKUs, at its price in one currency
      (``currency``, or one the catalog uses), sometimes with a price of their own.
    * With only ``skus``: every line brings its own ``unit_price``, so the request is valid
      for any catalog that has those SKUs.
    * With neither: free SKUs, each line priced: valid for a hub whose catalog policy is
      ``CatalogPolicy.ALLOW_PRICED``.

    Discounts never exceed what they apply to. ``placed_at`` is drawn (not after
    ``placed_before``) only when ``placed_before`` is given. The customer identity never
    names a hub customer id unless ``identities`` does. Keys are not unique across draws:
    use ``st.lists(..., unique_by=lambda r: r.key)`` for several requests into one hub.

    The parts that are not lines can be narrowed: ``places`` (ship-to and bill-to
    addresses), ``contexts`` and ``attributes``; ``min_price`` bounds the prices lines
    bring of their own (major units or Money).
    """
    if not 1 <= min_lines <= max_lines:
        raise InvalidArgument("need 1 <= min_lines <= max_lines")
    found = list(catalog) if catalog is not None else []
    if currency is None:
        currency = draw(
            st.sampled_from(sorted({i.price.currency for i in found})) if found else currencies()
        )
    elif currency not in MINOR_UNITS:
        raise InvalidArgument(f"{currency!r} is not an active ISO 4217 currency")
    if found:
        candidates: list[tuple[str, Money | None]] = [(i.sku, i.price) for i in found]
    elif skus:
        candidates = [(s, None) for s in skus]
    else:
        candidates = []
    price = money(currency, min_value=min_price, max_value=10**6)

    lines: list[LineRequest] = []
    nets: list[Money] = []
    for _ in range(draw(st.integers(min_lines, max_lines))):
        if candidates:
            sku, listed = draw(st.sampled_from(candidates))
        else:
            sku, listed = draw(_any_skus()), None
        if listed is not None and listed.currency == currency and draw(st.booleans()):
            unit_price, effective = None, listed
        else:
            unit_price = effective = draw(price)
        quantity = draw(st.integers(1, max_quantity))
        gross = effective * quantity
        line_discounts = _draw_discounts(draw, gross, with_discounts)
        nets.append(gross - _discount_total(line_discounts, gross))
        lines.append(
            LineRequest(
                sku=sku, quantity=quantity, unit_price=unit_price, discounts=line_discounts
            )
        )
    subtotal = Money.zero(currency)
    for n in nets:
        subtotal = subtotal + n
    order_discounts = _draw_discounts(draw, subtotal, with_discounts)

    external_id = draw(_optional(_tokens()))
    key = draw(_tokens()) if external_id is None else draw(_optional(_tokens()))
    placed_at = None
    if placed_before is not None:
        placed_at = draw(_optional(aware_datetimes(max_value=placed_before)))
    return OrderRequest(
        channel=draw(st.sampled_from(tuple(channels) if channels else tuple(Channel))),
        lines=tuple(lines),
        external_id=external_id,
        customer=draw(identities if identities is not None else customer_identities()),
        ship_to=draw(_optional(places if places is not None else addresses())),
        bill_to=draw(_optional(places if places is not None else addresses())),
        attributes=draw(attributes if attributes is not None else _attribute_dicts()),
        consents=draw(st.dictionaries(st.sampled_from(ConsentChannel), st.booleans())),
        discounts=order_discounts,
        context=draw(contexts if contexts is not None else capture_contexts()),
        currency=draw(st.sampled_from([None, currency])),
        service_level=draw(st.sampled_from(ServiceLevel)),
        placed_at=placed_at,
        idempotency_key=key,
    )


@_cached
def _attribute_dicts() -> st.SearchStrategy[dict[str, AttributeValue]]:
    return st.dictionaries(attribute_names(), attribute_values(), max_size=4)
