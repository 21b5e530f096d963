"""orderhub: the domain core of an order hub, sans I/O.

Orders captured on every channel go into one queue; the hub keeps the customer master, the
catalog and the orders, and returns the events each command produced. The host owns storage,
network and clock. Public names are re-exported here; everything else is private.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from orderhub._billing import BillableLine, Invoice, InvoiceKind, InvoiceLine
from orderhub._catalog import Catalog, CatalogPolicy, Item
from orderhub._customers import (
    AttributeRecord,
    ConsentRecord,
    Customer,
    CustomerMaster,
    ExternalId,
)
from orderhub._drivers import AsyncDriver, SyncDriver
from orderhub._effects import Effect, EffectKind, EffectStatus, RetryPolicy
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
from orderhub._hub import OrderHub
from orderhub._hub_capture import Captured
from orderhub._hub_cash import Shipped
from orderhub._hub_returns import ReturnAuthorization
from orderhub._identity import AttributeValue, CustomerIdentity, normalise_email, normalise_phone
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
from orderhub._insight_rfm import RFM, RFM_SEGMENTS, RFMScore, RFMScoring, RFMSummary, rfm_segment
from orderhub._insight_segments import OfferMatch, OfferRule, Segment, Target
from orderhub._journal import (
    Account,
    EntryKind,
    Journal,
    JournalEntry,
    JournalLine,
    RecogniseOnDelivery,
    RecogniseOnShipment,
    RevenuePolicy,
)
from orderhub._log import LoggedCommand
from orderhub._money import Money, RoundingPolicy, minor_units
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
from orderhub._queue import default_priority
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
from orderhub.errors import (
    CurrencyMismatch,
    DuplicateId,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientStock,
    InvalidMoney,
    InvalidPayload,
    InvalidPlan,
    InvalidQuantity,
    InvalidSnapshot,
    NotFound,
    OrderhubError,
    ReplayDiverged,
    UnknownCurrency,
    UnknownCustomer,
    UnknownInvoice,
    UnknownLocation,
    UnknownOrder,
    UnknownPayment,
    UnknownReservation,
    UnknownSku,
    UnknownSupply,
    ValidationError,
)
from orderhub.ports import Failed, Rejected, Succeeded

try:
    __version__ = version("orderhub")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_BUCKETS",
    "FULFILLMENT_STATES",
    "ORDER_STATES",
    "RFM",
    "RFM_SEGMENTS",
    "Account",
    "AccountTotals",
    "Address",
    "Aging",
    "AgingBucket",
    "Application",
    "AsyncDriver",
    "AttributeRecord",
    "AttributeValue",
    "Backtest",
    "BillableLine",
    "Capability",
    "CaptureContext",
    "Captured",
    "Catalog",
    "CatalogPolicy",
    "Channel",
    "ConsentChannel",
    "ConsentRecord",
    "CreditNoteApplication",
    "CurrencyMismatch",
    "Customer",
    "CustomerIdentity",
    "CustomerMaster",
    "CustomerView",
    "DemandSeries",
    "Discount",
    "DuplicateId",
    "Effect",
    "EffectKind",
    "EffectStatus",
    "EntryKind",
    "ExternalId",
    "Failed",
    "Forecaster",
    "FulfillmentLine",
    "FulfillmentOrder",
    "FulfillmentState",
    "GeoPoint",
    "Hold",
    "HoldKind",
    "HoltLinear",
    "IdempotencyConflict",
    "IllegalTransition",
    "Insights",
    "Instalment",
    "InsufficientStock",
    "InvalidMoney",
    "InvalidPayload",
    "InvalidPlan",
    "InvalidQuantity",
    "InvalidSnapshot",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "Item",
    "Journal",
    "JournalEntry",
    "JournalLine",
    "LineQuantities",
    "LineRequest",
    "Location",
    "LocationKind",
    "LoggedCommand",
    "Money",
    "Movement",
    "MovementKind",
    "MovingAverage",
    "Network",
    "NotFound",
    "OfferMatch",
    "OfferRule",
    "OpenItem",
    "Order",
    "OrderHub",
    "OrderLine",
    "OrderRequest",
    "OrderState",
    "OrderhubError",
    "PackingSlip",
    "PackingSlipLine",
    "PaymentApplication",
    "PaymentReversal",
    "PaymentTerms",
    "PickLine",
    "PickList",
    "Profile",
    "RFMScore",
    "RFMScoring",
    "RFMSummary",
    "RateTable",
    "Receivable",
    "Receivables",
    "RecogniseOnDelivery",
    "RecogniseOnShipment",
    "Refund",
    "RefundShare",
    "Rejected",
    "ReplayDiverged",
    "Reservation",
    "ReserveRequest",
    "RetryPolicy",
    "ReturnAuthorization",
    "RevenuePolicy",
    "RoundingPolicy",
    "Segment",
    "ServiceLevel",
    "Shipment",
    "ShipmentLine",
    "Shipped",
    "SimpleExponentialSmoothing",
    "StateTable",
    "Statement",
    "StatementLine",
    "StockBook",
    "StockPosition",
    "Succeeded",
    "Supply",
    "SupplyKind",
    "SyncDriver",
    "Target",
    "TaxMode",
    "TaxPolicy",
    "TaxRounding",
    "UnknownCurrency",
    "UnknownCustomer",
    "UnknownInvoice",
    "UnknownLocation",
    "UnknownOrder",
    "UnknownPayment",
    "UnknownReservation",
    "UnknownSku",
    "UnknownSupply",
    "ValidationError",
    "WriteOff",
    "__version__",
    "backtest",
    "default_priority",
    "minor_units",
    "normalise_email",
    "normalise_phone",
    "rfm_segment",
]
