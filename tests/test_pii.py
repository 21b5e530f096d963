"""Personal data never shows in a repr, a str or an error message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import make_hub, request
from orderhub import (
    Address,
    Channel,
    ConsentChannel,
    CustomerIdentity,
    HoldKind,
    OrderRequest,
    ValidationError,
    normalise_email,
    normalise_phone,
)

# -- strategies (local until orderhub.testing has public ones) ---------------------------------

# Printable in any script, so that repr() shows such text as it is (no escapes to hide behind).
_printable = st.characters(categories=("L", "M", "N", "P", "S"))
_words = st.text(_printable, min_size=1, max_size=10)


def _sentinel(tag: str) -> st.SearchStrategy[str]:
    """Text that cannot occur in a repr by accident: a tag, any printable text, a space."""
    return st.builds(lambda a, b: f"Ωpii{tag}{a} {b}", _words, _words)


_local = st.text(
    st.characters(categories=("L", "N"), include_characters="._+-"), min_size=1, max_size=12
)
_domain = st.text(st.characters(categories=("Ll", "Nd")), min_size=1, max_size=8)


def _emails(tag: str) -> st.SearchStrategy[str]:
    """A valid e-mail address (non-ASCII allowed), possibly in odd case and with spaces."""
    return st.builds(
        lambda local, domain, upper, pad: (
            f"{pad}pii{tag}{local}@{domain}.example{pad}".upper()
            if upper
            else f"{pad}pii{tag}{local}@{domain}.example{pad}"
        ),
        _local,
        _domain,
        st.booleans(),
        st.sampled_from(["", " ", "  "]),
    )


@st.composite
def _phones(draw: st.DrawFn, country: str = "9") -> str:
    """A valid international phone number written with any of the usual separators."""
    digits = draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=14))
    seps = draw(
        st.lists(
            st.sampled_from(["", " ", "-", ".", "/"]), min_size=len(digits), max_size=len(digits)
        )
    )
    body = "".join(d + s for d, s in zip(digits, seps, strict=True))
    return draw(st.sampled_from(["+", "00", "+ "])) + country + body


@attrs.frozen
class Person:
    """One customer's personal data, as a channel would send it."""

    name: str
    email: str
    phone: str
    loyalty_id: str
    address: Address

    @property
    def identity(self) -> CustomerIdentity:
        return CustomerIdentity(
            email=self.email, phone=self.phone, loyalty_id=self.loyalty_id, name=self.name
        )

    @property
    def needles(self) -> set[str]:
        """Every piece of personal data, raw and as the hub normalises it."""
        a = self.address
        identity = self.identity
        raw = {self.name, self.email.strip(), self.phone.strip(), self.loyalty_id}
        normal = {identity.name, identity.email, identity.phone}
        lines = {a.line1, a.line2, a.city, a.postal_code, a.name, a.company, a.phone}
        return {n for n in raw | normal | lines if n}


def _people(tag: str) -> st.SearchStrategy[Person]:
    address = st.builds(
        Address,
        line1=_sentinel(f"{tag}L1"),
        line2=_sentinel(f"{tag}L2"),
        city=_sentinel(f"{tag}City"),
        postal_code=_sentinel(f"{tag}Zip"),
        name=_sentinel(f"{tag}AddrName"),
        company=_sentinel(f"{tag}Co"),
        phone=_sentinel(f"{tag}AddrPhone"),
        country=st.just("DE"),
    )
    return st.builds(
        Person,
        name=_sentinel(f"{tag}Name"),
        email=_emails(tag),
        phone=_phones("1" if tag == "A" else "2"),
        loyalty_id=_sentinel(f"{tag}Loyal"),
        address=address,
    )


def _leaks(needles: Iterable[str], objects: Iterable[object]) -> list[tuple[str, str]]:
    """Every (needle, text) where a piece of personal data shows in a repr or str."""
    found = []
    for obj in objects:
        for text in (repr(obj), str(obj)):
            for needle in needles:
                if needle in text or repr(needle)[1:-1] in text:
                    found.append((needle, text))
    return found


# -- properties --------------------------------------------------------------------------------


@given(_people("A"), _people("B"))
def test_no_personal_data_in_any_repr(ann: Person, bob: Person) -> None:
    """No name, e-mail, phone, loyalty id or address line shows in any object's repr or str."""
    hub, clock = make_hub()
    req = request(
        "W-1",
        customer=ann.identity,
        ship_to=ann.address,
        bill_to=ann.address,
        consents={ConsentChannel.EMAIL: True},
        attributes={"tier": "gold"},
    )
    captured = hub.capture(req)
    other = hub.capture(
        request("S-1", channel=Channel.STORE, customer=bob.identity, ship_to=bob.address)
    )
    clock.advance(minutes=1)
    ambiguous = hub.capture(
        request(
            "W-2",
            customer=CustomerIdentity(loyalty_id=ann.loyalty_id, email=bob.email, name=bob.name),
        )
    )
    hub.hold(captured.order.id, HoldKind.FRAUD, "review")
    hub.cancel_line(other.order.id, 1)
    hub.customers.set_consent(captured.order.customer_id, ConsentChannel.SMS, True)
    hub.customers.merge(captured.order.customer_id, other.order.customer_id)
    before_erase = tuple(hub.customers) + tuple(hub.orders())

    hub.customers.erase(captured.order.customer_id)

    objects: list[Any] = [
        ann.identity,
        bob.identity,
        ann.address,
        bob.address,
        req,
        captured,
        other,
        ambiguous,
        *before_erase,
        *hub.customers,
        *hub.orders(),
        *hub.events,
        hub.customers.get("customer-1"),
    ]
    assert _leaks(ann.needles | bob.needles, objects) == []


@given(_sentinel("Bad").filter(lambda s: "@" not in s), _emails("X"))
def test_no_personal_data_in_email_errors(not_an_email: str, email: str) -> None:
    """The error for a malformed e-mail address does not repeat it."""
    local, _, domain = email.strip().partition("@")
    bad = [not_an_email, f"{local}@@{domain}", f"{local} {not_an_email}@{domain}", f"{local}@"]

    errors = []
    for value in bad:
        for make in (normalise_email, lambda v: CustomerIdentity(email=v)):
            with pytest.raises(ValidationError) as caught:
                make(value)
            errors.append(caught.value)

    assert _leaks([*bad, local, domain], errors) == []
    assert all(e.field == "email" for e in errors)


@given(_sentinel("Bad"), _phones())
def test_no_personal_data_in_phone_errors(not_a_phone: str, phone: str) -> None:
    """The error for a malformed phone number does not repeat it."""
    bad = [not_a_phone, phone + "0" * 16, phone[:3], phone + "x"]

    errors = []
    for value in bad:
        for make in (normalise_phone, lambda v: CustomerIdentity(phone=v)):
            with pytest.raises(ValidationError) as caught:
                make(value)
            errors.append(caught.value)

    assert _leaks(bad, errors) == []
    assert all(e.field == "phone" for e in errors)


@given(st.sampled_from(["", " ", "\t\n"]))
def test_no_personal_data_in_name_errors(blank: str) -> None:
    """A blank name is rejected without its value echoed (names are personal)."""
    with pytest.raises(ValidationError) as caught:
        CustomerIdentity(name=blank)

    assert "<redacted>" in str(caught.value)


# -- examples ----------------------------------------------------------------------------------


def test_reprs_say_whether_personal_data_is_there_not_what_it_is() -> None:
    """Masked fields show ``<redacted>`` (or a count) so a log still says what was known."""
    identity = CustomerIdentity(email="zoë@exämple.de", phone="+49 30 1234567", name="Zoë Ång")
    hub, _ = make_hub()
    order = hub.capture(request(customer=identity)).order

    customer = hub.customers.get(order.customer_id)

    assert "email='<redacted>'" not in repr(identity)
    assert "email=<redacted>" in repr(identity)
    assert "loyalty_id=None" in repr(identity)
    assert "emails=<1 redacted>" in repr(customer)
    assert "Zoë" not in repr(customer) + repr(identity) + repr(order)


def test_address_repr_keeps_only_country_region_and_geo() -> None:
    """An address shows its country and region (needed for tax), never its lines."""
    a = Address(
        line1="Königstraße 1",
        city="Straße",
        postal_code="70173",
        country="DE",
        region="BW",
        name="Jürgen",
        company="GmbH Ü",
        phone="+49 711 123456",
    )

    text = repr(a)

    assert "country='DE'" in text
    assert "region='BW'" in text
    for needle in ("Königstraße", "Straße", "70173", "Jürgen", "GmbH", "711"):
        assert needle not in text


def test_erased_request_data_is_not_kept_for_idempotency() -> None:
    """After erasure the hub no longer holds the original request with its personal data."""
    hub, clock = make_hub()
    identity = CustomerIdentity(email="ann@example.com", name="Ann Lee")
    order = hub.capture(request(customer=identity)).order
    clock.advance(timedelta(days=1))

    hub.customers.erase(order.customer_id)

    assert all(not isinstance(r, OrderRequest) for r, _ in hub._requests.values())


def test_leak_detector_finds_what_is_not_masked() -> None:
    """The detector these properties rely on does report data left in a repr, escaped or not."""
    needles = ["Zoë Ång", "tab\there"]

    found = _leaks(needles, [{"name": "Zoë Ång"}, ("tab\there",), "clean"])

    assert [needle for needle, _ in found] == ["Zoë Ång", "Zoë Ång", "tab\there", "tab\there"]
