"""Onboarding example: a shop database dump of three tables (customers, orders, payments).

`shop_dump` writes one dump under `<out>/shop_customers|shop_orders|shop_payments/<date>/` in
the shapes the `shop_*_example.yml` contracts map:

    customers.csv  customer_id,email,first_name,last_name,zip_code,city,country,created_at,updated_at
    orders.csv     order_id,customer_id,order_status,purchased_at,delivered_at
    payments.csv   order_id,payment_sequential,payment_type,payment_installments,payment_value

with a dump's idioms: orders carry no amount (it is the sum of their payments, some split
over a voucher and a card), statuses include canceled, unavailable and returned, a few guest
orders have no customer, some customers never ordered, emails in mixed case, and a few
half-written rows (an order without a purchase time, a payment without a value).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from datagen.vocab import FIRST_NAMES, GB_PLACES, LAST_NAMES, ascii_slug

STATUSES = ("delivered", "shipped", "canceled", "unavailable", "returned")
STATUS_P = (0.9, 0.04, 0.03, 0.01, 0.02)
PAYMENT_TYPES = ("credit_card", "debit_card", "voucher", "paypal")


@dataclass
class ShopReport:
    customers: int = 0
    orders: int = 0
    payments: int = 0
    guest_orders: int = 0
    half_written: int = 0

    def summary(self) -> str:
        return (
            f"{self.customers:,} customers, {self.orders:,} orders ({self.guest_orders:,} guest), "
            f"{self.payments:,} payments, {self.half_written:,} half-written rows"
        )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def shop_dump(
    out: Path, customers: int = 3000, start: date = date(2023, 3, 1), days: int = 365, seed: int = 42
) -> ShopReport:
    """Write the three tables of a dump taken on `start + days`; see the module doc."""
    rng = np.random.default_rng(seed)
    dump_day = start + timedelta(days)
    origin = datetime.combine(start, datetime.min.time())
    report = ShopReport(customers=customers)
    customer_rows, order_rows, payment_rows = [], [], []
    rate = rng.gamma(0.8, 2.5, customers)  # orders a year: heavy-tailed
    for index in range(customers):
        first, last = (
            FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))],
            LAST_NAMES[int(rng.integers(len(LAST_NAMES)))],
        )
        area, town = GB_PLACES[int(rng.integers(len(GB_PLACES)))]
        created = origin + timedelta(minutes=int(rng.integers(0, days * 24 * 60)))
        updated = created + timedelta(days=int(rng.integers(0, max((dump_day - created.date()).days, 1))))
        customer_id = f"c-{index + 1:05d}"
        email = f"{ascii_slug(first)}.{ascii_slug(last)}{index}@shop.example"
        email = email.title() if rng.random() < 0.1 else email
        postcode = f"{area}{int(rng.integers(1, 20))} {int(rng.integers(1, 9))}{'ABDEFGHJ'[int(rng.integers(8))]}{'LNPQRSTU'[int(rng.integers(8))]}"
        customer_rows.append(
            [customer_id, email, first, last, postcode, town, "GB", _stamp(created), _stamp(updated)]
        )
        span = (dump_day - created.date()).days
        for _ in range(int(rng.poisson(rate[index] * span / 365))):
            order_rows.append(
                [customer_id, created + timedelta(minutes=int(rng.integers(0, span * 24 * 60)))]
            )
    for _ in range(max(1, len(order_rows) // 30)):  # guest checkouts
        order_rows.append(["", origin + timedelta(minutes=int(rng.integers(0, days * 24 * 60)))])
        report.guest_orders += 1
    order_rows.sort(key=lambda row: row[1])
    orders = []
    for number, (customer_id, purchased) in enumerate(order_rows, start=1):
        order_id = f"o-{number:06d}"
        status = str(rng.choice(STATUSES, p=STATUS_P))
        arrival = purchased + timedelta(days=int(rng.integers(2, 9)))
        if status in ("delivered", "returned") and arrival.date() >= dump_day:
            status = "shipped"  # not arrived by the dump: nothing is delivered in the future
        delivered = _stamp(arrival) if status in ("delivered", "returned") else ""
        when = _stamp(purchased)
        if rng.random() < 0.002:
            when, report.half_written = "", report.half_written + 1
        orders.append([order_id, customer_id, status, when, delivered])
        total = float(np.round(np.exp(rng.normal(np.log(45), 0.7)), 2))
        parts = (
            [total]
            if rng.random() < 0.9
            else [round(total * 0.3, 2), round(total - round(total * 0.3, 2), 2)]
        )
        for sequential, value in enumerate(parts, start=1):
            kind = (
                "voucher"
                if sequential == 1 and len(parts) > 1
                else str(rng.choice(PAYMENT_TYPES, p=(0.6, 0.2, 0.05, 0.15)))
            )
            shown = f"{value:.2f}"
            if rng.random() < 0.002:
                shown, report.half_written = "", report.half_written + 1
            payment_rows.append(
                [
                    order_id,
                    str(sequential),
                    kind,
                    str(int(rng.integers(1, 6)) if kind == "credit_card" else 1),
                    shown,
                ]
            )
    folder = dump_day.isoformat()
    _write(out / "shop_customers" / folder / "customers.csv",
           ["customer_id", "email", "first_name", "last_name", "zip_code", "city", "country", "created_at", "updated_at"],
           customer_rows)  # fmt: skip
    _write(out / "shop_orders" / folder / "orders.csv",
           ["order_id", "customer_id", "order_status", "purchased_at", "delivered_at"], orders)  # fmt: skip
    _write(out / "shop_payments" / folder / "payments.csv",
           ["order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"],
           payment_rows)  # fmt: skip
    report.orders, report.payments = len(orders), len(payment_rows)
    return report
