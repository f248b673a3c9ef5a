"""Onboarding examples written by the project: exports in the shape a retailer's systems give.

`invoice_year` writes a year of a UK online retailer's invoice-line export, one file per
trading day under `<out>/invoice_lines/<YYYY-MM-DD>/`, in the shape that
`spark_jobs/contracts/invoice_lines_example.yml` maps:

    InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country

with the idioms of such exports: guest checkouts without a customer id (about a quarter of
lines), cancellation invoices prefixed 'C' (about 2 % of lines), postage, fees, manual
adjustments and bad-debt lines, zero-price lines, exact duplicate lines, customer ids
written as floats by a spreadsheet round-trip, no trading on Saturdays, and a few malformed
lines (a zero quantity, a date that is not one) that ingestion quarantines.

Volumes are drawn, not fixed: customers buy at heavy-tailed rates with their own basket
sizes, so other seeds and sizes give other mixes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

INVOICE_HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
#: Country of a customer: the shop ships mostly at home.
COUNTRIES = (
    ("United Kingdom", 0.89),
    ("Germany", 0.025),
    ("France", 0.022),
    ("EIRE", 0.015),
    ("Spain", 0.008),
    ("Netherlands", 0.008),
    ("Belgium", 0.008),
    ("Switzerland", 0.007),
    ("Portugal", 0.006),
    ("Australia", 0.005),
    ("Norway", 0.006),
)
_ADJECTIVES = (
    "WHITE RED PINK BLUE GREEN IVORY CREAM VINTAGE RETRO GLASS METAL WOODEN PAPER SET OF 3 "
    "SMALL LARGE JUMBO MINI HANGING HEART STAR FLORAL SPOTTY STRIPED CHRISTMAS REGENCY"
).split()
_NOUNS = (
    "LANTERN T-LIGHT HOLDER HAND WARMER BAG MUG TEACUP CAKESTAND BUNTING CANDLE CLOCK "
    "FRAME CUSHION COVER DOORMAT TIN BOX NOTEBOOK WRAP CARD ORNAMENT BOTTLE JAR PLATE TRAY"
).split()
#: Codes that are not merchandise, with their description and how prices are drawn.
POSTAGE, CARRIAGE, MANUAL, BANK_CHARGES, AMAZON_FEE, DISCOUNT = (
    "POST",
    "C2",
    "M",
    "BANK CHARGES",
    "AMAZONFEE",
    "D",
)
SERVICE_LINES = {
    POSTAGE: "POSTAGE",
    CARRIAGE: "CARRIAGE",
    MANUAL: "Manual",
    BANK_CHARGES: "Bank Charges",
    AMAZON_FEE: "AMAZON FEE",
    DISCOUNT: "Discount",
}


_QUANTITIES = (1, 2, 3, 4, 6, 8, 12, 24, 48)
_QUANTITY_P = (0.12, 0.18, 0.08, 0.1, 0.17, 0.05, 0.2, 0.07, 0.03)


@dataclass
class InvoiceReport:
    """What was written: lines and invoices per kind, files per day."""

    lines: int = 0
    invoices: int = 0
    guest_lines: int = 0
    cancelled_lines: int = 0
    zero_price_lines: int = 0
    service_lines: int = 0
    duplicate_lines: int = 0
    malformed_lines: int = 0
    customers: int = 0
    days: list[str] = field(default_factory=list)

    def summary(self) -> str:
        share = self.guest_lines / max(self.lines, 1)
        return (
            f"{self.lines:,} invoice lines in {self.invoices:,} invoices over {len(self.days)} trading days, "
            f"{self.customers:,} customers; guest {share:.1%}, cancelled {self.cancelled_lines:,}, "
            f"zero price {self.zero_price_lines:,}, postage/fees {self.service_lines:,}, "
            f"exact duplicates {self.duplicate_lines:,}, malformed {self.malformed_lines:,}"
        )


def _catalog(rng: np.random.Generator, size: int) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Stock codes, descriptions, unit prices (GBP) and popularity weights of `size` products."""
    codes: set[str] = set()
    while len(codes) < size:
        number = int(rng.integers(10000, 90000))
        suffix = "" if rng.random() < 0.8 else "ABCDEFGHLMNPSW"[int(rng.integers(0, 14))]
        codes.add(f"{number}{suffix}")
    ordered = sorted(codes)
    descriptions = [
        " ".join(
            [*rng.choice(_ADJECTIVES, size=int(rng.integers(1, 3)), replace=False), str(rng.choice(_NOUNS))]
        )
        for _ in ordered
    ]
    prices = np.round(np.exp(rng.normal(np.log(2.1), 0.75, size)), 2).clip(0.1, 80)
    popularity = rng.pareto(1.2, size) + 0.05
    return ordered, descriptions, prices, popularity / popularity.sum()


def invoice_year(
    out: Path,
    customers: int = 4000,
    start: date = date(2010, 12, 1),
    days: int = 374,
    seed: int = 42,
    target_lines: int = 500_000,
) -> InvoiceReport:
    """Write the invoice-line export's daily drops under `out/invoice_lines/`; see the module doc."""
    rng = np.random.default_rng(seed)
    codes, descriptions, prices, popularity = _catalog(rng, 3600)
    names, weights = zip(*COUNTRIES, strict=True)
    country = rng.choice(names, size=customers, p=np.array(weights) / sum(weights))
    ids = 12346 + np.sort(rng.choice(6000, size=customers, replace=False))
    rate = rng.gamma(
        0.6, 1.0, customers
    )  # heavy-tailed purchase rates: many one-off buyers, a few wholesalers
    basket = rng.gamma(2.0, 11.0, customers) + 1  # mean lines per invoice of each customer
    trading = [start + timedelta(d) for d in range(days) if (start + timedelta(d)).weekday() != 5]
    # A quarter of lines are guests: guest invoices are as long as an average customer's.
    member_lines = target_lines * 0.75
    mean_basket = float(np.average(basket, weights=rate))
    invoices_per_customer = rate / rate.sum() * member_lines / mean_basket
    report = InvoiceReport(customers=customers)
    next_invoice = 536365
    history: dict[int, list[tuple]] = {}  # customer index -> recent lines (for cancellations)
    season = 1 + 0.6 * np.clip((np.arange(len(trading)) - len(trading) * 0.72) / (len(trading) * 0.25), 0, 1)
    daily_member = invoices_per_customer / len(trading)
    guest_invoices_per_day = target_lines * 0.25 / mean_basket / len(trading)
    for index, day in enumerate(trading):
        rows: list[list[str]] = []
        spreadsheet = rng.random() < 0.1  # this day's export went through a spreadsheet: ids as floats
        buyers = np.flatnonzero(rng.random(customers) < daily_member * season[index])
        guests = int(rng.poisson(guest_invoices_per_day * season[index]))
        slots = [(int(c), False) for c in buyers] + [(-1, True) for _ in range(guests)]
        rng.shuffle(slots)
        for customer, guest in slots:
            invoice = str(next_invoice)
            next_invoice += 1
            when = datetime.combine(day, datetime.min.time()) + timedelta(
                minutes=int(rng.integers(8 * 60, 20 * 60))
            )
            stamp = f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}"
            who = "" if guest else (f"{ids[customer]}.0" if spreadsheet else str(ids[customer]))
            where = "United Kingdom" if guest else str(country[customer])
            n_lines = max(1, int(rng.poisson(basket[customer] if not guest else mean_basket)))
            picks = rng.choice(len(codes), size=n_lines, p=popularity)
            quantities = rng.choice(_QUANTITIES, size=n_lines, p=_QUANTITY_P)
            free = rng.random(n_lines) < 0.004  # a free line: a sample, or a price the till forgot
            lines = []
            for p, quantity, is_free in zip(picks, quantities, free, strict=True):
                price, description = (0.0, "") if is_free else (float(prices[p]), descriptions[p])
                report.zero_price_lines += int(is_free)
                lines.append([invoice, codes[p], description, str(quantity), stamp, f"{price:g}", who, where])
            if where != "United Kingdom" and rng.random() < 0.7:
                lines.append([invoice, POSTAGE, SERVICE_LINES[POSTAGE], "1", stamp, "18", who, where])
                report.service_lines += 1
            elif rng.random() < 0.01:
                code = str(rng.choice((CARRIAGE, MANUAL, BANK_CHARGES, AMAZON_FEE)))
                lines.append(
                    [invoice, code, SERVICE_LINES[code], "1", stamp, f"{rng.uniform(1, 40):.2f}", who, where]
                )
                report.service_lines += 1
            if rng.random() < 0.15:  # the till sent a line twice
                lines.append(list(lines[int(rng.integers(0, len(lines)))]))
                report.duplicate_lines += 1
            rows += lines
            report.invoices += 1
            report.guest_lines += len(lines) if guest else 0
            # Cancellations: a 'C' invoice takes back some of a customer's earlier lines.
            if not guest and customer in history and rng.random() < 0.3:
                taken = history[customer][: max(1, int(rng.integers(1, 4)))]
                cancel = f"C{next_invoice}"
                next_invoice += 1
                for line in taken:
                    if line[1] in SERVICE_LINES:
                        continue
                    rows.append([cancel, line[1], line[2], f"-{line[3]}", stamp, line[5], who, where])
                    report.cancelled_lines += 1
                if rng.random() < 0.1:
                    rows.append(
                        [
                            cancel,
                            DISCOUNT,
                            SERVICE_LINES[DISCOUNT],
                            "-1",
                            stamp,
                            f"{rng.uniform(5, 60):.2f}",
                            who,
                            where,
                        ]
                    )
                    report.cancelled_lines += 1
                    report.service_lines += 1
            if not guest:
                history[customer] = lines[-20:]
        # A few malformed lines: a zero quantity, a date the export mangled.
        for _ in range(int(rng.poisson(len(rows) * 0.0005))):
            bad = list(rows[int(rng.integers(0, len(rows)))]) if rows else None
            if bad is None:
                break
            if rng.random() < 0.5:
                bad[3] = "0"
            else:
                bad[4] = "#VALUE!"
            rows.append(bad)
            report.malformed_lines += 1
        if not rows:
            continue
        folder = out / "invoice_lines" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "invoice_lines.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(INVOICE_HEADER)
            writer.writerows(rows)
        report.lines += len(rows)
        report.days.append(day.isoformat())
    return report
