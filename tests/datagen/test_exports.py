"""The invoice-line onboarding example: the export's shape and idioms, reproducible by seed."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from customer_platform.contract_parser import load_contract
from datagen.exports import INVOICE_HEADER, invoice_year

CONTRACT = Path(__file__).resolve().parents[2] / "spark_jobs" / "contracts" / "invoice_lines_example.yml"


def _lines(out: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((out / "invoice_lines").glob("*/invoice_lines.csv")):
        with path.open(newline="") as f:
            rows += [row | {"_day": path.parent.name} for row in csv.DictReader(f)]
    return rows


def test_a_small_year_has_the_exports_idioms(tmp_path):
    report = invoice_year(
        tmp_path, customers=300, start=date(2010, 12, 1), days=60, seed=3, target_lines=20_000
    )
    rows = _lines(tmp_path)
    assert len(rows) == report.lines > 15_000
    # The header is what the example contract maps.
    assert tuple(rows[0])[:-1] == INVOICE_HEADER
    assert {f.source or f.name for f in load_contract(CONTRACT).fields} == set(INVOICE_HEADER)
    guests = sum(1 for r in rows if not r["CustomerID"]) / len(rows)
    assert 0.18 <= guests <= 0.32
    cancelled = [r for r in rows if r["InvoiceNo"].startswith("C")]
    assert 0.005 <= len(cancelled) / len(rows) <= 0.04 and all(int(r["Quantity"]) < 0 for r in cancelled)
    assert any(r["UnitPrice"] == "0" for r in rows) and any(r["StockCode"] == "POST" for r in rows)
    keys = [tuple(r.values()) for r in rows]
    assert len(keys) - len(set(keys)) >= report.duplicate_lines > 0
    assert any(r["CustomerID"].endswith(".0") for r in rows), "some days went through a spreadsheet"
    assert all(date.fromisoformat(r["_day"]).weekday() != 5 for r in rows), "no trading on Saturdays"
    assert report.malformed_lines == sum(
        1 for r in rows if r["Quantity"] == "0" or r["InvoiceDate"] == "#VALUE!"
    )


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path):
    args = {"customers": 50, "start": date(2011, 1, 3), "days": 7, "target_lines": 2000}
    first, again, other = (tmp_path / n for n in ("a", "b", "c"))
    invoice_year(first, seed=1, **args)
    invoice_year(again, seed=1, **args)
    invoice_year(other, seed=2, **args)
    assert _lines(first) == _lines(again) != _lines(other)


def test_a_shop_dump_has_three_tables_in_the_shapes_the_shop_contracts_map(tmp_path):
    from datagen.shop import shop_dump

    report = shop_dump(tmp_path, customers=400, start=date(2023, 3, 1), days=200, seed=5)
    day = "2023-09-17"
    tables = {}
    for source in ("shop_customers", "shop_orders", "shop_payments"):
        [path] = (tmp_path / source / day).glob("*.csv")
        with path.open(newline="") as f:
            tables[source] = list(csv.DictReader(f))
        contract = load_contract(CONTRACT.with_name(f"{source}_example.yml"))
        assert set(tables[source][0]) == {f.source or f.name for f in contract.fields}
    customers, orders, payments = tables["shop_customers"], tables["shop_orders"], tables["shop_payments"]
    assert (len(customers), len(orders), len(payments)) == (400, report.orders, report.payments)
    assert report.guest_orders == sum(1 for o in orders if not o["customer_id"]) > 0
    assert {o["order_status"] for o in orders} >= {"delivered", "canceled", "returned"}
    paid = {p["order_id"] for p in payments}
    assert paid == {o["order_id"] for o in orders}, "every order has its payments"
    assert any(p["payment_sequential"] == "2" for p in payments), "some orders are split over two payments"
    assert all(o["delivered_at"] < day for o in orders if o["delivered_at"]), (
        "nothing is delivered after the dump"
    )
