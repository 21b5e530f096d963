"""Hypothesis strategies for orderhub's types, valid by construction.

Every strategy draws values the domain accepts (no ``filter`` that could starve), and most
take parameters that push towards the edges: zero-, three- and four-decimal currencies,
non-ASCII names and cities, huge quantities and amounts, many lines::

    from hypothesis import given
    from orderhub.testing import strategies as ohst

    @given(ohst.money(currency="KWD", allow_negative=True))
    def test_negation_round_trips(m): ...

:func:`order_requests` draws requests that capture without error against a given catalog
(prices, currencies and discounts all agree with it).

Documents that must add up are not assembled field by field: they are drawn from a real
:class:`~orderhub.OrderHub` (on a :class:`~orderhub.testing.FixedClock`) after a drawn day of
business — :func:`hubs`, :func:`orders`, :func:`invoices`, :func:`shipments`,
:func:`journal_entries`, … — or from a real :class:`~orderhub.Receivables` ledger after a
drawn run of invoices, payments, credit notes, write-offs, refunds and bounced payments —
:func:`receivables`, :func:`payment_applications`, :func:`agings`, … Books
(:func:`stock_books`, :func:`networks`, :func:`customer_masters`) come out of valid commands
too.

:func:`register_type_strategies` makes ``st.from_type`` draw every public type from these
strategies; the hypothesis entry point calls it, so a test suite needs no set-up.

This module imports hypothesis (a test dependency); ``orderhub.testing`` itself does not.
"""

# ruff: noqa: E402 -- the entry point hook is defined before the imports, see below.

from __future__ import annotations

_registration_pending = False


def _hypothesis_setup_hook() -> None:
    """Hypothesis's entry point (``[project.entry-points.hypothesis]``): registers the
    strategies of this module, so ``st.from_type`` draws orderhub's types with no set-up.

    Defined before the imports: when this module is imported first, its ``import
    hypothesis`` runs the entry points, which look this hook up on the half-imported
    module; the registration then waits for the end of the module.
    """
    global _registration_pending
    register = globals().get("register_type_strategies")
    if register is None:
        _registration_pending = True
    else:
        register()


import functools
import itertools
import math
import operator
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar, cast, get_args, get_origin

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from orderhub._billing import BillableLine, Invoice, InvoiceLine
from orderhub._catalog import Catalog, Item
from orderhub._currencies import MINOR_UNITS
from orderhub._customers import (
    AttributeRecord,
    ConsentRecord,
    Customer,
    CustomerMaster,
    ExternalId,
)
from orderhub._effects import Effect, RetryPolicy
from orderhub._fulfilment import (
    FULFILLMENT_STATES,
    FulfillmentLine,
    FulfillmentOrder,
    FulfillmentState,
    PackingSlip,
    PackingSlipLine,
    PickLine,
    PickList,
    Shipment,
    ShipmentLine,
)
from orderhub._hub import Captured, OrderHub
from orderhub._hub_cash import ReturnAuthorization, Shipped
from orderhub._identity import AttributeValue, CustomerIdentity
from orderhub._insight import CustomerView, Insights
from orderhub._insight_forecast import (
    Backtest,
    DemandSeries,
    Forecaster,
    HoltLinear,
    MovingAverage,
    SimpleExponentialSmoothing,
    backtest,
)
from orderhub._insight_profiles import Profile
from orderhub._insight_rfm import RFM, RFM_SEGMENTS, RFMScore, RFMScoring, RFMSummary
from orderhub._insight_segments import OfferMatch, OfferRule, Segment, Target
from orderhub._journal import (
    Journal,
    JournalEntry,
    JournalLine,
    RecogniseOnDelivery,
    RecogniseOnShipment,
    RevenuePolicy,
)
from orderhub._log import LoggedCommand
from orderhub._money import Money
from orderhub._network import Capability, Location, LocationKind, Network
from orderhub._orders import (
    ORDER_STATES,
    Hold,
    HoldKind,
    LineQuantities,
    Order,
    OrderLine,
    OrderState,
)
from orderhub._receivables import (
    DEFAULT_BUCKETS,
    AccountTotals,
    Aging,
    AgingBucket,
    Application,
    CreditNoteApplication,
    OpenItem,
    PaymentApplication,
    PaymentReversal,
    Receivable,
    Receivables,
    Refund,
    RefundShare,
    Statement,
    StatementLine,
    WriteOff,
)
from orderhub._requests import CaptureContext, Discount, LineRequest, OrderRequest, ServiceLevel
from orderhub._statemachine import StateTable
from orderhub._stock import (
    Movement,
    MovementKind,
    Reservation,
    ReserveRequest,
    StockBook,
    StockPosition,
    Supply,
    SupplyKind,
)
from orderhub._tax import RateTable, TaxMode, TaxPolicy, TaxRounding
from orderhub._terms import Instalment, PaymentTerms
from orderhub._values import Address, Channel, ConsentChannel, GeoPoint
from orderhub.errors import PayloadProblem
from orderhub.events import Event
from orderhub.ports import Failed, Outcome, Rejected, Succeeded
from orderhub.routing import (
    AllowSplit,
    Assignment,
    Backorder,
    ByCost,
    ByDistance,
    ByOwner,
    ByRank,
    Claimer,
    Closest,
    Composed,
    DropShip,
    FewestShipments,
    ForChannel,
    HasCapability,
    HasCapacity,
    LocationFilter,
    LowestCost,
    NetworkView,
    OwnedBy,
    Pipeline,
    PlannedLine,
    Priority,
    Ranker,
    RoutingPlan,
    RoutingStrategy,
    ServesShipTo,
    ShipComplete,
    SplitPolicy,
    compose,
)
from orderhub.testing import FixedClock, SequentialIds

__all__ = [
    "account_totals",
    "addresses",
    "aging_buckets",
    "agings",
    "applications",
    "assignments",
    "attribute_names",
    "attribute_records",
    "attribute_values",
    "aware_datetimes",
    "backorders",
    "backtests",
    "billable_lines",
    "capture_contexts",
    "captures",
    "catalogs",
    "claimers",
    "confirmed_shipments",
    "consent_records",
    "credit_note_applications",
    "currencies",
    "customer_identities",
    "customer_masters",
    "customer_views",
    "customers",
    "demand_series",
    "discounts",
    "effects",
    "emails",
    "events",
    "external_ids",
    "forecasters",
    "fulfillment_lines",
    "fulfillment_orders",
    "geo_points",
    "holds",
    "hubs",
    "insights",
    "instalments",
    "invoice_lines",
    "invoices",
    "items",
    "journal_entries",
    "journal_lines",
    "journals",
    "line_quantities",
    "line_requests",
    "location_filters",
    "locations",
    "money",
    "movements",
    "network_views",
    "networks",
    "offer_matches",
    "offer_rules",
    "open_items",
    "order_lines",
    "order_requests",
    "orders",
    "outcomes",
    "packing_slip_lines",
    "packing_slips",
    "payment_applications",
    "payment_reversals",
    "payment_terms",
    "phones",
    "pick_lines",
    "pick_lists",
    "planned_lines",
    "profiles",
    "rankers",
    "rate_tables",
    "receivable_items",
    "receivables",
    "refund_shares",
    "refunds",
    "register_type_strategies",
    "reservations",
    "reserve_requests",
    "retry_policies",
    "return_authorizations",
    "revenue_policies",
    "rfm_scores",
    "rfm_scorings",
    "rfm_summaries",
    "rfms",
    "routing_plans",
    "routing_strategies",
    "segments",
    "shipment_lines",
    "shipments",
    "skus",
    "split_policies",
    "state_tables",
    "statement_lines",
    "statements",
    "stock_books",
    "stock_positions",
    "supplies",
    "targets",
    "texts",
    "write_offs",
]

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


# -- network and stock ----------------------------------------------------------------------


@_cached
def locations(*, kinds: Sequence[LocationKind] | None = None) -> st.SearchStrategy[Location]:
    """Locations of every kind, with or without position, costs, capacity and regions."""
    region = st.builds(
        lambda c, r: c if r is None else f"{c}-{r}",
        st.sampled_from(_COUNTRIES),
        _optional(st.text(string.ascii_uppercase, min_size=1, max_size=3)),
    )
    cost = _optional(money("USD", max_value=1000))
    return st.builds(
        Location,
        id=_tokens(),
        kind=st.sampled_from(tuple(kinds) if kinds else tuple(LocationKind)),
        geo=_optional(geo_points()),
        erp=_tokens(),
        owner=_tokens(),
        vendor=_optional(_tokens()),
        capabilities=st.frozensets(st.sampled_from(Capability)),
        rank=st.integers(-1000, 1000),
        cost_per_shipment=cost,
        cost_per_km=cost,
        daily_capacity=_optional(st.integers(0, 10**6)),
        regions=st.frozensets(region, max_size=3),
    )


def stock_positions() -> st.SearchStrategy[StockPosition]:
    """On-hand and reserved units of one SKU at one location (reserved ≤ on-hand)."""
    return st.integers(0, 10**9).flatmap(
        lambda on_hand: st.builds(
            StockPosition,
            location_id=_tokens(),
            sku=skus(),
            on_hand=st.just(on_hand),
            reserved=st.integers(0, on_hand),
        )
    )


def movements() -> st.SearchStrategy[Movement]:
    """Stock ledger entries of every kind."""
    delta = st.integers(-(10**6), 10**6)
    return st.builds(
        Movement,
        seq=st.integers(1, 10**9),
        location_id=_tokens(),
        sku=skus(),
        kind=st.sampled_from(MovementKind),
        on_hand_delta=delta,
        reserved_delta=delta,
        reason=_optional(texts(max_size=20)),
        reference=_optional(_tokens()),
        at=aware_datetimes(),
    )


def reserve_requests() -> st.SearchStrategy[ReserveRequest]:
    """Requests to hold units of one order line at one location."""
    return st.builds(
        ReserveRequest,
        location_id=_tokens(),
        sku=skus(),
        quantity=st.integers(1, 10**6),
        line_no=st.integers(1, 500),
    )


@st.composite
def reservations(draw: st.DrawFn) -> Reservation:
    """Units held for one order line, partly released or consumed."""
    quantity = draw(st.integers(1, 10**6))
    released = draw(st.integers(0, quantity))
    return Reservation(
        id=draw(_tokens()),
        order_id=draw(_tokens()),
        line_no=draw(st.integers(1, 500)),
        location_id=draw(_tokens()),
        sku=draw(skus()),
        quantity=quantity,
        released=released,
        consumed=draw(st.integers(0, quantity - released)),
        expires_at=draw(_optional(aware_datetimes())),
        created_at=draw(aware_datetimes()),
    )


@st.composite
def supplies(draw: st.DrawFn) -> Supply:
    """Incoming supply: purchase orders and transfers, partly committed and received."""
    quantity = draw(st.integers(1, 10**6))
    return Supply(
        id=draw(_tokens()),
        sku=draw(skus()),
        location_id=draw(_tokens()),
        quantity=quantity,
        expected=draw(st.dates()),
        kind=draw(st.sampled_from(SupplyKind)),
        committed=draw(st.integers(0, quantity)),
        received=draw(st.integers(0, quantity)),
    )


# -- routing --------------------------------------------------------------------------------


def planned_lines(*, max_quantity: int = 99) -> st.SearchStrategy[PlannedLine]:
    """Units of one order line in one assignment."""
    return st.builds(
        PlannedLine,
        line_no=st.integers(1, 50),
        sku=skus(),
        quantity=st.integers(1, max_quantity),
    )


def _planned_line_tuples(max_quantity: int) -> st.SearchStrategy[tuple[PlannedLine, ...]]:
    numbers = st.lists(st.integers(1, 50), min_size=1, max_size=4, unique=True).map(sorted)
    return numbers.flatmap(
        lambda ns: st.tuples(
            *(
                st.builds(
                    PlannedLine,
                    line_no=st.just(n),
                    sku=skus(),
                    quantity=st.integers(1, max_quantity),
                )
                for n in ns
            )
        )
    )


def assignments(*, max_quantity: int = 99) -> st.SearchStrategy[Assignment]:
    """One shipment of a plan: a location, its ERP, one or more lines (each line once, in
    line order) and a reason."""
    return st.builds(
        Assignment,
        location_id=_tokens(),
        erp=_tokens(),
        lines=_planned_line_tuples(max_quantity),
        reason=texts(max_size=30),
    )


def backorders(*, max_quantity: int = 10**6) -> st.SearchStrategy[Backorder]:
    """Units that wait: for a named supply (with its location and date) or for none."""
    waiting: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries({})
    supplied = st.fixed_dictionaries(
        {"supply_id": _tokens(), "location_id": _tokens(), "expected": st.dates()}
    )
    return st.builds(
        lambda more, **fields: Backorder(**fields, **more),
        waiting | supplied,
        line_no=st.integers(1, 50),
        sku=skus(),
        quantity=st.integers(1, max_quantity),
        reason=texts(max_size=30),
    )


@_cached
def location_filters() -> st.SearchStrategy[LocationFilter]:
    """The built-in eligibility rules of a :class:`~orderhub.routing.Pipeline`."""
    return st.one_of(
        st.builds(HasCapability, st.sampled_from(Capability)),
        st.just(ServesShipTo()),
        st.just(HasCapacity()),
        st.builds(OwnedBy, _tokens()),
        st.builds(ForChannel, st.sampled_from(Channel), st.frozensets(_tokens(), max_size=3)),
    )


@_cached
def rankers() -> st.SearchStrategy[Ranker]:
    """The built-in rankers: by distance, by rank, by cost."""
    return st.sampled_from((ByDistance(), ByRank(), ByCost()))


@_cached
def split_policies(currency: str | None = None) -> st.SearchStrategy[SplitPolicy]:
    """:class:`~orderhub.routing.ShipComplete` or :class:`~orderhub.routing.AllowSplit` with
    optional limits (a minimum shipment value in ``currency``; none when ``None``)."""
    value: st.SearchStrategy[Money | None] = (
        st.none() if currency is None else _optional(money(currency, max_value=1000))
    )
    return st.one_of(
        st.just(ShipComplete()),
        st.builds(
            AllowSplit, max_shipments=_optional(st.integers(1, 5)), min_shipment_value=value
        ),
    )


@_cached
def claimers() -> st.SearchStrategy[Claimer]:
    """The built-in stages of :func:`~orderhub.routing.compose`: by owner, drop ship."""
    return st.one_of(
        st.just(DropShip()),
        st.builds(
            ByOwner,
            home=st.just("main"),
            rankers=st.lists(rankers(), min_size=1, max_size=2).map(tuple),
            split=split_policies(),
        ),
    )


_STRATEGY_KINDS: tuple[type[Any], ...] = (
    Closest,
    Priority,
    LowestCost,
    FewestShipments,
    Pipeline,
    Composed,
    ByOwner,
    DropShip,
)
"""The built-in routing strategies."""


@_cached
def routing_strategies(
    currency: str | None = None,
    *,
    kinds: Sequence[type[Any]] | None = None,
    max_depth: int = 2,
) -> st.SearchStrategy[RoutingStrategy]:
    """Built-in routing strategies and their compositions: closest, priority, lowest cost,
    fewest shipments, pipelines of filters and rankers, by owner, drop ship, fallbacks
    (nested up to ``max_depth``), and ``compose(claimers..., strategy)``. ``kinds`` keeps
    the outermost strategy to those classes. A split policy's minimum shipment value is in
    ``currency`` (none when ``None``): plan only orders in that currency with them."""
    filters = st.lists(location_filters(), max_size=2).map(tuple)
    split = split_policies(currency)
    ranked = st.lists(rankers(), max_size=3).map(tuple)

    def of(kind: type[Any], inner: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Any]:
        fallback = st.none() if inner is None else _optional(inner)
        if kind in (Closest, Priority, LowestCost):
            return st.builds(kind, filters=filters, split=split, fallback=fallback)
        if kind is FewestShipments:
            return st.builds(FewestShipments, filters=filters, fallback=fallback)
        if kind is Pipeline:
            return st.builds(
                Pipeline, filters=filters, rankers=ranked, split=split, fallback=fallback
            )
        if kind is Composed:
            then = inner if inner is not None else st.one_of(*[of(k, None) for k in _SIMPLE])
            return st.builds(_composed, st.lists(claimers(), max_size=2), then)
        if kind is ByOwner:
            return st.builds(
                ByOwner,
                home=st.sampled_from(("main", "acme")),
                rankers=st.lists(rankers(), min_size=1, max_size=2).map(tuple),
                split=split,
            )
        if kind is DropShip:
            return st.just(DropShip())
        raise InvalidArgument(f"{kind!r} is not a built-in routing strategy")

    inner: st.SearchStrategy[Any] | None = None
    for _ in range(max_depth):
        inner = st.one_of(*[of(k, inner) for k in _STRATEGY_KINDS])
    built = st.one_of(*[of(k, inner) for k in (tuple(kinds) if kinds else _STRATEGY_KINDS)])
    return st.deferred(lambda: built)  # the nested repr would run to tens of kB


_SIMPLE = (Closest, Priority, LowestCost, FewestShipments, ByOwner, DropShip)


def _composed(stages: list[Claimer], then: RoutingStrategy) -> Composed:
    return compose(*stages, then)


@st.composite
def network_views(draw: st.DrawFn) -> NetworkView:
    """What a routing strategy sees: a hub's network and stock, some locations excluded,
    some capacity used today."""
    hub = draw(_stories(stage=_CAPTURED)).hub
    ids = [loc.id for loc in hub.network]
    return NetworkView(
        hub.network,
        hub.stock,
        excluded=draw(st.frozensets(st.sampled_from(ids), max_size=2)),
        capacity_used=draw(st.dictionaries(st.sampled_from(ids), st.integers(0, 50), max_size=3)),
    )


# -- small values: orders, customers, terms, policies ----------------------------------------


@_cached
def holds() -> st.SearchStrategy[Hold]:
    """Holds of every kind, with a reason and the time they were placed."""
    return st.builds(
        Hold,
        kind=st.sampled_from(HoldKind),
        reason=texts(max_size=30),
        placed_at=aware_datetimes(),
    )


@st.composite
def line_quantities(draw: st.DrawFn, *, max_quantity: int = 10**6) -> LineQuantities:
    """The units of one line by state, which always add up:
    ordered = open + allocated + backordered + shipped + cancelled."""
    ordered = draw(st.integers(1, max_quantity))
    left = ordered
    parts: dict[str, int] = {}
    for name in ("allocated", "backordered", "shipped", "cancelled"):
        parts[name] = draw(st.integers(0, left))
        left -= parts[name]
    return LineQuantities(ordered=ordered, open=left, **parts)


def external_ids() -> st.SearchStrategy[ExternalId]:
    """A channel's own id for a customer."""
    return st.builds(ExternalId, st.sampled_from(Channel), _tokens())


def attribute_records(*, ascii_only: bool = False) -> st.SearchStrategy[AttributeRecord]:
    """One captured attribute value of every kind, with where and when it was captured."""
    return st.builds(
        AttributeRecord,
        name=attribute_names(ascii_only=ascii_only),
        value=attribute_values(),
        captured_at=aware_datetimes(),
        channel=_optional(st.sampled_from(Channel)),
        order_id=_optional(_tokens()),
    )


def consent_records() -> st.SearchStrategy[ConsentRecord]:
    """Marketing consent granted or withdrawn for one contact channel, and when."""
    return st.builds(
        ConsentRecord,
        consent_channel=st.sampled_from(ConsentChannel),
        granted=st.booleans(),
        at=aware_datetimes(),
        source=_optional(st.sampled_from(Channel)),
    )


def instalments(*, max_days: int = 365) -> st.SearchStrategy[Instalment]:
    """One part of an invoice: a share in (0, 1] (to 0.0001) due some days after issue."""
    return st.builds(
        Instalment,
        share=st.integers(1, 10_000).map(lambda bp: Decimal(bp).scaleb(-4)),
        due_days=st.integers(0, max_days),
    )


@_cached
@st.composite
def payment_terms(
    draw: st.DrawFn, *, max_days: int = 120, with_instalments: bool | None = None
) -> PaymentTerms:
    """Payment terms: net days, with or without an early-payment discount window, with or
    without instalments (shares summing to exactly 1, due days strictly increasing)."""
    net = draw(st.integers(0, max_days))
    parts: tuple[Instalment, ...] = ()
    wanted = draw(st.booleans()) if with_instalments is None else with_instalments
    if wanted:
        n = draw(st.integers(1, min(4, max_days + 1)))
        days = sorted(
            draw(st.lists(st.integers(0, max_days), min_size=n, max_size=n, unique=True))
        )
        cuts = sorted(
            draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1, unique=True))
        )
        bounds = [0, *cuts, 10_000]
        parts = tuple(
            Instalment(share=Decimal(b - a).scaleb(-4), due_days=d)
            for (a, b), d in zip(itertools.pairwise(bounds), days, strict=True)
        )
    final = max(net, parts[-1].due_days if parts else 0)
    percent = days_ = None
    if draw(st.booleans()):
        percent = draw(st.decimals(Decimal("0.01"), Decimal("99.99"), places=2))
        days_ = draw(st.integers(0, final))
    return PaymentTerms(
        net_days=net, discount_percent=percent, discount_days=days_, instalments=parts
    )


@_cached
@st.composite
def rate_tables(
    draw: st.DrawFn, *, countries: Sequence[str] | None = None, max_rate: str = "0.30"
) -> RateTable:
    """Tax rate tables keyed by country, country-region and category (``"DE"``,
    ``"US-NY"``, ``"DE:books"``), rates from 0 to ``max_rate`` to four places."""
    rate = st.decimals(Decimal(0), Decimal(max_rate), places=4)
    country = st.sampled_from(tuple(countries) if countries else _COUNTRIES)
    region = _optional(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=3))
    category = _optional(_tokens())
    key = st.builds(
        lambda c, r, k: c + (f"-{r}" if r else "") + (f":{k}" if k else ""),
        country,
        region,
        category,
    )
    rates = draw(st.dictionaries(key, rate, max_size=6))
    return RateTable(rates, default=draw(rate))


def retry_policies() -> st.SearchStrategy[RetryPolicy]:
    """Exponential backoff policies, from "give up at once" to many slow retries."""
    return st.builds(
        RetryPolicy,
        max_attempts=st.integers(1, 20),
        first_delay=st.timedeltas(timedelta(0), timedelta(days=1)),
        factor=st.integers(1, 10),
        max_delay=st.timedeltas(timedelta(0), timedelta(days=7)),
    )


def outcomes() -> st.SearchStrategy[Outcome]:
    """What an adapter reports: :class:`~orderhub.ports.Succeeded`,
    :class:`~orderhub.ports.Rejected` or :class:`~orderhub.ports.Failed`."""
    text = texts(max_size=30)
    return st.one_of(
        st.builds(Succeeded, text), st.builds(Rejected, text), st.builds(Failed, text)
    )


@_cached
@st.composite
def offer_rules(draw: st.DrawFn, *, segments: Sequence[str] | None = None) -> OfferRule:
    """Offers targeted at a segment (named from ``segments`` if given) through a channel,
    with an optional validity window and a priority."""
    first = draw(_optional(st.dates()))
    last = draw(_optional(st.dates(min_value=first) if first is not None else st.dates()))
    return OfferRule(
        segment=draw(st.sampled_from(tuple(segments)) if segments else texts(max_size=20)),
        offer=draw(texts(max_size=20)),
        channel=draw(st.sampled_from(ConsentChannel)),
        priority=draw(st.integers(-100, 100)),
        valid_from=first,
        valid_until=last,
    )


def targets() -> st.SearchStrategy[Target]:
    """One customer to receive an offer through a channel, and the segment that chose it."""
    return st.builds(
        Target,
        customer_id=_tokens(),
        offer=texts(max_size=20),
        channel=st.sampled_from(ConsentChannel),
        priority=st.integers(-100, 100),
        segment=texts(max_size=20),
    )


def offer_matches() -> st.SearchStrategy[OfferMatch]:
    """An offer that fits a customer, and why."""
    return st.builds(
        OfferMatch,
        offer=texts(max_size=20),
        channel=st.sampled_from(ConsentChannel),
        priority=st.integers(-100, 100),
        segment=texts(max_size=20),
        why=texts(max_size=40),
    )


@st.composite
def demand_series(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 30, max_units: int = 10**6
) -> DemandSeries:
    """Units demanded per day or week (weeks start on Monday), zeros included."""
    bucket = draw(st.sampled_from(("D", "W")))
    start = draw(st.dates(date(2000, 1, 3), date(2099, 12, 31)))
    if bucket == "W":
        start = start - timedelta(days=start.weekday())
    return DemandSeries(
        sku=draw(skus()),
        bucket=bucket,
        start=start,
        values=tuple(
            draw(st.lists(st.integers(0, max_units), min_size=min_size, max_size=max_size))
        ),
        location=draw(_optional(_tokens())),
        channel=draw(_optional(st.sampled_from(Channel))),
    )


def forecasters() -> st.SearchStrategy[Forecaster]:
    """The built-in forecasters: moving average, simple exponential smoothing, Holt."""
    fraction = st.floats(0, 1, exclude_min=True)
    return st.one_of(
        st.builds(MovingAverage, st.integers(1, 12)),
        st.builds(SimpleExponentialSmoothing, fraction),
        st.builds(HoltLinear, fraction, fraction),
    )


@st.composite
def backtests(draw: st.DrawFn, *, max_units: int = 10**6) -> Backtest:
    """The result of :func:`~orderhub.backtest` on a drawn series and forecaster."""
    series = draw(demand_series(min_size=2, max_size=20, max_units=max_units))
    holdout = draw(st.integers(1, len(series.values) - 1))
    return backtest(series, draw(forecasters()), holdout)


@_cached
def segments(*, max_depth: int = 2) -> st.SearchStrategy[Segment]:
    """The ready-made segments (RFM, consent, attribute, orders, spend, category, channel,
    idle) and their compositions with ``&``, ``|`` and ``~``."""
    leaf = st.one_of(
        st.sampled_from(RFM_SEGMENTS).map(Segment.rfm),
        st.sampled_from(ConsentChannel).map(Segment.consented),
        st.builds(Segment.attribute, attribute_names(), attribute_values()),
        st.integers(0, 100).map(Segment.ordered_at_least),
        money().map(Segment.spent_at_least),
        _tokens().map(Segment.bought_category),
        st.sampled_from(Channel).map(Segment.used_channel),
        st.integers(0, 3650).map(Segment.idle_for),
    )

    def extend(inner: st.SearchStrategy[Segment]) -> st.SearchStrategy[Segment]:
        return st.one_of(
            st.builds(operator.and_, inner, inner),
            st.builds(operator.or_, inner, inner),
            inner.map(operator.invert),
        )

    strategy = leaf
    for _ in range(max_depth):
        strategy = leaf | extend(strategy)
    return strategy


def state_tables() -> st.SearchStrategy[StateTable[Any]]:
    """The state machines orderhub keeps as data: orders and fulfilment orders."""
    return st.sampled_from((ORDER_STATES, FULFILLMENT_STATES))


@_cached
def revenue_policies() -> st.SearchStrategy[RevenuePolicy]:
    """The built-in revenue recognition policies: on shipment, on delivery."""
    return st.sampled_from((RecogniseOnShipment(), RecogniseOnDelivery()))


def networks(*, min_size: int = 0, max_size: int = 6) -> st.SearchStrategy[Network]:
    """A :class:`~orderhub.Network` of locations with distinct ids, of every kind."""
    return st.lists(
        locations(), min_size=min_size, max_size=max_size, unique_by=lambda loc: loc.id
    ).map(_network_of)


def _network_of(found: list[Location]) -> Network:
    network = Network()
    for location in found:
        network.add(location)
    return network


@st.composite
def stock_books(
    draw: st.DrawFn, *, max_operations: int = 12, max_quantity: int = 10**6
) -> StockBook:
    """A :class:`~orderhub.StockBook` after a run of valid commands: receipts, adjustments,
    transfers, reservations (some expiring) released, consumed or expired, and incoming
    supply announced and received. Its ledger always adds up."""
    clock = FixedClock(draw(aware_datetimes(max_value=datetime(2090, 1, 1, tzinfo=UTC))))
    book = StockBook(clock)
    ids = SequentialIds()
    places = draw(st.lists(_tokens(), min_size=1, max_size=3, unique=True))
    goods = draw(st.lists(skus(), min_size=1, max_size=3, unique=True))
    supplies_added: list[str] = []
    for _ in range(draw(st.integers(0, max_operations))):
        loc, sku = draw(st.sampled_from(places)), draw(st.sampled_from(goods))
        free = book.available(loc, sku)
        live = [r for r in book.reservations() if r.remaining]
        op = draw(st.sampled_from(_STOCK_OPERATIONS))
        if op == "receive" or (op in ("adjust", "transfer", "reserve") and not free):
            book.receive(
                loc,
                sku,
                draw(st.integers(1, max_quantity)),
                reason=draw(_optional(texts(max_size=10))),
            )
        elif op == "adjust":
            delta = draw(st.integers(-free, max_quantity - 1))
            delta += delta >= 0  # never zero
            book.adjust(loc, sku, delta, reason=draw(texts(max_size=10)))
        elif op == "transfer" and len(places) > 1:
            to = draw(st.sampled_from([p for p in places if p != loc]))
            book.transfer(loc, to, sku, draw(st.integers(1, free)))
        elif op == "reserve":
            ttl = draw(_optional(st.integers(1, 120)))
            book.reserve(
                [
                    ReserveRequest(
                        location_id=loc, sku=sku, quantity=draw(st.integers(1, free)), line_no=1
                    )
                ],
                order_id=draw(_tokens()),
                expires_at=None if ttl is None else clock.now() + timedelta(minutes=ttl),
                ids=ids,
            )
        elif op in ("release", "consume") and live:
            r = draw(st.sampled_from(live))
            q = draw(st.integers(1, r.remaining))
            if op == "release":
                book.release(r.id, q, reason=draw(_optional(texts(max_size=10))))
            else:
                book.consume(r.id, q)
        elif op == "supply":
            supply_id = ids.new_id("supply")
            book.add_supply(
                Supply(
                    id=supply_id,
                    sku=sku,
                    location_id=loc,
                    quantity=draw(st.integers(1, max_quantity)),
                    expected=clock.now().date() + timedelta(days=draw(st.integers(0, 90))),
                    kind=draw(st.sampled_from(SupplyKind)),
                )
            )
            supplies_added.append(supply_id)
        elif op == "arrive" and supplies_added:
            supply = book.supply(draw(st.sampled_from(supplies_added)))
            if supply.outstanding:
                book.receive_supply(supply.id, draw(st.integers(1, supply.outstanding)))
        elif op == "tick":
            clock.advance(minutes=draw(st.integers(1, 240)))
            book.expire(clock.now())
    return book


_STOCK_OPERATIONS = (
    "receive", "adjust", "transfer", "reserve", "release", "consume", "supply", "arrive", "tick",
)  # fmt: skip


# -- hubs: documents a real hub made ---------------------------------------------------------

_T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""When every story's clock starts."""

_VENDOR = "stoves-inc"
_CARRIERS = ("UPS", "DHL", "La Poste", "ヤマト運輸")

_CAPTURED, _SHIPPED, _SETTLED = 0, 1, 2
"""How far a story goes: capture only; then routing, release and shipments; then cash."""

_SHIPPABLE = frozenset(
    {
        FulfillmentState.RELEASED,
        FulfillmentState.ACCEPTED,
        FulfillmentState.PICKING,
        FulfillmentState.PACKED,
        FulfillmentState.PARTIALLY_SHIPPED,
    }
)


def _story_network() -> tuple[Location, ...]:
    return (
        Location(id="dc-east", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03), rank=1),
        Location(id="dc-west", kind=LocationKind.DC, geo=GeoPoint(34.05, -118.24), rank=2),
        Location(
            id="store-chi",
            kind=LocationKind.STORE,
            geo=GeoPoint(41.88, -87.63),
            capabilities=frozenset({Capability.SHIPS_PARCELS, Capability.CLICK_AND_COLLECT}),
        ),
        Location(
            id="acme-oh",
            kind=LocationKind.DC,
            geo=GeoPoint(39.96, -83.0),
            owner="acme",
            erp="acme",
        ),
        Location(
            id="stoves-ca",
            kind=LocationKind.DROP_SHIPPER,
            geo=GeoPoint(37.77, -122.42),
            vendor=_VENDOR,
        ),
    )


_STORY_PLACES = (
    Address(line1="1 Main St", city="Chicago", country="US", region="IL", postal_code="60601",
            geo=GeoPoint(41.88, -87.63)),
    Address(line1="Hauptstraße 5", city="München", country="DE", postal_code="80331",
            name="Jürgen Groß", geo=GeoPoint(48.14, 11.58)),
    Address(line1="丸の内1-1", city="東京", country="JP", postal_code="100-0005"),
    Address(line1="Block 3, Street 12", city="Kuwait City", country="KW", company="Al-Noor"),
)  # fmt: skip
"""Where story orders ship to: with and without a position, ASCII or not."""

_STORY_CONTEXTS = (
    CaptureContext(),
    CaptureContext(campaign="spring-camping", promo_code="SPRING10", utm_source="newsletter"),
    CaptureContext(store_id="store-chi", associate_id="a-7", device="pos"),
)
"""How story orders were captured."""

_STORY_TAXES = (
    RateTable({}),
    RateTable({"US": Decimal("0.0625"), "US-IL": Decimal("0.1025"), "DE": Decimal("0.19")}),
    RateTable(
        {"DE": Decimal("0.19"), "JP": Decimal("0.10"), "KW": Decimal(0)},
        default=Decimal("0.20"),
    ),
)
"""The tax tables of story hubs, keyed by the story places' countries."""


def _safe_floor(terms: PaymentTerms, code: str) -> Decimal:
    """The least unit price (major units) at which no invoice a story ships can be too small
    for ``terms``: each instalment at least one minor unit, an early-payment discount less
    than the amount. (A smaller invoice makes ``confirm_shipment`` fail half-way: a library
    bug the strategies step around.)"""
    least = 0
    if terms.instalments:
        least = max(least, math.ceil(1 / min(i.share for i in terms.instalments)))
    if terms.discount_percent is not None:
        rest = 1 - terms.discount_percent / _HUNDRED
        least = max(least, math.floor(Decimal("0.5") / rest) + 1)
    # Discounts leave at least 1/16 of a line's value; 40 covers that and rounding.
    return Decimal(40 * least).scaleb(-MINOR_UNITS[code])


@attrs.define
class _Story:
    """A hub after a drawn run of commands, and what the commands returned."""

    hub: OrderHub
    clock: FixedClock
    captured: list[Captured] = attrs.Factory(list)
    shipped: list[Shipped] = attrs.Factory(list)
    returns: list[ReturnAuthorization] = attrs.Factory(list)
    pick_lists: list[PickList] = attrs.Factory(list)
    payments: list[str] = attrs.Factory(list)


@_cached
def _story_places() -> st.SearchStrategy[Address]:
    return st.sampled_from(_STORY_PLACES)


@_cached
def _story_contexts() -> st.SearchStrategy[CaptureContext]:
    return st.sampled_from(_STORY_CONTEXTS)


@_cached
def _story_attributes() -> st.SearchStrategy[dict[str, AttributeValue]]:
    return st.dictionaries(
        st.sampled_from(("age_band", "größe", "tier")), attribute_values(), max_size=2
    )


@_cached
def _story_identities(
    pool: tuple[str, ...], ascii_only: bool
) -> st.SearchStrategy[CustomerIdentity]:
    names = _STORY_NAMES[:2] if ascii_only else _STORY_NAMES
    return st.builds(
        CustomerIdentity, email=st.sampled_from(pool), name=_optional(st.sampled_from(names))
    )


@_cached
def _story_items(code: str, floor: Decimal) -> st.SearchStrategy[Item]:
    return st.builds(
        Item,
        sku=st.sampled_from(_STORY_SKUS),
        description=st.sampled_from(_STORY_NAMES),
        price=money(code, min_value=floor, max_value=10**6),
        owner=st.sampled_from(("main", "main", "acme")),
        category=_optional(st.sampled_from(("camp", "kitchen"))),
        drop_ship_vendor=_optional(st.just(_VENDOR)),
        weight=_optional(st.decimals(0, 100, places=3)),
    )


_STORY_SKUS = ("TENT-2P", "MAT", "LAMP", "STOVE", "MUG", "TEA-MATCHA")
_STORY_NAMES = ("Ann Lee", "O'Brien & Sons", "Zoë Ångström", "Jürgen Groß", "李小龍", "عائشة")
_STORY_NOTES = st.sampled_from(
    ("changed mind", "damaged in transit", "Zahlung überfällig", "顧客都合", "small remainder")
)
_STORY_EMAIL_POOLS = st.lists(
    st.sampled_from(("ann@example.com", "Bob.Smith@Example.org", "zoe+shop@mail.example.jp")),
    min_size=1,
    max_size=3,
    unique=True,
)
_STORY_PACKAGES = st.lists(
    st.sampled_from(("PKG-1", "PKG-2", "PKG-3")), max_size=2, unique=True
).map(tuple)


def _codes(currency: str | st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    if currency is None:
        return currencies()
    if isinstance(currency, str):
        if currency not in MINOR_UNITS:
            raise InvalidArgument(f"{currency!r} is not an active ISO 4217 currency")
        return st.just(currency)
    return currency


def _settle(hub: OrderHub, draw: st.DrawFn | None = None) -> None:
    """Answer every due effect: success, or (with ``draw``) any outcome, faults included."""
    for _ in range(50):
        due = hub.pending_effects()
        if not due:
            return
        for effect in due:
            outcome: Outcome = Succeeded(f"ext-{effect.id}")
            if draw is not None:
                outcome = draw(
                    st.sampled_from(
                        (outcome, outcome, Failed("timed out"), Rejected("cannot do it"))
                    )
                )
            hub.resolve(effect, outcome)


def _shippable(hub: OrderHub) -> list[FulfillmentOrder]:
    return [
        fo
        for o in hub.orders()
        for fo in hub.fulfillment_orders(o.id)
        if fo.state in _SHIPPABLE and fo.to_ship
    ]


def _top_up(hub: OrderHub, order_id: str) -> None:
    """Stock for every backordered unit of ``order_id``, so that it can ship."""
    for line in hub.order(order_id).lines:
        if line.quantities.backordered:
            where = "acme-oh" if line.owner == "acme" else "dc-east"
            hub.receive(where, line.sku, line.quantities.backordered)


def _units(draw: st.DrawFn, left: Mapping[int, int], full: bool) -> dict[int, int]:
    if full:
        return dict(left)
    lines = {n: draw(st.integers(0, q)) for n, q in sorted(left.items())}
    lines = {n: q for n, q in lines.items() if q}
    return lines or {min(left): 1}


@st.composite
def _stories(
    draw: st.DrawFn,
    *,
    stage: int = _SETTLED,
    currency: str | st.SearchStrategy[str] | None = None,
    min_orders: int = 1,
    max_orders: int = 2,
    max_lines: int = 3,
    max_quantity: int = 5,
    faults: bool = False,
    churn: bool = False,
    need_return: bool = False,
    need_credit_note: bool = False,
    priced: bool = False,
    ascii_only: bool = False,
) -> _Story:
    if not 1 <= min_orders <= max_orders:
        raise InvalidArgument("need 1 <= min_orders <= max_orders")
    code = draw(_codes(currency))
    clock = FixedClock(_T0)
    terms = draw(payment_terms())
    floor = _safe_floor(terms, code)
    if priced:  # nothing given away: every shipment owes something
        floor = max(floor, Decimal(1).scaleb(-MINOR_UNITS[code]))
    hub = OrderHub(
        clock=clock,
        ids=SequentialIds(),
        tax=draw(st.sampled_from(_STORY_TAXES)),
        tax_mode=draw(st.sampled_from(TaxMode)),
        tax_rounding=draw(st.sampled_from(TaxRounding)),
        terms=terms,
        revenue_policy=draw(revenue_policies()),
        max_rejections=2,
    )
    story = _Story(hub, clock)
    catalog = draw(
        st.lists(
            _story_items(code, floor),
            min_size=1,
            max_size=4,
            unique_by=_sku_of,
        )
    )
    for item in catalog:
        hub.catalog.add(item)
    for location in _story_network():
        hub.network.add(location)
    ample = max_orders * max_lines * max_quantity
    for item in catalog:
        if item.owner == "acme":
            hub.stock.receive("acme-oh", item.sku, ample)
        elif item.drop_ship_vendor is None:
            for where in ("dc-east", "dc-west", "store-chi"):
                n = draw(st.integers(0, ample))
                if n:
                    hub.stock.receive(where, item.sku, n)

    pool = draw(_STORY_EMAIL_POOLS)
    identities = _story_identities(tuple(pool), ascii_only)
    for i in range(draw(st.integers(min_orders, max_orders))):
        request = draw(
            order_requests(
                catalog,
                currency=code,
                max_lines=max_lines,
                max_quantity=max_quantity,
                identities=identities,
                min_price=floor,
                places=_story_places(),
                contexts=_story_contexts(),
                attributes=_story_attributes(),
            )
        )
        request = attrs.evolve(request, idempotency_key=f"request-{i}")
        story.captured.append(hub.capture(request))
        if draw(st.booleans()):
            story.captured.append(hub.capture(request))  # a retry: the same order
        clock.advance(hours=draw(st.integers(0, 72)))
    orders = [c.order.id for c in story.captured if not c.is_duplicate]

    people = [c.id for c in hub.customers]
    for cid in people:
        if draw(st.booleans()):
            hub.customers.set_consent(
                cid,
                draw(st.sampled_from(ConsentChannel)),
                draw(st.booleans()),
                source=draw(_optional(st.sampled_from(Channel))),
            )
        if draw(st.booleans()):
            hub.customers.capture_attributes(
                cid,
                draw(
                    st.dictionaries(attribute_names(), attribute_values(), min_size=1, max_size=2)
                ),
                channel=draw(_optional(st.sampled_from(Channel))),
            )
    if churn and len(people) > 1 and draw(st.booleans()):
        hub.customers.merge(people[0], people[1])
    if churn and draw(st.booleans()):
        hub.customers.erase(draw(st.sampled_from([c.id for c in hub.customers])))

    for order_id in orders[1:]:  # the first order always goes ahead untouched
        what = draw(st.sampled_from(("go", "go", "hold", "held", "cancel_line", "cancel")))
        if what in ("hold", "held"):
            kind = draw(st.sampled_from(HoldKind))
            hub.hold(order_id, kind, draw(_STORY_NOTES))
            if what == "hold":
                hub.release_hold(order_id, kind)
        elif what == "cancel_line":
            line = draw(st.sampled_from(hub.order(order_id).lines))
            hub.cancel_line(order_id, line.line_no, draw(st.integers(1, line.quantity)))
        elif what == "cancel":
            hub.cancel(order_id, reason=draw(_STORY_NOTES))

    if draw(st.booleans()):
        name = draw(_STORY_NOTES)
        hub.insights.define(draw(segments(max_depth=1)).named(name))
        hub.insights.add_offer(draw(offer_rules(segments=[name])))
    if stage == _CAPTURED:
        return story

    hub.process()
    _settle(hub, draw if faults else None)
    if not any(hub.fulfillment_orders(o) for o in orders):
        _top_up(hub, orders[0])
        hub.process()
        _settle(hub, draw if faults else None)
    if not faults and not _shippable(hub):
        _top_up(hub, orders[0])
        hub.process()
        _settle(hub)

    ready = _shippable(hub)
    for where in sorted({fo.location_id for fo in ready}):
        bins = draw(
            st.dictionaries(st.sampled_from([i.sku for i in catalog]), _tokens(), max_size=2)
        )
        story.pick_lists.append(hub.pick_list(where, bins or None))
    for k, fo in enumerate(ready):
        for step in (hub.accept, hub.start_picking, hub.mark_packed)[: draw(st.integers(0, 3))]:
            step(fo.id)
        if k and not draw(st.booleans()):
            continue
        fo = hub.fulfillment_order(fo.id)
        lines = _units(draw, fo.to_ship, draw(st.booleans()))
        carrier = draw(st.sampled_from(_CARRIERS))
        tracking = f"1Z{len(story.shipped) + 1:06d}"
        packages = draw(_STORY_PACKAGES)
        done = hub.confirm_shipment(
            fo.id, lines, carrier=carrier, tracking=tracking, packages=packages
        )
        story.shipped.append(done)
        if draw(st.booleans()):
            story.shipped.append(
                hub.confirm_shipment(
                    fo.id, lines, carrier=carrier, tracking=tracking, packages=packages
                )
            )
        if draw(st.booleans()):
            hub.confirm_delivery(done.shipment.id)
    _settle(hub)
    if stage == _SHIPPED:
        return story

    _cash(draw, story, code, need_return=need_return)
    if need_credit_note and not any(d.is_credit_note for d in hub.invoices()):
        first = story.shipped[0].shipment.invoice_id
        assert first is not None
        hub.credit(first, reason=draw(_STORY_NOTES))
    _settle(hub)
    if draw(st.booleans()):
        hub.insights.refresh(clock.now().date())
    return story


def _cash(draw: st.DrawFn, story: _Story, code: str, *, need_return: bool) -> None:
    """Payments, returns, credit notes, write-offs, refunds and a bounced payment."""
    hub, clock = story.hub, story.clock
    clock.advance(days=draw(st.integers(0, 60)))
    for invoice in hub.invoices():
        if invoice.is_credit_note or invoice.grand_total.is_zero:
            continue
        owed = hub.receivables.item(invoice.id).open.minor_units
        how = draw(st.sampled_from(("none", "full", "part", "over", "unnamed")))
        if not owed or how == "none":
            continue
        units = owed
        if how == "part" and owed > 1:
            units = draw(st.integers(1, owed - 1))
        elif how == "over":
            units = owed + draw(st.integers(1, 10**4))
        reference = f"pay-{len(story.payments) + 1}"
        hub.record_payment(
            invoice.customer_id,
            Money.from_minor(units, code),
            reference=reference,
            invoices=() if how == "unnamed" else (invoice.id,),
        )
        story.payments.append(reference)

    returnable = [
        (o.id, line.line_no, line.quantities.shipped - hub.returned(o.id, line.line_no))
        for o in hub.orders()
        for line in o.lines
        if line.quantities.shipped > hub.returned(o.id, line.line_no)
    ]
    if returnable and (need_return or draw(st.booleans())):
        order_id, line_no, room = draw(st.sampled_from(returnable))
        rma = hub.authorize_return(
            order_id, {line_no: draw(st.integers(1, room))}, reason=draw(_STORY_NOTES)
        )
        if draw(st.booleans()):
            where = draw(st.sampled_from(("dc-east", "stoves-ca")))
            hub.receive_return(rma.id, location_id=where, restock=draw(st.booleans()))
        story.returns.append(next(r for r in hub.returns(order_id) if r.id == rma.id))

    for invoice in hub.invoices():
        if invoice.is_credit_note or invoice.grand_total.is_zero:
            continue
        what = draw(st.sampled_from(("none", "none", "credit", "write_off")))
        if what == "credit":
            credited = sum(
                ln.quantity
                for note in hub.invoices()
                if note.credits == invoice.id
                for ln in note.lines
            )
            if credited < sum(ln.quantity for ln in invoice.lines):
                hub.credit(invoice.id, reason=draw(_STORY_NOTES))
        elif what == "write_off" and hub.receivables.item(invoice.id).is_open:
            hub.write_off(invoice.id, reason=draw(_STORY_NOTES))

    for cid in hub.receivables.customers():
        credit = hub.receivables.unapplied(cid, code).minor_units
        if credit and draw(st.booleans()):
            hub.refund(
                cid,
                Money.from_minor(draw(st.integers(1, credit)), code),
                reference=f"refund-{cid}",
            )
    if draw(st.booleans()) and story.payments:
        hub.reverse_payment(draw(st.sampled_from(story.payments)), reason="bounced")


def _pick(found: Callable[[_Story], Sequence[T]], **story: Any) -> st.SearchStrategy[T]:
    """One of what ``found`` finds in a drawn story (it must find something)."""
    return _stories(**story).flatmap(lambda s: st.sampled_from(list(found(s))))


def hubs(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    min_orders: int = 1,
    max_orders: int = 3,
    max_lines: int = 3,
    max_quantity: int = 5,
    faults: bool = False,
    ascii_only: bool = False,
) -> st.SearchStrategy[OrderHub]:
    """An :class:`~orderhub.OrderHub` after a drawn day of business, every invariant intact.

    Catalog in one ``currency`` (any if ``None``), a network of DCs, a store, another
    company's DC and a drop shipper, tax tables, payment terms (instalments, early-payment
    discounts) and a revenue policy; then orders from repeat customers on every channel
    (retries, holds, cancellations), consents and attributes, routing and release, picking,
    partial and full shipments (each invoiced), deliveries, payments (partial, over,
    unnamed), returns, credit notes, write-offs, refunds and a bounced payment. With
    ``faults`` the outside world also fails and refuses (retries, re-routing, holds).
    """
    return _stories(
        currency=currency,
        min_orders=min_orders,
        max_orders=max_orders,
        max_lines=max_lines,
        max_quantity=max_quantity,
        faults=faults,
        ascii_only=ascii_only,
    ).map(lambda s: s.hub)


def orders(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    max_lines: int = 3,
    max_quantity: int = 5,
) -> st.SearchStrategy[Order]:
    """Orders in every state a hub moves them to (captured, held, cancelled, allocated,
    backordered, released, shipped, invoiced, closed); their line quantities reconcile."""
    return _pick(
        lambda s: list(s.hub.orders()),
        currency=currency,
        max_lines=max_lines,
        max_quantity=max_quantity,
    )


def order_lines(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[OrderLine]:
    """Lines of orders a hub captured and moved on (see :func:`orders`)."""
    return _pick(lambda s: [ln for o in s.hub.orders() for ln in o.lines], currency=currency)


def captures(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Captured]:
    """What :meth:`~orderhub.OrderHub.capture` returns, retries (``is_duplicate``) included."""
    return _pick(lambda s: s.captured, stage=_CAPTURED, currency=currency)


def customers(*, ascii_only: bool = False) -> st.SearchStrategy[Customer]:
    """Customers of a hub's customer master: identities, attributes with history, consent,
    orders, merged and erased ones."""
    return _pick(
        lambda s: list(s.hub.customers), stage=_CAPTURED, churn=True, ascii_only=ascii_only
    )


def customer_masters(*, ascii_only: bool = False) -> st.SearchStrategy[CustomerMaster]:
    """A hub's :class:`~orderhub.CustomerMaster` after captures, consents, attributes,
    merges and erasures."""
    return _stories(stage=_CAPTURED, churn=True, ascii_only=ascii_only).map(
        lambda s: s.hub.customers
    )


def fulfillment_orders(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[FulfillmentOrder]:
    """Fulfilment orders in every state (pending, released, accepted, picking, packed,
    partly and fully shipped, cancelled), as a hub made them."""
    return _pick(
        lambda s: [fo for o in s.hub.orders() for fo in s.hub.fulfillment_orders(o.id)],
        stage=_SHIPPED,
        currency=currency,
    )


def fulfillment_lines() -> st.SearchStrategy[FulfillmentLine]:
    """Lines of fulfilment orders (see :func:`fulfillment_orders`)."""
    return fulfillment_orders().flatmap(lambda fo: st.sampled_from(fo.lines))


def shipments(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Shipment]:
    """Partial and full shipments a hub confirmed, each with its invoice's id."""
    return _pick(lambda s: [d.shipment for d in s.shipped], stage=_SHIPPED, currency=currency)


def shipment_lines() -> st.SearchStrategy[ShipmentLine]:
    """Lines of shipments (see :func:`shipments`)."""
    return shipments().flatmap(lambda sh: st.sampled_from(sh.lines))


def confirmed_shipments(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Shipped]:
    """What :meth:`~orderhub.OrderHub.confirm_shipment` returns, repeats included."""
    return _pick(lambda s: s.shipped, stage=_SHIPPED, currency=currency)


def packing_slips(*, ascii_only: bool = False) -> st.SearchStrategy[PackingSlip]:
    """The packing slips of shipments a hub confirmed."""
    return _pick(
        lambda s: [s.hub.packing_slip(d.shipment.id) for d in s.shipped],
        stage=_SHIPPED,
        ascii_only=ascii_only,
    )


def packing_slip_lines() -> st.SearchStrategy[PackingSlipLine]:
    """Lines of packing slips (see :func:`packing_slips`)."""
    return packing_slips().flatmap(lambda slip: st.sampled_from(slip.lines))


def pick_lists() -> st.SearchStrategy[PickList]:
    """Pick lists of locations with released fulfilment orders, some with bins."""
    return _pick(lambda s: s.pick_lists, stage=_SHIPPED)


def pick_lines() -> st.SearchStrategy[PickLine]:
    """Lines of pick lists (see :func:`pick_lists`)."""
    return _pick(lambda s: [ln for p in s.pick_lists for ln in p.lines], stage=_SHIPPED)


def invoices(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    credit_notes: bool | None = None,
) -> st.SearchStrategy[Invoice]:
    """Invoices of shipments and credit notes (for returns, or units credited later), as a
    hub issued them under drawn tax tables, tax modes, rounding and payment terms: their
    lines and totals add up exactly. ``credit_notes`` keeps only those (``True``) or none
    (``False``)."""

    def found(s: _Story) -> list[Invoice]:
        docs = s.hub.invoices()
        if credit_notes is None:
            return list(docs)
        return [d for d in docs if d.is_credit_note is credit_notes]

    return _pick(found, currency=currency, need_credit_note=bool(credit_notes))


def invoice_lines(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[InvoiceLine]:
    """Lines of invoices and credit notes (see :func:`invoices`)."""
    return invoices(currency=currency).flatmap(lambda d: st.sampled_from(d.lines))


@st.composite
def billable_lines(draw: st.DrawFn) -> BillableLine:
    """One order line's part in a shipment: some units now after some before."""
    line = draw(order_lines())
    before = draw(st.integers(0, line.quantity - 1))
    now = draw(st.integers(1, line.quantity - before))
    return BillableLine.of(line, shipped_now=now, shipped_before=before)


def journals() -> st.SearchStrategy[Journal]:
    """A hub's double-entry :class:`~orderhub.Journal`: every entry balanced."""
    return _stories().map(lambda s: s.hub.journal)


def journal_entries() -> st.SearchStrategy[JournalEntry]:
    """Balanced journal entries of every kind a hub posts."""
    return _pick(lambda s: s.hub.journal.entries(), priced=True)


def journal_lines() -> st.SearchStrategy[JournalLine]:
    """Lines of journal entries (see :func:`journal_entries`)."""
    return journal_entries().flatmap(lambda e: st.sampled_from(e.lines))


def effects() -> st.SearchStrategy[Effect]:
    """Effects in an outbox: pending, retried, succeeded, rejected and abandoned."""
    return _pick(lambda s: s.hub.effects(), stage=_SHIPPED, faults=True)


def logged_commands() -> st.SearchStrategy[LoggedCommand]:
    """Entries of a hub's command log: every command a drawn day of business ran, with the
    clock readings and ids it consumed."""
    return _pick(lambda s: s.hub.command_log)


def payload_problems() -> st.SearchStrategy[PayloadProblem]:
    """Problems of a payload as :class:`~orderhub.errors.InvalidPayload` reports them: a
    path (``$.lines[0].quantity``) and a message."""
    step = st.one_of(
        st.sampled_from(("lines", "quantity", "customer", "email", "amount", "currency")).map(
            ".{}".format
        ),
        st.integers(0, 99).map("[{}]".format),
    )
    path = st.lists(step, max_size=4).map(lambda parts: "$" + "".join(parts))
    return st.builds(PayloadProblem, path, texts(max_size=40))


def return_authorizations() -> st.SearchStrategy[ReturnAuthorization]:
    """Return authorisations, received (restocked or scrapped, credited) or not yet."""
    return _pick(lambda s: s.returns, need_return=True)


def profiles() -> st.SearchStrategy[Profile]:
    """Customer profiles as insight keeps them."""
    return _pick(lambda s: [s.hub.insights.profile(c.id) for c in s.hub.customers])


def customer_views() -> st.SearchStrategy[CustomerView]:
    """360° views of customers: orders, shipments, invoices, open items, returns, offers."""
    return _pick(lambda s: [s.hub.insights.view(c.id) for c in s.hub.customers])


def insights() -> st.SearchStrategy[Insights]:
    """A hub's :class:`~orderhub.Insights`, with segments and offers defined."""
    return _stories().map(lambda s: s.hub.insights)


def _rfm_of(s: _Story) -> RFMSummary:
    return s.hub.insights.rfm(s.clock.now().date(), "D")


def rfm_summaries() -> st.SearchStrategy[RFMSummary]:
    """RFM summaries of a hub's customers (lifetimes' definitions)."""
    return _stories(stage=_CAPTURED).map(_rfm_of)


def rfms() -> st.SearchStrategy[RFM]:
    """One customer's RFM summary."""
    return _pick(lambda s: list(_rfm_of(s).values()), stage=_CAPTURED, min_orders=2)


def rfm_scorings() -> st.SearchStrategy[RFMScoring]:
    """The quintile scoring of a population's RFM summary."""
    return _stories(stage=_CAPTURED, min_orders=2).map(
        lambda s: RFMScoring.of(_rfm_of(s), s.clock.now().date(), "D", _rfm_of(s).currency)
    )


def rfm_scores() -> st.SearchStrategy[RFMScore]:
    """Quintile RFM scores and their segment."""
    return _pick(
        lambda s: list(s.hub.insights.rfm_scores(s.clock.now().date()).values()),
        stage=_CAPTURED,
        min_orders=2,
    )


@st.composite
def routing_plans(draw: st.DrawFn) -> RoutingPlan:
    """Plans a drawn routing strategy makes for a captured order over a network view;
    each routes exactly the order's open units."""
    story = draw(_stories(stage=_CAPTURED))
    order = draw(
        st.sampled_from([o for o in story.hub.orders() if o.state is OrderState.CAPTURED])
    )
    strategy = draw(routing_strategies(order.currency))
    return strategy.plan(order, NetworkView(story.hub.network, story.hub.stock))


# -- receivables: documents a real ledger made -----------------------------------------------


@attrs.define
class _Ledger:
    """A receivables ledger after a drawn run of commands, and what they returned."""

    book: Receivables
    currency: str
    customer: str
    start: date
    day: date
    payments: list[PaymentApplication] = attrs.Factory(list)
    credit_notes: list[CreditNoteApplication] = attrs.Factory(list)
    write_offs: list[WriteOff] = attrs.Factory(list)
    reversals: list[PaymentReversal] = attrs.Factory(list)
    refunds: list[Refund] = attrs.Factory(list)
    applications: list[Application] = attrs.Factory(list)
    invoices: list[str] = attrs.Factory(list)


def _book_invoice(
    draw: st.DrawFn, ledger: _Ledger, customer: str, *, min_units: int, max_units: int
) -> str:
    terms = draw(payment_terms(max_days=90))
    amount = Money.from_minor(draw(st.integers(min_units, max_units)), ledger.currency)
    parts = terms.instalment_amounts(amount) if terms.instalments else ()
    if any(m.is_zero for m, _ in parts):
        parts = ()  # too small to split: one item
    discount = terms.discount(amount)
    offered = not discount.is_zero and discount < amount
    invoice_id = f"invoice-{len(ledger.invoices) + 1}"
    day = ledger.day
    ledger.applications.extend(
        ledger.book.add_invoice(
            invoice_id=invoice_id,
            customer_id=customer,
            number=f"N-{len(ledger.invoices) + 1:05d}",
            currency=ledger.currency,
            amount=amount,
            issued_on=day,
            due_on=terms.due_on(day),
            discount=discount if offered else None,
            discount_until=terms.discount_until(day) if offered else None,
            instalments=[(m, day + timedelta(days=d)) for m, d in parts],
        )
    )
    ledger.invoices.append(invoice_id)
    return invoice_id


def _pay(ledger: _Ledger, customer: str, units: int, invoices: Sequence[str] = ()) -> str:
    payment_id = f"payment-{len(ledger.payments) + 1}"
    result = ledger.book.record_payment(
        payment_id=payment_id,
        customer_id=customer,
        amount=Money.from_minor(units, ledger.currency),
        received_on=ledger.day,
        invoices=invoices,
    )
    ledger.payments.append(result)
    ledger.applications.extend(result.applications)
    return payment_id


def _credit(ledger: _Ledger, customer: str, units: int, invoice_id: str | None) -> None:
    result = ledger.book.add_credit_note(
        credit_note_id=f"credit-note-{len(ledger.credit_notes) + 1}",
        customer_id=customer,
        invoice_id=invoice_id,
        currency=ledger.currency,
        amount=Money.from_minor(units, ledger.currency),
        issued_on=ledger.day,
    )
    ledger.credit_notes.append(result)
    ledger.applications.extend(result.applications)


@st.composite
def _ledgers(
    draw: st.DrawFn,
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    max_operations: int = 8,
    max_amount: int = 10**6,
    need_open: bool = False,
) -> _Ledger:
    code = draw(_codes(currency))
    scale = 10 ** MINOR_UNITS[code]
    most = max(3, max_amount * scale)
    start = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    people = ["C" + p for p in draw(st.lists(_tokens(), min_size=1, max_size=3, unique=True))]
    ledger = _Ledger(Receivables(), code, people[0], start, start)
    book, who = ledger.book, people[0]

    def later(most_days: int = 20) -> None:
        ledger.day += timedelta(days=draw(st.integers(0, most_days)))

    # Every kind of document, for the first customer: an invoice credited in part, paid in
    # part after its due date (no discount), the rest written off; cash on account refunded
    # in part; then the payment bounces, re-opening the invoice.
    first = _book_invoice(draw, ledger, who, min_units=3, max_units=most)
    owed = book.item(first).open.minor_units
    _credit(ledger, who, draw(st.integers(1, owed - 2)), first)
    ledger.day = max(ledger.day, book.item(first).due_on) + timedelta(days=1)
    owed = book.item(first).open.minor_units
    bounced = _pay(ledger, who, draw(st.integers(1, owed - 1)), (first,))
    later()
    ledger.write_offs.append(book.write_off(first, on=ledger.day, reason=draw(texts(max_size=20))))
    cash = draw(st.integers(1, most))
    _pay(ledger, who, cash)
    later()
    ledger.refunds.append(
        book.refund(
            who,
            Money.from_minor(draw(st.integers(1, cash)), code),
            on=ledger.day,
            reference="refund-1",
        )
    )
    later()
    reversal = book.reverse_payment(bounced, on=ledger.day, reason=draw(texts(max_size=20)))
    ledger.reversals.append(reversal)

    for _ in range(draw(st.integers(0, max_operations))):
        later()
        customer = draw(st.sampled_from(people))
        open_ids = [
            i
            for i in ledger.invoices
            if book.item(i).is_open and book.item(i).customer_id == customer
        ]
        op = draw(st.sampled_from(_LEDGER_OPERATIONS))
        if op == "invoice" or (not open_ids and op in ("pay", "credit", "write_off")):
            _book_invoice(draw, ledger, customer, min_units=1, max_units=most)
        elif op == "pay":
            target = draw(st.sampled_from(open_ids))
            owed = book.item(target).open.minor_units
            units = draw(st.integers(1, owed + scale * 10))
            named = draw(st.booleans())
            _pay(ledger, customer, units, (target,) if named else ())
        elif op == "credit":
            named_id = draw(_optional(st.sampled_from(open_ids)))
            _credit(ledger, customer, draw(st.integers(1, most)), named_id)
        elif op == "write_off":
            target = draw(st.sampled_from(open_ids))
            ledger.write_offs.append(book.write_off(target, on=ledger.day, reason="remainder"))
        elif op == "apply" and customer in book.customers():
            ledger.applications.extend(book.apply_unapplied(customer, ledger.day))
        elif op == "refund" and customer in book.customers():
            credit = book.unapplied(customer, code).minor_units
            if credit:
                ledger.refunds.append(
                    book.refund(
                        customer,
                        Money.from_minor(draw(st.integers(1, credit)), code),
                        on=ledger.day,
                        reference=f"refund-{len(ledger.refunds) + 1}",
                    )
                )
        elif op == "bounce":
            standing = [
                p.payment_id for p in ledger.payments if book.reversal(p.payment_id) is None
            ]
            if standing:
                ledger.reversals.append(
                    book.reverse_payment(
                        draw(st.sampled_from(standing)), on=ledger.day, reason="bounced"
                    )
                )
    if need_open and not book.open_items():  # a new customer has no credit to apply
        later()
        _book_invoice(draw, ledger, "C-new", min_units=1, max_units=most)
    return ledger


_LEDGER_OPERATIONS = ("invoice", "pay", "pay", "credit", "write_off", "apply", "refund", "bounce")


def receivables(
    *, currency: str | st.SearchStrategy[str] | None = None, max_operations: int = 8
) -> st.SearchStrategy[Receivables]:
    """A :class:`~orderhub.Receivables` ledger after a drawn run of invoices (instalments,
    early-payment discounts), credit notes, payments (named, unnamed, partial, over),
    write-offs, applications of credit, refunds and bounced payments: its balance identity
    and aging always hold."""
    return _ledgers(currency=currency, max_operations=max_operations).map(lambda led: led.book)


def _from_ledger(found: Callable[[_Ledger], Sequence[T]], **kwargs: Any) -> st.SearchStrategy[T]:
    return _ledgers(**kwargs).flatmap(lambda led: st.sampled_from(list(found(led))))


def payment_applications(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[PaymentApplication]:
    """What recording a payment did: its applications and the cash left unapplied."""
    return _from_ledger(lambda led: led.payments, currency=currency)


def credit_note_applications(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[CreditNoteApplication]:
    """What booking a credit note did: the items it reduced and the credit left over."""
    return _from_ledger(lambda led: led.credit_notes, currency=currency)


def applications(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Application]:
    """Credit applied to one open item, from a payment or a credit note."""
    return _from_ledger(lambda led: led.applications, currency=currency)


def write_offs(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[WriteOff]:
    """Remainders of invoices written off."""
    return _from_ledger(lambda led: led.write_offs, currency=currency)


def payment_reversals(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[PaymentReversal]:
    """Bounced payments undone: applications re-opened, cash removed, refunds re-owed."""
    return _from_ledger(lambda led: led.reversals, currency=currency)


def refunds(*, currency: str | st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Refund]:
    """Unapplied credit paid back, with the shares of the credit it came from."""
    return _from_ledger(lambda led: led.refunds, currency=currency)


def refund_shares() -> st.SearchStrategy[RefundShare]:
    """The part of a refund drawn from one payment's or credit note's credit."""
    return _from_ledger(lambda led: [s for r in led.refunds for s in r.shares])


def open_items(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[OpenItem]:
    """Open items: invoices, instalments and re-opened refunds, partly settled."""
    return _from_ledger(lambda led: led.book.open_items(), currency=currency, need_open=True)


def receivable_items(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Receivable]:
    """Invoices as the ledger sees them (:meth:`~orderhub.Receivables.item`), open or not."""
    return _from_ledger(lambda led: [led.book.item(i) for i in led.invoices], currency=currency)


def account_totals(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[AccountTotals]:
    """The running totals of an account; ``balance`` is the ledger's balance."""
    return _from_ledger(
        lambda led: [led.book.totals(c, led.currency) for c in led.book.customers()],
        currency=currency,
    )


@st.composite
def statements(
    draw: st.DrawFn, *, currency: str | st.SearchStrategy[str] | None = None
) -> Statement:
    """Customer statements over a window around the ledger's documents (opening balance,
    lines with running balances, closing balance)."""
    ledger = draw(_ledgers(currency=currency))
    who = draw(st.sampled_from(ledger.book.customers()))
    start = ledger.start + timedelta(days=draw(st.integers(-10, 10)))
    end = max(start, ledger.day + timedelta(days=draw(st.integers(-10, 10))))
    return ledger.book.statement(who, ledger.currency, start, end)


def statement_lines() -> st.SearchStrategy[StatementLine]:
    """Lines of statements that cover all of a customer's documents."""
    return _from_ledger(
        lambda led: led.book.statement(led.customer, led.currency, led.start, led.day).lines
    )


@st.composite
def agings(draw: st.DrawFn, *, currency: str | st.SearchStrategy[str] | None = None) -> Aging:
    """Agings of a ledger, overall or per customer, by due or invoice date, on default or
    drawn buckets, on a day up to a year after the last document."""
    ledger = draw(_ledgers(currency=currency))
    buckets = draw(
        st.one_of(
            st.just(DEFAULT_BUCKETS),
            st.lists(st.integers(-30, 365), min_size=1, max_size=6, unique=True).map(
                lambda bs: tuple(sorted(bs))
            ),
        )
    )
    return ledger.book.aging(
        ledger.day + timedelta(days=draw(st.integers(0, 365))),
        by=draw(st.sampled_from(("due", "invoice"))),
        buckets=buckets,
        customer_id=draw(_optional(st.sampled_from(ledger.book.customers()))),
        currency=ledger.currency,
    )


def aging_buckets() -> st.SearchStrategy[AgingBucket]:
    """The labelled buckets of an aging."""
    return agings().flatmap(lambda a: st.sampled_from(a.buckets))


# -- events ---------------------------------------------------------------------------------


def _for_type(t: Any) -> st.SearchStrategy[Any]:
    if t is Assignment:
        return assignments()
    if t is Backorder:
        return backorders()
    if get_origin(t) is tuple:
        args = get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_for_type(args[0]), max_size=3).map(tuple)
        return st.tuples(*(_for_type(a) for a in args))
    args = get_args(t)
    if args and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        return _optional(_for_type(inner))
    if t is datetime:
        return aware_datetimes()
    if t is date:
        return st.dates()
    if t is Money:
        return money(allow_negative=True)
    if t is str:
        return _tokens()
    if t is int:
        return st.integers(1, 10**6)
    if t is bool:
        return st.booleans()
    if isinstance(t, type) and issubclass(t, (Channel, ConsentChannel)):
        return st.sampled_from(t)
    return st.from_type(t)


def _event_types() -> list[type[Event]]:
    found: list[type[Event]] = []
    todo = list(Event.__subclasses__())
    while todo:
        cls = todo.pop(0)
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def events(*kinds: type[Event]) -> st.SearchStrategy[Event]:
    """Domain events of the given classes (every :class:`~orderhub.events.Event` subclass
    if none is named), with plausible field values."""
    chosen = kinds or tuple(_event_types())
    builders = []
    for cls in chosen:
        attrs.resolve_types(cls)
        fields = {a.alias: _for_type(a.type) for a in attrs.fields(cls) if a.init}
        builders.append(st.builds(cls, **fields))
    return st.one_of(builders)


# -- hypothesis integration -----------------------------------------------------------------


def register_type_strategies() -> None:
    """Make ``st.from_type`` (and ``st.builds`` inference) draw orderhub's types from these
    strategies, so that they are valid by construction.

    Each type is registered with a function that builds its strategy on first use, so that
    registering (which the entry point does whenever hypothesis is imported) costs nothing.
    """
    for cls in _strategies():
        st.register_type_strategy(cls, _strategy_for)


def _strategy_for(cls: type[Any]) -> st.SearchStrategy[Any]:
    return _strategies()[cls]()


@functools.cache
def _strategies() -> dict[type[Any], Callable[[], st.SearchStrategy[Any]]]:
    """How to make the strategy of every registered type (called only when drawn)."""
    makers: dict[type[Any], Callable[[], st.SearchStrategy[Any]]] = {
        cls: functools.partial(_built, make) for cls, make in _registry().items()
    }
    for cls in _event_types():
        makers[cls] = functools.partial(events, cls)
    makers[Event] = events
    return makers


@functools.cache
def _built(make: Callable[[], st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    return make()


def _registry() -> dict[type[Any], Callable[[], st.SearchStrategy[Any]]]:
    """How to make the strategy of every public type: values, documents, books, policies."""
    return {
        # values
        Money: money,
        GeoPoint: geo_points,
        Address: addresses,
        CustomerIdentity: customer_identities,
        Discount: discounts,
        CaptureContext: capture_contexts,
        LineRequest: line_requests,
        OrderRequest: order_requests,
        Item: items,
        Catalog: catalogs,
        Location: locations,
        StockPosition: stock_positions,
        Movement: movements,
        ReserveRequest: reserve_requests,
        Reservation: reservations,
        Supply: supplies,
        # orders, customers, catalog
        Hold: holds,
        LineQuantities: line_quantities,
        Order: orders,
        OrderLine: order_lines,
        Captured: captures,
        ExternalId: external_ids,
        AttributeRecord: attribute_records,
        ConsentRecord: consent_records,
        Customer: customers,
        CustomerMaster: customer_masters,
        # network, stock, routing
        Network: networks,
        StockBook: stock_books,
        PlannedLine: planned_lines,
        Assignment: assignments,
        Backorder: backorders,
        RoutingPlan: routing_plans,
        ShipComplete: lambda: st.just(ShipComplete()),
        AllowSplit: lambda: st.builds(
            AllowSplit,
            max_shipments=_optional(st.integers(1, 5)),
            min_shipment_value=_optional(money(max_value=1000)),
        ),
        NetworkView: network_views,
        HasCapability: lambda: st.builds(HasCapability, st.sampled_from(Capability)),
        ServesShipTo: lambda: st.just(ServesShipTo()),
        HasCapacity: lambda: st.just(HasCapacity()),
        OwnedBy: lambda: st.builds(OwnedBy, _tokens()),
        ForChannel: lambda: st.builds(
            ForChannel, st.sampled_from(Channel), st.frozensets(_tokens(), max_size=3)
        ),
        ByDistance: lambda: st.just(ByDistance()),
        ByRank: lambda: st.just(ByRank()),
        ByCost: lambda: st.just(ByCost()),
        **{kind: functools.partial(routing_strategies, kinds=(kind,)) for kind in _STRATEGY_KINDS},
        # fulfilment
        FulfillmentOrder: fulfillment_orders,
        FulfillmentLine: fulfillment_lines,
        Shipment: shipments,
        ShipmentLine: shipment_lines,
        Shipped: confirmed_shipments,
        PackingSlip: packing_slips,
        PackingSlipLine: packing_slip_lines,
        PickList: pick_lists,
        PickLine: pick_lines,
        ReturnAuthorization: return_authorizations,
        # billing, terms, tax, journal
        Invoice: invoices,
        InvoiceLine: invoice_lines,
        BillableLine: billable_lines,
        Instalment: instalments,
        PaymentTerms: payment_terms,
        RateTable: rate_tables,
        Journal: journals,
        JournalEntry: journal_entries,
        JournalLine: journal_lines,
        RecogniseOnShipment: lambda: st.just(RecogniseOnShipment()),
        RecogniseOnDelivery: lambda: st.just(RecogniseOnDelivery()),
        # receivables
        Receivables: receivables,
        Receivable: receivable_items,
        OpenItem: open_items,
        Application: applications,
        PaymentApplication: payment_applications,
        CreditNoteApplication: credit_note_applications,
        PaymentReversal: payment_reversals,
        Refund: refunds,
        RefundShare: refund_shares,
        WriteOff: write_offs,
        AccountTotals: account_totals,
        Statement: statements,
        StatementLine: statement_lines,
        Aging: agings,
        AgingBucket: aging_buckets,
        # effects and the hub
        Effect: effects,
        LoggedCommand: logged_commands,
        PayloadProblem: payload_problems,
        RetryPolicy: retry_policies,
        Succeeded: lambda: st.builds(Succeeded, texts(max_size=30)),
        Rejected: lambda: st.builds(Rejected, texts(max_size=30)),
        Failed: lambda: st.builds(Failed, texts(max_size=30)),
        OrderHub: hubs,
        StateTable: state_tables,
        # insight
        Insights: insights,
        Profile: profiles,
        CustomerView: customer_views,
        RFM: rfms,
        RFMSummary: rfm_summaries,
        RFMScore: rfm_scores,
        RFMScoring: rfm_scorings,
        Segment: segments,
        OfferRule: offer_rules,
        OfferMatch: offer_matches,
        Target: targets,
        DemandSeries: demand_series,
        Backtest: backtests,
        MovingAverage: lambda: st.builds(MovingAverage, st.integers(1, 12)),
        SimpleExponentialSmoothing: lambda: st.builds(
            SimpleExponentialSmoothing, st.floats(0, 1, exclude_min=True)
        ),
        HoltLinear: lambda: st.builds(
            HoltLinear, st.floats(0, 1, exclude_min=True), st.floats(0, 1, exclude_min=True)
        ),
        # the protocols with built-in implementations draw those
        RoutingStrategy: routing_strategies,
        Claimer: claimers,
        LocationFilter: location_filters,
        Ranker: rankers,
        TaxPolicy: rate_tables,
        RevenuePolicy: revenue_policies,
        Forecaster: forecasters,
    }


if _registration_pending:  # hypothesis was first imported by this module: see the hook
    register_type_strategies()
