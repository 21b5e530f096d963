"""orderhub: the domain core of an order hub, sans I/O.

Orders captured on every channel go into one queue; the hub keeps the customer master, the
catalog and the orders, and returns the events each command produced. The host owns storage,
network and clock. Public names are re-exported here; everything else is private.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from orderhub._catalog import Catalog, CatalogPolicy, Item
from orderhub._customers import (
    AttributeRecord,
    ConsentRecord,
    Customer,
    CustomerMaster,
    ExternalId,
)
from orderhub._hub import Captured, OrderHub
from orderhub._identity import AttributeValue, CustomerIdentity, normalise_email, normalise_phone
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
    NotFound,
    OrderhubError,
    UnknownCurrency,
    UnknownCustomer,
    UnknownLocation,
    UnknownOrder,
    UnknownReservation,
    UnknownSku,
    UnknownSupply,
    ValidationError,
)

try:
    __version__ = version("orderhub")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ORDER_STATES",
    "Address",
    "AttributeRecord",
    "AttributeValue",
    "Capability",
    "CaptureContext",
    "Captured",
    "Catalog",
    "CatalogPolicy",
    "Channel",
    "ConsentChannel",
    "ConsentRecord",
    "CurrencyMismatch",
    "Customer",
    "CustomerIdentity",
    "CustomerMaster",
    "Discount",
    "DuplicateId",
    "ExternalId",
    "GeoPoint",
    "Hold",
    "HoldKind",
    "IdempotencyConflict",
    "IllegalTransition",
    "InsufficientStock",
    "InvalidMoney",
    "InvalidPayload",
    "InvalidPlan",
    "InvalidQuantity",
    "Item",
    "LineQuantities",
    "LineRequest",
    "Location",
    "LocationKind",
    "Money",
    "Movement",
    "MovementKind",
    "Network",
    "NotFound",
    "Order",
    "OrderHub",
    "OrderLine",
    "OrderRequest",
    "OrderState",
    "OrderhubError",
    "Reservation",
    "ReserveRequest",
    "RoundingPolicy",
    "ServiceLevel",
    "StateTable",
    "StockBook",
    "StockPosition",
    "Supply",
    "SupplyKind",
    "UnknownCurrency",
    "UnknownCustomer",
    "UnknownLocation",
    "UnknownOrder",
    "UnknownReservation",
    "UnknownSku",
    "UnknownSupply",
    "ValidationError",
    "__version__",
    "default_priority",
    "minor_units",
    "normalise_email",
    "normalise_phone",
]
