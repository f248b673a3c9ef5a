"""A deployment with only its own exports: the shipped example contracts, unchanged, reach RFM.

Each example's sample files land under `<landing>/<source>/<date>/`, `CDP_SOURCES` names only
that example's sources, and the nightly pipeline runs in process (the task bodies the DAG
calls: ingestion, erasure sweep, silver gate, dbt build, marts gate, segmentation, summary).
RFM is then recomputed from the sample CSVs in plain Python, by the documented rule (README,
"RFM"; dbt: intermediate.int_orders_aggregated_to_customers), and compared with
`marts.customer_rfm` for every customer, found through `restricted.pii.customer_identifiers`.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from customer_platform.config import reload_settings

pytestmark = [pytest.mark.spark, pytest.mark.dbt]

EXAMPLES = Path(__file__).resolve().parents[2] / "spark_jobs" / "examples"
WINDOW_DAYS = 365


@dataclass(frozen=True)
class Order:
    customer_id: str | None
    day: date
    cancelled: bool
    merchandise_net: float  # merchandise lines net of cancellations and returns
    revenue: float  # every line (postage and fees included), net


def expected_rfm(orders: list[Order], logical_date: date) -> dict[str, tuple[int, int, float]]:
    """(recency_days, frequency, monetary) per customer id, by the documented rule.

    Window: (logical_date - 365 days, logical_date]. A purchase is an order that is not
    cancelled and whose merchandise lines net to more than zero; frequency counts purchases,
    recency is the days from the logical date to the last purchase day (window + 1 without
    one), monetary the merchandise net of every order in the window, floored at zero.
    """
    per_customer: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        if order.customer_id is not None:
            per_customer[order.customer_id].append(order)
    rfm = {}
    for customer, mine in per_customer.items():
        in_window = [o for o in mine if 0 <= (logical_date - o.day).days < WINDOW_DAYS]
        purchases = [o for o in in_window if not o.cancelled and o.merchandise_net > 0]
        recency = (logical_date - max(o.day for o in purchases)).days if purchases else WINDOW_DAYS + 1
        monetary = max(sum(o.merchandise_net for o in in_window), 0.0)
        rfm[customer] = (recency, len(purchases), round(monetary, 2))
    return rfm


def warehouse_rfm(settings) -> dict[str, tuple[int, int, float]]:
    """marts.customer_rfm per source customer id, through restricted.pii.customer_identifiers."""
    from customer_platform.restricted import attach_restricted
    from customer_platform.warehouse import release_dbt_connections

    release_dbt_connections()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        attach_restricted(con, read_only=True, settings=settings)
        rows = con.execute(
            """
            select ids.identifier_value, rfm.unified_customer_id, rfm.recency_days, rfm.frequency, rfm.monetary
            from restricted.pii.customer_identifiers as ids
            inner join marts.customer_rfm as rfm using (unified_customer_id)
            where ids.identifier_type = 'customer_id'
            """
        ).fetchall()
    finally:
        con.close()
    found: dict[str, set[tuple[str, int, int, float]]] = defaultdict(set)
    for customer_id, unified, *values in rows:  # one row per source carrying the id
        found[customer_id].add((unified, int(values[0]), int(values[1]), round(float(values[2]), 2)))
    assert all(len(v) == 1 for v in found.values()), f"a customer id maps to two unified customers: {found}"
    return {customer_id: values.pop()[1:] for customer_id, values in found.items()}


def query(settings, sql: str) -> list[tuple]:
    from customer_platform.warehouse import release_dbt_connections

    release_dbt_connections()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run_deployment(
    monkeypatch, data_dir: Path, sources: str, start: str, drops: dict[str, dict[str, Path]], ds: str
):
    """Land `drops` ({date: {source: file}}), then the history load and the nightly run for `ds`."""
    from cdp.backfill import run_nightly_in_process
    from cdp.commands import initial_load

    monkeypatch.setenv("CDP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CDP_SOURCES", sources)
    monkeypatch.setenv("CDP_START_DATE", start)
    for name in (
        "CDP_LANDING_DIR",
        "CDP_LAKEHOUSE_DIR",
        "CDP_WAREHOUSE_PATH",
        "MLFLOW_TRACKING_URI",
        "AIRFLOW_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = reload_settings()
    for day, files in drops.items():
        for source, path in files.items():
            folder = settings.landing_dir / source / day
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / path.name)
    assert initial_load(ds, stop_spark=False) == 0
    results = run_nightly_in_process(ds)
    return settings, results


# The invoice-line export ---------------------------------------------------------------------

# A second day of the same export: a return (negative quantity, no 'C' prefix), a repeat buyer,
# a customer id written as a float by a spreadsheet, and a guest.
INVOICE_DAY_2 = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536500,71053,WHITE METAL LANTERN,-2,12/2/2010 10:00,3.39,17850,United Kingdom
536501,22633,HAND WARMER UNION JACK,12,12/2/2010 11:00,1.85,13047.0,United Kingdom
536501,POST,POSTAGE,1,12/2/2010 11:00,5.00,13047.0,United Kingdom
536502,22960,JAM MAKING SET WITH JARS,1,12/2/2010 12:00,4.25,,United Kingdom
"""
NOT_MERCHANDISE = {"POST", "D"}  # the sample's postage and discount codes (the contract's rule)


def invoice_orders(paths: list[Path]) -> list[Order]:
    """Orders of the invoice-line CSVs, straight from the files: exact duplicate lines collapse."""
    seen: set[tuple[str, ...]] = set()
    lines: dict[str, list[dict]] = defaultdict(list)
    for path in paths:
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                key = tuple(row.values())
                if key in seen:
                    continue
                seen.add(key)
                lines[row["InvoiceNo"]].append(row)
    orders = []
    for invoice, rows in lines.items():
        customer = rows[0]["CustomerID"].removesuffix(".0") or None
        cancelled = invoice.startswith("C")
        merchandise = revenue = 0.0
        for row in rows:
            quantity, price = int(row["Quantity"]), float(row["UnitPrice"])
            amount = quantity * price
            # A cancelled or returned line that is not negative did not stand; a negative one subtracts.
            net = 0.0 if (cancelled or quantity < 0) and amount >= 0 else amount
            revenue += net
            if row["StockCode"] not in NOT_MERCHANDISE and price > 0:
                merchandise += net
        day = datetime.strptime(rows[0]["InvoiceDate"], "%m/%d/%Y %H:%M").date()
        orders.append(Order(customer, day, cancelled, merchandise, revenue))
    return orders


@pytest.fixture(scope="module")
def invoice_deployment(tmp_path_factory, spark):
    day_2 = tmp_path_factory.mktemp("invoice-day-2") / "invoice_lines_2.csv"
    day_2.write_text(INVOICE_DAY_2)
    drops = {
        "2010-12-01": {"invoice_lines": EXAMPLES / "invoice_lines.csv"},
        "2010-12-02": {"invoice_lines": day_2},
    }
    with pytest.MonkeyPatch.context() as patch:
        settings, results = run_deployment(
            patch,
            tmp_path_factory.mktemp("invoice-deployment"),
            "invoice_lines",
            "2010-12-01",
            drops,
            "2010-12-02",
        )
        yield settings, results, [EXAMPLES / "invoice_lines.csv", day_2]
    reload_settings()


def test_invoice_lines_alone_reach_rfm_equal_to_plain_python(invoice_deployment):
    settings, _, files = invoice_deployment
    expected = expected_rfm(invoice_orders(files), date(2010, 12, 2))
    assert len(expected) == 8
    assert warehouse_rfm(settings) == expected


def test_guest_invoice_lines_are_revenue_of_no_customer(invoice_deployment):
    settings, _, files = invoice_deployment
    orders = invoice_orders(files)
    guests = sorted(round(o.revenue, 2) for o in orders if o.customer_id is None)
    rows = query(settings, "select net_amount, unified_customer_id from marts.fct_orders where is_guest")
    assert sorted(float(r[0]) for r in rows) == guests == [0.0, 4.25, 25.5]
    assert all(r[1] is None for r in rows)
    (revenue,) = query(settings, "select round(sum(net_amount), 2) from marts.fct_orders")[0]
    assert float(revenue) == round(sum(o.revenue for o in orders), 2)


def test_invoice_deployment_runs_only_its_source(invoice_deployment):
    settings, results, _ = invoice_deployment
    assert set(results["ingest"]) == {"invoice_lines"}
    sources = query(settings, "select distinct source from marts.customer_identity_map")
    assert sources == [("invoice_lines",)]
    assert not (settings.landing_dir / "crm_customers").exists()
    # No clickstream, email tool, categories or demographics: those features are null, not zero.
    [(rows, sessions, opens, score, shares, ages, recency)] = query(
        settings,
        "select count(*), count(sessions), count(email_open_rate), count(engagement_score), "
        "count(share_outlet), count(age_band_index), count(recency_days) from marts.customer_features",
    )
    assert rows == recency == 8 and (sessions, opens, score, shares, ages) == (0, 0, 0, 0, 0)


# A shop database dump: customers, orders and payments, three contracts --------------------

SHOP = EXAMPLES / "shop"
SHOP_SOURCES = {
    "shop_customers": "customers.csv",
    "shop_orders": "orders.csv",
    "shop_payments": "payments.csv",
}
CANCELLED, RETURNED = {"canceled", "cancelled", "unavailable"}, {"returned", "refunded"}


def shop_orders() -> list[Order]:
    """Orders of the dump, straight from the files; rows the contracts quarantine are left out."""
    paid: dict[str, float] = defaultdict(float)
    with (SHOP / "payments.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["payment_value"]:  # required: a payment without a value is quarantined
                paid[row["order_id"]] += float(row["payment_value"])
    orders = []
    with (SHOP / "orders.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                day = datetime.strptime(row["purchased_at"], "%Y-%m-%d %H:%M:%S").date()
            except ValueError:
                continue  # quarantined: not a timestamp
            cancelled, returned = row["order_status"] in CANCELLED, row["order_status"] in RETURNED
            amount = paid.get(row["order_id"], 0.0)
            net = 0.0 if (cancelled or returned) and amount >= 0 else amount
            orders.append(Order(row["customer_id"] or None, day, cancelled, net, net))
    return orders


@pytest.fixture(scope="module")
def shop_deployment(tmp_path_factory, spark):
    drops = {"2024-03-01": {source: SHOP / name for source, name in SHOP_SOURCES.items()}}
    with pytest.MonkeyPatch.context() as patch:
        settings, results = run_deployment(
            patch,
            tmp_path_factory.mktemp("shop-deployment"),
            ",".join(SHOP_SOURCES),
            "2024-03-01",
            drops,
            "2024-03-01",
        )
        yield settings, results
    reload_settings()


def test_shop_dump_reaches_rfm_equal_to_plain_python(shop_deployment):
    settings, results = shop_deployment
    expected = expected_rfm(shop_orders(), date(2024, 3, 1))
    assert expected == {
        "c-0001": (10, 2, 95.4),
        "c-0002": (81, 1, 120.0),
        "c-0003": (3, 1, 42.1),
        "c-0004": (1, 1, 12.0),
    }
    assert warehouse_rfm(settings) == expected
    quarantined = {s: m["rows_quarantined"] for s, m in results["ingest"].items()}
    assert quarantined == {"shop_customers": 0, "shop_orders": 1, "shop_payments": 1}


def test_shop_orders_take_their_amount_from_payments(shop_deployment):
    settings, _ = shop_deployment
    rows = dict(query(settings, "select order_id, net_amount from marts.fct_orders"))
    assert rows["online:o-0002"] == 35.5  # two payments
    assert rows["online:o-0004"] == 0.0  # cancelled
    guest = query(settings, "select net_amount, unified_customer_id from marts.fct_orders where is_guest")
    assert guest == [(35.0, None)]
    # c-0001's two deliveries collapse to one customer with the later profile.
    (customers,) = query(settings, "select count(*) from marts.dim_customers")[0]
    assert customers == 5
