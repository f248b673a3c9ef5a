"""A small silver lakehouse with planted identities, written the way spark_jobs writes it.

Columns and types follow the silver tables of docs/contracts.md, partitioned by
`ingest_date` with the lineage columns. Every record that belongs to a person is listed in
`SilverFixture.truth` as (source, source_record_id) -> person_id, like the generator's
`_truth/identities.csv`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

LOGICAL_DATE = date(2026, 6, 30)
FIRST_DROP = date(2026, 6, 1)
SECOND_DROP = date(2026, 6, 15)
LATE_DROP = date(2026, 7, 2)  # after the logical date: dbt must ignore it
FAMILY_SIZE = 30  # CRM records sharing one mailbox and one phone: above the over-merge guard
FAMILY_EMAIL = "family@shared.example"
FAMILY_PHONE = "+447700900999"
SALT = "test-salt"
CATEGORIES = ("apparel", "footwear", "beauty", "home", "electronics", "outlet")

#: Silver columns per table (docs/contracts.md), without the lineage columns.
SILVER_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "crm_customers": [
        ("customer_id", "varchar"),
        ("first_name", "varchar"),
        ("last_name", "varchar"),
        ("email", "varchar"),
        ("email_hash", "varchar"),
        ("email_sha256", "varchar"),
        ("phone", "varchar"),
        ("phone_hash", "varchar"),
        ("birth_date", "date"),
        ("postcode", "varchar"),
        ("city", "varchar"),
        ("country_code", "varchar"),
        ("loyalty_id", "varchar"),
        ("has_marketing_consent", "boolean"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
    ],
    "web_order_lines": [
        ("order_id", "varchar"),
        ("line_number", "integer"),
        ("customer_id", "varchar"),
        ("ordered_at", "timestamp"),
        ("order_status", "varchar"),
        ("is_cancelled", "boolean"),
        ("is_returned", "boolean"),
        ("sku", "varchar"),
        ("category", "varchar"),
        ("quantity", "integer"),
        ("unit_price", "double"),
        ("currency", "varchar"),
        ("line_amount", "double"),
    ],
    "pos_order_lines": [
        ("transaction_id", "varchar"),
        ("line_number", "integer"),
        ("store_id", "varchar"),
        ("loyalty_id", "varchar"),
        ("email", "varchar"),
        ("email_hash", "varchar"),
        ("email_sha256", "varchar"),
        ("transacted_at", "timestamp"),
        ("sku", "varchar"),
        ("category", "varchar"),
        ("quantity", "integer"),
        ("unit_price", "double"),
        ("currency", "varchar"),
        ("line_amount", "double"),
        ("is_return", "boolean"),
    ],
    "web_events": [
        ("event_id", "varchar"),
        ("occurred_at", "timestamp"),
        ("cookie_id", "varchar"),
        ("user_id", "varchar"),
        ("session_id", "varchar"),
        ("event_type", "varchar"),
        ("sku", "varchar"),
    ],
    "email_events": [
        ("event_id", "varchar"),
        ("subscriber_id", "varchar"),
        ("email", "varchar"),
        ("email_hash", "varchar"),
        ("email_sha256", "varchar"),
        ("campaign_id", "varchar"),
        ("event_type", "varchar"),
        ("occurred_at", "timestamp"),
    ],
    "demographics": [
        ("email_sha256", "varchar"),
        ("age_band", "varchar"),
        ("income_band", "varchar"),
        ("household_size", "integer"),
        ("has_children", "boolean"),
        ("region_type", "varchar"),
    ],
    # No rows planted: written as a schema-only partition, as ingestion writes an empty day.
    "campaign_members": [
        ("campaign_id", "varchar"),
        ("campaign_name", "varchar"),
        ("channel", "varchar"),
        ("subscriber_id", "varchar"),
        ("customer_id", "varchar"),
        ("email", "varchar"),
        ("email_hash", "varchar"),
        ("email_sha256", "varchar"),
        ("group", "varchar"),
        ("assigned_at", "timestamp"),
    ],
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def salted(text: str | None) -> str | None:
    return None if text is None else sha256(SALT + text)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


@dataclass
class SilverFixture:
    """Rows per silver table (each with its ingest date) and the planted truth."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in SILVER_COLUMNS})
    truth: dict[tuple[str, str], str] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)

    def _next(self, prefix: str) -> int:
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return self._counters[prefix]

    def _add(self, table: str, ingest: date, **values) -> None:
        self.rows[table].append({**values, "ingest_date": ingest})

    def crm(
        self,
        person,
        customer_id,
        email,
        phone=None,
        loyalty_id=None,
        first_name="Ann",
        city="London",
        updated=date(2026, 1, 1),
        created=date(2025, 1, 1),
        ingest=FIRST_DROP,
        consent=True,
        birth_date=date(1985, 5, 17),
    ):
        self._add(
            "crm_customers",
            ingest,
            customer_id=customer_id,
            first_name=first_name,
            last_name="Smith",
            email=email,
            email_hash=salted(email),
            email_sha256=email and sha256(email),
            phone=phone,
            phone_hash=salted(phone),
            birth_date=birth_date,
            postcode="SW1A 1AA",
            city=city,
            country_code="GB",
            loyalty_id=loyalty_id,
            has_marketing_consent=consent,
            created_at=at(created),
            updated_at=at(updated),
        )
        if person:
            self.truth[("crm_customers", customer_id)] = person

    def web_order(
        self,
        person,
        customer_id,
        ordered: date,
        status="completed",
        lines=((1, 20.0, "apparel"),),
        ingest=None,
        order_id=None,
    ):
        order_id = order_id or f"W{self._next('W'):08d}"
        for number, (quantity, price, category) in enumerate(lines, start=1):
            self._add(
                "web_order_lines",
                ingest or max(ordered, FIRST_DROP),
                order_id=order_id,
                line_number=number,
                customer_id=customer_id,
                ordered_at=at(ordered, 10),
                order_status=status,
                is_cancelled=status == "cancelled",
                is_returned=status == "returned",
                sku=f"SKU-{category}",
                category=category,
                quantity=quantity,
                unit_price=price,
                currency="GBP",
                line_amount=quantity * price,
            )
        if person:
            self.truth[("web_orders", order_id)] = person
        return order_id

    def pos_order(
        self, person, transacted: date, email=None, loyalty_id=None, lines=((1, 30.0, "beauty"),), ingest=None
    ):
        transaction_id = f"P{self._next('P'):08d}"
        for number, (quantity, price, category) in enumerate(lines, start=1):
            self._add(
                "pos_order_lines",
                ingest or max(transacted, FIRST_DROP),
                transaction_id=transaction_id,
                line_number=number,
                store_id="S01",
                loyalty_id=loyalty_id,
                email=email,
                email_hash=salted(email),
                email_sha256=email and sha256(email),
                transacted_at=at(transacted, 15),
                sku=f"SKU-{category}",
                category=category,
                quantity=quantity,
                unit_price=price,
                currency="GBP",
                line_amount=quantity * price,
                is_return=quantity < 0,
            )
        if person:
            self.truth[("pos_orders", transaction_id)] = person
        return transaction_id

    def web_events(
        self, person, cookie_id, day: date, kinds=("page_view", "product_view"), user_id=None, session=None
    ):
        session = session or f"{cookie_id}-{day.isoformat()}"
        for kind in kinds:
            self._add(
                "web_events",
                max(day, FIRST_DROP),
                event_id=f"E{self._next('E'):08d}",
                occurred_at=at(day, 9),
                cookie_id=cookie_id,
                user_id=user_id,
                session_id=session,
                event_type=kind,
                sku=None if kind == "page_view" else "SKU-apparel",
            )
        if person:
            self.truth[("web_events", cookie_id)] = person

    def email_events(self, person, subscriber_id, email, day: date, kinds=("sent",), campaign="CMP1"):
        for kind in kinds:
            self._add(
                "email_events",
                max(day, FIRST_DROP),
                event_id=f"M{self._next('M'):08d}",
                subscriber_id=subscriber_id,
                email=email,
                email_hash=salted(email),
                email_sha256=sha256(email),
                campaign_id=campaign,
                event_type=kind,
                occurred_at=at(day, 8),
            )
        if person:
            self.truth[("email_engagement", subscriber_id)] = person

    def demographics(
        self,
        email,
        age_band="35-44",
        income_band="high",
        household_size=3,
        has_children=True,
        region_type="urban",
    ):
        self._add(
            "demographics",
            FIRST_DROP,
            email_sha256=sha256(email),
            age_band=age_band,
            income_band=income_band,
            household_size=household_size,
            has_children=has_children,
            region_type=region_type,
        )

    # Writing ----------------------------------------------------------------------
    def write(self, lakehouse_dir: Path) -> None:
        """Write every table as hive-partitioned Parquet under <lakehouse_dir>/silver."""
        con = duckdb.connect()
        try:
            for table, columns in SILVER_COLUMNS.items():
                frame = pd.DataFrame(self.rows[table], columns=[c for c, _ in columns] + ["ingest_date"])
                frame = frame.astype(object).where(frame.notna(), None)
                con.register("frame", frame)
                casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in columns)
                target = lakehouse_dir / "silver" / table
                target.mkdir(parents=True, exist_ok=True)
                rows = f"""select {casts},
                            '{table}-' || strftime(ingest_date, '%Y-%m-%d') || '.csv' as _source_file,
                            cast(ingest_date as date) as _ingest_date,
                            'test-run' as _run_id,
                            cast(ingest_date as timestamp) + interval 2 hour as _ingested_at"""
                if self.rows[table]:
                    con.execute(
                        f"""copy ({rows}, cast(ingest_date as date) as ingest_date from frame)
                        to '{target}' (format parquet, partition_by (ingest_date), overwrite_or_ignore)"""
                    )
                else:  # a table without rows still has its schema, as readers expect
                    empty = target / f"ingest_date={FIRST_DROP}"
                    empty.mkdir(parents=True, exist_ok=True)
                    con.execute(f"copy ({rows} from frame) to '{empty / 'part-0.parquet'}' (format parquet)")
                con.unregister("frame")
        finally:
            con.close()


def build_fixture() -> SilverFixture:
    """The planted scenario every dbt test reads (deterministic)."""
    fx = SilverFixture()
    d = LOGICAL_DATE

    # Alice: one CRM contact, web and POS orders, a logged-in cookie, an email subscriber.
    fx.crm(
        "alice",
        "C0000001",
        "alice@example.com",
        "+447700900001",
        "L00000001",
        "Alice",
        created=date(2024, 3, 1),
    )
    fx.web_order(
        "alice", "C0000001", d - timedelta(days=20), lines=((2, 25.0, "apparel"), (1, 50.0, "footwear"))
    )
    # Delivered as completed, then as returned in a later drop: the later version wins.
    returned = fx.web_order("alice", "C0000001", d - timedelta(days=60), ingest=FIRST_DROP)
    fx.web_order(
        "alice", "C0000001", d - timedelta(days=60), status="returned", ingest=SECOND_DROP, order_id=returned
    )
    fx.web_order(
        "alice", "C0000001", d - timedelta(days=5), status="cancelled", lines=((1, 99.0, "electronics"),)
    )
    fx.pos_order(
        "alice",
        d - timedelta(days=10),
        email="alice@example.com",
        lines=((1, 40.0, "beauty"), (1, 10.0, "outlet")),
    )
    fx.web_events("alice", "K-ALICE", d - timedelta(days=3), kinds=("page_view",))
    fx.web_events(
        "alice",
        "K-ALICE",
        d - timedelta(days=2),
        kinds=("page_view", "product_view", "add_to_cart"),
        user_id="C0000001",
    )
    fx.email_events(
        "alice", "S0000001", "alice@example.com", d - timedelta(days=7), kinds=("sent", "open", "click")
    )
    fx.email_events(
        "alice", "S0000001", "alice@example.com", d - timedelta(days=14), kinds=("sent",), campaign="CMP2"
    )
    fx.demographics("alice@example.com")
    # A shared computer: logged in as Alice three times, as Bob once -> belongs to Alice.
    for offset in (30, 31, 32):
        fx.web_events(
            "alice", "K-SHARED", d - timedelta(days=offset), kinds=("page_view",), user_id="C0000001"
        )
    fx.web_events(None, "K-SHARED", d - timedelta(days=33), kinds=("page_view",), user_id="C0000002")

    # Bob: CRM contact changed between drops (new email); POS by loyalty card only, one return.
    fx.crm(
        "bob",
        "C0000002",
        "bob@old.example",
        None,
        "L00000002",
        "Bob",
        city="Leeds",
        updated=date(2026, 1, 5),
        created=date(2025, 6, 1),
    )
    fx.crm(
        "bob",
        "C0000002",
        "bob@new.example",
        "+447700900002",
        "L00000002",
        "Bob",
        city=None,
        updated=date(2026, 6, 10),
        created=date(2025, 6, 1),
        ingest=SECOND_DROP,
    )
    fx.pos_order("bob", d - timedelta(days=40), loyalty_id="L00000002", lines=((3, 20.0, "home"),))
    fx.pos_order("bob", d - timedelta(days=35), loyalty_id="L00000002", lines=((-1, 20.0, "home"),))
    fx.email_events("bob", "S0000002", "bob@new.example", d - timedelta(days=20), kinds=("sent", "open"))
    # After the logical date: ignored by a run for LOGICAL_DATE.
    fx.crm(
        None,
        "C0000002",
        "bob@late.example",
        None,
        "L00000002",
        "Robert",
        updated=date(2026, 7, 1),
        ingest=LATE_DROP,
    )
    fx.web_order(None, "C0000002", date(2026, 7, 1), ingest=LATE_DROP)

    # Carol: no CRM contact; a POS receipt by email and an email subscriber share her address.
    fx.pos_order(
        "carol", d - timedelta(days=100), email="carol@example.org", lines=((1, 80.0, "electronics"),)
    )
    fx.email_events("carol", "S0000003", "carol@example.org", d - timedelta(days=50))

    # Dave: two CRM contacts for one person (same email); survivorship across them.
    fx.crm(
        "dave",
        "C0000003",
        "dave@example.com",
        "+447700900003",
        None,
        "Dave",
        city="York",
        updated=date(2026, 3, 1),
        created=date(2023, 2, 1),
    )
    fx.crm(
        "dave",
        "C0000004",
        "dave@example.com",
        None,
        None,
        "David",
        city=None,
        updated=date(2026, 5, 1),
        created=date(2025, 2, 1),
        consent=False,
    )
    fx.web_order("dave", "C0000004", d - timedelta(days=200), lines=((1, 120.0, "home"),))

    # Erin subscribed to the newsletter with a second address (no shared key): Splink links it
    # through the email's local part. A near-miss address (another digit) stays apart.
    fx.crm(
        "erin",
        "C0000005",
        "erin.jones77@example.com",
        "+447700900005",
        None,
        "Erin",
        updated=date(2026, 2, 1),
        created=date(2025, 3, 1),
    )
    fx.email_events(
        "erin", "S0000005", "erin_jones77@mailbox.example", d - timedelta(days=4), kinds=("sent", "open")
    )
    fx.email_events("erin-lookalike", "S0000006", "erin.jones78@mailbox.example", d - timedelta(days=4))

    # An anonymous visitor: a cookie that never logs in.
    fx.web_events("anon", "K-ANON", d - timedelta(days=1), kinds=("page_view", "product_view"))

    # A family mailbox and a shop phone on 30 CRM contacts: not identity links.
    for i in range(FAMILY_SIZE):
        customer_id = f"C{100 + i:07d}"
        fx.crm(f"family-{i}", customer_id, FAMILY_EMAIL, FAMILY_PHONE, first_name=f"Kid{i}")
        if i < 3:
            fx.web_order(f"family-{i}", customer_id, d - timedelta(days=15 + i))
    fx.email_events("family-inbox", "S0000099", FAMILY_EMAIL, d - timedelta(days=12))

    # Buyers with random histories, so quintiles have material (fixed seed).
    rng = random.Random(7)
    for i in range(12):
        person, customer_id = f"buyer-{i}", f"C{200 + i:07d}"
        fx.crm(
            person,
            customer_id,
            f"buyer{i}@example.net",
            f"+447800{i:06d}",
            f"L{200 + i:08d}",
            created=date(2024, 1, 1) + timedelta(days=i),
        )
        for _ in range(rng.randint(0, 5)):
            lines = tuple(
                (rng.randint(1, 3), float(rng.choice((9.5, 15.0, 42.0, 60.0))), rng.choice(CATEGORIES))
                for _ in range(rng.randint(1, 3))
            )
            status = rng.choice(("completed", "completed", "completed", "returned", "cancelled"))
            fx.web_order(person, customer_id, d - timedelta(days=rng.randint(0, 420)), status, lines)
        if i % 3 == 0:
            fx.pos_order(
                person,
                d - timedelta(days=rng.randint(0, 300)),
                loyalty_id=f"L{200 + i:08d}",
                lines=((1, 35.0, "footwear"),),
            )
        if i % 2 == 0:
            fx.demographics(
                f"buyer{i}@example.net",
                age_band=("18-24", "25-34", "65+")[i % 3],
                income_band="low",
                household_size=1 + i % 4,
                has_children=False,
                region_type="rural",
            )
    return fx
