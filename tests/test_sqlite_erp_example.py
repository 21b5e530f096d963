"""examples/sqlite_erp.py: a sqlite3-backed ERP adapter, exactly-once across a crash."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "sqlite_erp.py"


def test_sqlite_erp_example_books_each_sales_order_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The retry after a crash between commit and answer creates no second sales order,
    and a stove taken off a sent order is booked as the cancellation of that one unit."""
    main = runpy.run_path(str(EXAMPLE))["main"]

    documents = main()

    out = capsys.readouterr().out
    assert documents["submit_order"] == 3
    assert documents["post_invoice"] == 3
    assert documents["post_payment"] == 3
    assert documents["upsert_customer"] == 2
    assert documents["cancel_order"] == 1
    assert "sales orders the hub still has pending: 3" in out
    assert "sales orders in the database: 3 for 3 orders" in out
    assert "cancellation booked for order-2: line 1 x1 (one stove is enough)" in out


def test_sqlite_erp_example_leaves_no_files_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's database lives in a temporary directory that is removed at the end."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    main = runpy.run_path(str(EXAMPLE))["main"]

    main()

    assert list(tmp_path.iterdir()) == []
