"""The hypothesis entry point and the orderhub pytest plugin's fixtures."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderhub import (
    Address,
    Channel,
    CustomerIdentity,
    EffectStatus,
    GeoPoint,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
    SyncDriver,
)
from orderhub.testing import (
    FixedClock,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
    SequentialIds,
)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_from_type_draws_orderhub_types_without_importing_orderhub_testing() -> None:
    """The hypothesis entry point registers the strategies: no import of orderhub.testing."""
    out = _run(
        """
        import sys
        from hypothesis import given, settings, strategies as st
        import orderhub

        money = st.from_type(orderhub.Money).example()
        assert isinstance(money, orderhub.Money), money
        for kind in (orderhub.Order, orderhub.Invoice, orderhub.StockBook):
            drawn = st.from_type(kind).example()
            assert isinstance(drawn, kind), drawn

        seen = []

        @settings(max_examples=5, database=None)
        @given(st.from_type(orderhub.OrderRequest))
        def check(request):
            assert isinstance(request, orderhub.OrderRequest)
            seen.append(request)

        check()
        assert seen
        print("registered by", sorted(m for m in sys.modules if m.startswith("orderhub.testing")))
        """
    )
    assert "orderhub.testing.strategies" in out


def test_a_users_test_file_draws_documents_with_no_set_up(tmp_path: Path) -> None:
    """A user's pytest file outside this project draws orders, invoices and ledgers with
    st.from_type, importing nothing but hypothesis and orderhub."""
    (tmp_path / "test_users_suite.py").write_text(
        textwrap.dedent(
            """
            from hypothesis import given, settings, strategies as st
            import orderhub

            few = settings(max_examples=10, database=None)

            @few
            @given(st.from_type(orderhub.OrderRequest))
            def test_requests(request):
                assert request.lines

            @few
            @given(st.from_type(orderhub.Order))
            def test_orders(order):
                for line in order.lines:
                    q = line.quantities
                    assert q.ordered == q.open + q.allocated + q.backordered + q.shipped + (
                        q.cancelled
                    )

            @few
            @given(st.from_type(orderhub.Invoice))
            def test_invoices(invoice):
                net = sum((ln.net for ln in invoice.lines), orderhub.Money.zero(invoice.currency))
                assert net == invoice.net_total
                assert invoice.grand_total == invoice.net_total + invoice.tax_total

            @few
            @given(st.from_type(orderhub.Receivables))
            def test_ledgers(book):
                for customer in book.customers():
                    assert book.totals(customer).balance == book.balance(customer)
            """
        ),
        encoding="utf-8",
    )

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_the_strategies_module_imports_first_in_a_fresh_interpreter() -> None:
    """Importing orderhub.testing.strategies before hypothesis (whose import runs the entry
    point) works, and registers the strategies."""
    out = _run(
        """
        from orderhub.testing import strategies as ohst
        from hypothesis import strategies as st
        import orderhub

        assert isinstance(st.from_type(orderhub.Invoice).example(), orderhub.Invoice)
        print(ohst.money.__name__)
        """
    )
    assert out.strip() == "money"


def test_plugin_module_imports_no_orderhub_modules_itself() -> None:
    """The plugin module imports nothing beyond its parent packages until a fixture runs."""
    out = _run(
        """
        import sys
        import orderhub.testing
        before = set(sys.modules)
        import orderhub.testing.plugin
        print(sorted(m for m in set(sys.modules) - before if m.startswith("orderhub")))
        """
    )
    assert out.strip() == "['orderhub.testing.plugin']"


def test_clock_fixture_stands_still_until_advanced(orderhub_clock: FixedClock) -> None:
    """orderhub_clock is a FixedClock at 2026-03-02 09:00 UTC that only moves when told."""
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert orderhub_clock.now() == start
    assert orderhub_clock.now() == start
    assert orderhub_clock.advance(hours=1) == start + timedelta(hours=1)


def test_ids_fixture_counts_per_kind(orderhub_ids: SequentialIds) -> None:
    """orderhub_ids counts ids per kind from 1."""
    assert [orderhub_ids.new_id("order") for _ in range(2)] == ["order-1", "order-2"]
    assert orderhub_ids.new_id("customer") == "customer-1"


def test_adapter_fixtures_are_fresh_in_memory_adapters(
    orderhub_erp: InMemoryErp,
    orderhub_fulfillment: InMemoryFulfillment,
    orderhub_finance: InMemoryFinance,
) -> None:
    """The adapter fixtures are the empty in-memory adapters."""
    assert isinstance(orderhub_erp, InMemoryErp)
    assert isinstance(orderhub_fulfillment, InMemoryFulfillment)
    assert isinstance(orderhub_finance, InMemoryFinance)
    assert orderhub_erp.received() == orderhub_fulfillment.received() == []
    assert orderhub_finance.received() == []


def test_hub_fixture_runs_on_the_clock_and_ids_fixtures(
    orderhub_hub: OrderHub, orderhub_clock: FixedClock
) -> None:
    """orderhub_hub is an empty hub that reads orderhub_clock and orderhub_ids."""
    assert list(orderhub_hub.orders()) == []
    orderhub_hub.catalog.add(Item(sku="MUG", description="mug", price=Money("8.00", "EUR")))
    order = orderhub_hub.capture(_request("MUG")).order
    assert order.id == "order-1"
    assert order.captured_at == orderhub_clock.now()


def test_driver_fixture_carries_effects_to_the_adapter_fixtures(
    orderhub_driver: SyncDriver,
    orderhub_hub: OrderHub,
    orderhub_erp: InMemoryErp,
    orderhub_fulfillment: InMemoryFulfillment,
) -> None:
    """orderhub_driver drives orderhub_hub's effects into the in-memory adapters (ERP "main")."""
    assert orderhub_driver.hub is orderhub_hub
    orderhub_hub.catalog.add(Item(sku="MUG", description="mug", price=Money("8.00", "EUR")))
    orderhub_hub.network.add(Location(id="dc", kind=LocationKind.DC, geo=GeoPoint(52.5, 13.4)))
    orderhub_hub.stock.receive("dc", "MUG", 5)
    orderhub_hub.capture(_request("MUG"))
    orderhub_hub.process()

    assert orderhub_driver.run() > 0

    assert [e for e in orderhub_hub.effects() if e.status is EffectStatus.PENDING] == []
    assert len(orderhub_erp.received("submit_order")) == 1
    assert len(orderhub_fulfillment.received("release")) == 1


def _request(sku: str) -> OrderRequest:
    return OrderRequest(
        channel=Channel.WEB,
        external_id="W-1",
        customer=CustomerIdentity(email="ann@example.com"),
        ship_to=Address(line1="1 Main St", city="Berlin", country="DE", geo=GeoPoint(52.5, 13.4)),
        lines=[LineRequest(sku=sku, quantity=1)],
    )
