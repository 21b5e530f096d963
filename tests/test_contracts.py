"""The contract suites of orderhub.testing.contract, passed by our own adapters."""

from __future__ import annotations

import importlib.util
import sqlite3
from contextlib import closing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderhub.errors import ValidationError
from orderhub.ports import Succeeded
from orderhub.testing import InMemoryErp, InMemoryFinance, InMemoryFulfillment
from orderhub.testing.contract import (
    ErpAdapterContract,
    FinanceAdapterContract,
    FulfillmentAdapterContract,
)

EXAMPLE = Path(__file__).parent.parent / "examples" / "sqlite_erp.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("orderhub_example_sqlite_erp", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sqlite_erp = _load_example()


def _recorded(adapter: Any, key: str) -> int:
    return sum(1 for k in adapter.documents if k == key)


class TestInMemoryErp(ErpAdapterContract):
    """InMemoryErp keeps the ERP contract."""

    def make_adapter(self) -> InMemoryErp:
        return InMemoryErp()

    def documents_for(self, adapter: Any, key: str) -> int:
        return _recorded(adapter, key)


class TestInMemoryFulfillment(FulfillmentAdapterContract):
    """InMemoryFulfillment keeps the fulfilment contract."""

    def make_adapter(self) -> InMemoryFulfillment:
        return InMemoryFulfillment()

    def documents_for(self, adapter: Any, key: str) -> int:
        return _recorded(adapter, key)


class TestInMemoryFinance(FinanceAdapterContract):
    """InMemoryFinance keeps the finance contract."""

    def make_adapter(self) -> InMemoryFinance:
        return InMemoryFinance()

    def documents_for(self, adapter: Any, key: str) -> int:
        return _recorded(adapter, key)


class TestInMemoryFinanceByReferencesOnly(FinanceAdapterContract):
    """The suite runs without a documents_for hook too, judging by references alone."""

    def make_adapter(self) -> InMemoryFinance:
        return InMemoryFinance()


class TestInMemoryErpWithoutPayloads(ErpAdapterContract):
    """keep_payloads=False keeps the ERP contract: dedupe and references are unchanged."""

    def make_adapter(self) -> InMemoryErp:
        return InMemoryErp(keep_payloads=False)

    def documents_for(self, adapter: Any, key: str) -> int:
        return _recorded(adapter, key)


class TestInMemoryFulfillmentWithoutPayloads(FulfillmentAdapterContract):
    def make_adapter(self) -> InMemoryFulfillment:
        return InMemoryFulfillment(keep_payloads=False)

    def documents_for(self, adapter: Any, key: str) -> int:
        return _recorded(adapter, key)


class TestInMemoryFinanceWithoutPayloads(FinanceAdapterContract):
    def make_adapter(self) -> InMemoryFinance:
        return InMemoryFinance(keep_payloads=False)

    def documents_for(self, adapter: Any, key: str) -> int:
        return _recorded(adapter, key)


def test_an_adapter_without_payloads_numbers_the_same_and_keeps_none() -> None:
    keeping, forgetting = InMemoryErp(), InMemoryErp(keep_payloads=False)
    for adapter in (keeping, forgetting):
        assert adapter.submit_order({"order": "o-1", "name": "Zoë"}, "k-1") == Succeeded("erp-1")
        assert adapter.submit_order({"order": "o-1", "name": "Zoë"}, "k-1") == Succeeded("erp-1")
        assert adapter.post_invoice({"invoice": "i-1"}, "k-2") == Succeeded("erp-2")
    assert keeping.received("submit_order") == [{"order": "o-1", "name": "Zoë"}]
    assert forgetting.calls == keeping.calls
    assert forgetting.documents == {"k-1": ("submit_order", None), "k-2": ("post_invoice", None)}
    before = dict(forgetting.documents)
    with pytest.raises(ValidationError) as caught:
        forgetting.received()
    assert caught.value.field == "keep_payloads"
    assert forgetting.documents == before


@pytest.mark.parametrize("adapter", [InMemoryErp, InMemoryFulfillment, InMemoryFinance])
def test_keep_payloads_must_be_a_bool(adapter: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        adapter(keep_payloads="no")
    assert caught.value.field == "keep_payloads"
    assert caught.value.value == "no"


class TestSqliteErp(ErpAdapterContract):
    """The sqlite3 example adapter keeps the ERP contract, on a real database file."""

    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: Path) -> None:
        self.path = tmp_path / "erp.sqlite3"

    def make_adapter(self) -> Any:
        return sqlite_erp.SqliteErp(self.path)

    def documents_for(self, adapter: Any, key: str) -> int:
        with closing(sqlite3.connect(self.path)) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM documents WHERE idempotency_key = ?", (key,)
            ).fetchone()
        return int(count)


class _DuplicatingErp(InMemoryErp):
    """A broken ERP: every call books a new document, whatever the key."""

    def _do(self, action: str, payload: Any, key: str) -> Any:
        self.documents[f"{key}#{len(self.documents)}"] = (action, payload)
        return Succeeded(f"erp-{len(self.documents)}")


class _DuplicatingErpContract(ErpAdapterContract):
    def make_adapter(self) -> _DuplicatingErp:
        return _DuplicatingErp()


@pytest.mark.parametrize(
    "check",
    [
        "test_same_key_twice_answers_the_same_reference",
        "test_retry_after_a_lost_answer_does_not_duplicate",
    ],
)
def test_the_erp_contract_catches_an_adapter_that_duplicates(check: str) -> None:
    """An adapter that ignores the idempotency key fails the idempotency checks."""
    suite = _DuplicatingErpContract()
    adapter = suite.make_adapter()
    args = {"as_failed": False} if "lost" in check else {}
    with pytest.raises(AssertionError):
        getattr(suite, check)(adapter, **args)


def test_the_erp_contract_catches_an_adapter_that_answers_no_outcome() -> None:
    """An adapter that answers something other than an Outcome fails the outcome check."""

    class Sloppy(InMemoryErp):
        def submit_order(self, payload: Any, key: str) -> Any:
            return {"ok": True}

    class Contract(ErpAdapterContract):
        def make_adapter(self) -> Sloppy:
            return Sloppy()

    suite = Contract()
    with pytest.raises(AssertionError, match="submit_order"):
        suite.test_every_method_answers_an_outcome(suite.make_adapter())
