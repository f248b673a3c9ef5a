"""Pure transforms: parsing with quarantine reasons, typed values, silver shape and dedup."""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from spark_jobs.contracts import get_contract, get_registry
from spark_jobs.transforms.lineage import add_lineage
from spark_jobs.transforms.parse import FileLayout, parse_lines
from spark_jobs.transforms.silver import SilverContext, to_silver
from tests.spark_jobs.landing_files import COLUMNS, csv_text, row

FILE = "web_orders/2026-06-03/web_orders.csv"
CTX = SilverContext(salt="salt", fx_rates={"GBP": 1.0, "EUR": 0.85, "USD": 0.79})


def _layout(source: str, header: list[str] | None = None) -> FileLayout:
    contract = get_contract(source)
    header = header or COLUMNS[source]
    columns = {f.name: header.index(f.name) for f in contract.fields if f.name in header}
    missing = tuple(f.name for f in contract.fields if f.required and f.name not in header)
    return FileLayout(columns=columns, width=len(header), missing_required=missing)


def _lines(spark, values: list, source_file: str = FILE):
    """A lines frame like the reader's: (id, value, _source_file, ingest_date, _line_number)."""
    df = spark.createDataFrame(
        [(i, v if isinstance(v, bytes) else v.encode("utf-8")) for i, v in enumerate(values)],
        "id int, raw binary",
    )
    # Casting binary keeps the bytes as they are, like the text reader does with bad UTF-8.
    return df.select(
        "id",
        F.col("raw").cast("string").alias("value"),
        F.lit(source_file).alias("_source_file"),
        F.lit("2026-06-03").alias("ingest_date"),
        (F.col("id") + 2).cast("long").alias("_line_number"),
    )


def _csv_line(source: str, **overrides) -> str:
    return csv_text([row(source, **overrides)], COLUMNS[source]).splitlines()[1]


def test_quarantine_reasons_per_row(spark):
    cases = [
        (_csv_line("web_orders"), None),
        ("W1,1,C1,2026-06-03", "column count 4 != 10"),
        (_csv_line("web_orders", ordered_at="xx"), "unparseable timestamp in ordered_at: 'xx'"),
        (_csv_line("web_orders", unit_price="-3"), "unit_price must be > 0: -3.0"),
        (_csv_line("web_orders", customer_id=" "), "required field customer_id is empty"),
        (_csv_line("web_orders", quantity=0), "quantity must be != 0: 0"),
        (_csv_line("web_orders", quantity="1.5"), "unparseable int in quantity: '1.5'"),
        (_csv_line("web_orders", currency="JPY"), "currency must be one of [GBP, EUR, USD]: 'JPY'"),
        (_csv_line("web_orders", currency="gbp", order_status="Returned"), None),
        (_csv_line("web_orders", sku="SKU, with comma"), None),
        (
            _csv_line("web_orders", customer_id="", unit_price="0"),
            "required field customer_id is empty; unit_price must be > 0: 0.0",
        ),
        ('W1,1,"C1,2026-06-03T10:00:00Z,completed,S,c,1,1,GBP', "unbalanced quotes"),
        ("", "empty line"),
        (b"W1,1,C\xff\xfe1,2026-06-03T10:00:00Z,completed,S,c,1,1,GBP", "undecodable bytes"),
    ]
    parsed = parse_lines(
        _lines(spark, [v for v, _ in cases]), get_contract("web_orders"), {FILE: _layout("web_orders")}
    )
    expected = spark.createDataFrame([(i, r) for i, (_, r) in enumerate(cases)], "id int, _reason string")
    assertDataFrameEqual(parsed.select("id", "_reason"), expected)


def test_plain_lines_parse_like_the_same_lines_fully_quoted(spark):
    """Lines without quotes skip the CSV parser: their values must equal the quoted parse's."""
    plain = [
        _csv_line("web_orders"),
        _csv_line("web_orders", sku="  padded  ", category=""),
        "\ufeff" + _csv_line("web_orders", customer_id="C9"),
        _csv_line("web_orders", currency=" eur ", unit_price="1e1"),
    ]
    quoted = [",".join(f'"{v}"' for v in line.lstrip("\ufeff").split(",")) for line in plain]
    quoted[2] = "\ufeff" + quoted[2]
    contract = get_contract("web_orders")
    parsed = parse_lines(_lines(spark, plain + quoted), contract, {FILE: _layout("web_orders")})
    rows = parsed.orderBy("id").select(*contract.field_names, "_reason").collect()
    assert all(r["_reason"] is None for r in rows), rows
    assert rows[: len(plain)] == rows[len(plain) :]
    assert rows[1]["sku"] == "  padded  " and rows[1]["category"] is None
    assert rows[2]["customer_id"] == "C9" and rows[3]["unit_price"] == 10.0


def test_split_patterns_match_the_delimiter_literally(spark):
    from spark_jobs.transforms.parse import _split_pattern

    for delimiter in [",", "|", ".", ";", "\t", "^", "||"]:
        line = delimiter.join(["a", "", "b c", ""])
        parts = spark.range(1).select(F.split(F.lit(line), _split_pattern(delimiter), -1)).first()[0]
        assert parts == ["a", "", "b c", ""], (delimiter, parts)


def test_missing_required_column_quarantines_the_whole_file(spark):
    header = [c for c in COLUMNS["web_orders"] if c != "customer_id"] + ["note"]
    line = csv_text([row("web_orders", note="x")], header).splitlines()[1]
    parsed = parse_lines(
        _lines(spark, [line, line]), get_contract("web_orders"), {FILE: _layout("web_orders", header)}
    )
    assert {r["_reason"] for r in parsed.collect()} == {"missing required column customer_id"}


def test_timestamps_become_utc_and_pos_local_time_follows_british_summer_time(spark):
    pos_file = "pos_orders/2026-06-03/pos_orders.csv"
    values = [
        _csv_line("pos_orders", transacted_at=t)
        for t in ("2026-06-03 15:30:00", "2026-01-15T15:30:00", "2026-06-03T15:30:00+02:00")
    ]
    values.append(_csv_line("pos_orders", loyalty_id="", email=""))
    parsed = parse_lines(
        _lines(spark, values, pos_file), get_contract("pos_orders"), {pos_file: _layout("pos_orders")}
    )
    actual = parsed.select("id", F.date_format("transacted_at", "yyyy-MM-dd HH:mm").alias("utc"), "_reason")
    expected = spark.createDataFrame(
        [
            (0, "2026-06-03 14:30", None),
            (1, "2026-01-15 15:30", None),
            (2, "2026-06-03 13:30", None),
            (3, "2026-06-03 14:30", "one of loyalty_id, email is required"),
        ],
        "id int, utc string, _reason string",
    )
    assertDataFrameEqual(actual, expected)


def test_json_lines_are_parsed_by_key_and_malformed_lines_quarantined(spark):
    events_file = "web_events/2026-06-03/web_events.jsonl"
    values = [
        '{"event_id": "E1", "occurred_at": "2026-06-03T09:00:00+01:00", "cookie_id": "K1", "event_type": "page_view",'
        ' "extra": {"nested": 1}}',
        '{"event_id": "E2", "occurred_at": "2026-06-03T09:00:00Z", "cookie_id": 42, "user_id": null,'
        ' "event_type": "add_to_cart", "sku": "SKU-1"}',
        '{"event_id": "E3", "occurred_at": "2026-06-03T09:00:00Z", "event_type": "purchase"}',
        "not json at all",
        "[1, 2]",
    ]
    layout = FileLayout(columns={f.name: f.name for f in get_contract("web_events").fields})
    parsed = parse_lines(
        _lines(spark, values, events_file), get_contract("web_events"), {events_file: layout}
    )
    actual = parsed.select(
        "id", "event_id", "cookie_id", F.date_format("occurred_at", "HH:mm").alias("t"), "_reason"
    )
    expected = spark.createDataFrame(
        [
            (0, "E1", "K1", "08:00", None),
            (1, "E2", "42", "09:00", None),
            (
                2,
                "E3",
                None,
                "09:00",
                "required field cookie_id is empty; event_type must be one of "
                "[page_view, product_view, add_to_cart, checkout]: 'purchase'",
            ),
            (3, None, None, None, "malformed JSON"),
            (4, None, None, None, "malformed JSON"),
        ],
        "id int, event_id string, cookie_id string, t string, _reason string",
    )
    assertDataFrameEqual(actual, expected)


def _silver(spark, source: str, rows: list[dict]):
    file = f"{source}/2026-06-03/{source}.csv"
    lines = _lines(spark, [csv_text([r], COLUMNS[source]).splitlines()[1] for r in rows], file)
    parsed = parse_lines(lines, get_contract(source), {file: _layout(source)})
    assert parsed.where("_reason is not null").count() == 0
    bronze = add_lineage(parsed, "run-1", datetime(2026, 6, 4, tzinfo=UTC))
    return to_silver(bronze, get_contract(source), CTX)


def test_silver_orders_dedup_latest_line_flag_returns_and_convert_currency(spark):
    rows = [
        row("web_orders", 1, quantity=2, unit_price="10", currency="EUR"),
        row("web_orders", 2, order_status="completed"),
        row("web_orders", 2, order_status="returned"),  # same key, later line: wins
        row("web_orders", 3, order_status="Cancelled", currency="usd", unit_price="100"),
        row("web_orders", 3, order_status="Cancelled", currency="usd", unit_price="100"),  # exact duplicate
    ]
    actual = _silver(spark, "web_orders", rows).select(
        "order_id", "order_status", "is_cancelled", "is_returned", "currency", "line_amount"
    )
    expected = spark.createDataFrame(
        [
            ("W00000001", "completed", False, False, "EUR", 17.0),
            ("W00000002", "returned", False, True, "GBP", 21.0),
            ("W00000003", "cancelled", True, False, "USD", 158.0),
        ],
        "order_id string, order_status string, is_cancelled boolean, is_returned boolean, currency string, "
        "line_amount double",
    )
    assertDataFrameEqual(actual, expected)


def test_silver_crm_latest_updated_at_wins_even_from_an_earlier_line(spark):
    rows = [
        row(
            "crm_customers",
            1,
            email=" NEW@Example.com",
            updated_at="2026-06-03T12:00:00Z",
            country="France",
            phone="06 12 34 56 78",
            marketing_consent="no",
        ),
        row("crm_customers", 1, email="old@example.com", updated_at="2026-06-01T12:00:00Z"),
    ]
    (result,) = _silver(spark, "crm_customers", rows).collect()
    assert (result.email, result.country_code, result.phone, result.has_marketing_consent) == (
        "new@example.com",
        "FR",
        "+33612345678",
        False,
    )
    assert result.postcode == "SW1A 1AA" and result.city == "London"
    assert len(result.email_hash) == 64 and result.email_hash != result.email_sha256


#: Silver contract (docs/contracts.md) as the dbt project reads it: column -> Spark type.
SILVER_TYPES = {
    "crm_customers": "customer_id:string,first_name:string,last_name:string,email:string,email_hash:string,"
    "email_sha256:string,phone:string,phone_hash:string,birth_date:date,postcode:string,city:string,"
    "country_code:string,loyalty_id:string,has_marketing_consent:boolean,created_at:timestamp,"
    "updated_at:timestamp",
    "web_order_lines": "order_id:string,line_number:int,customer_id:string,ordered_at:timestamp,"
    "order_status:string,is_cancelled:boolean,is_returned:boolean,sku:string,category:string,quantity:int,"
    "unit_price:double,currency:string,line_amount:double",
    "pos_order_lines": "transaction_id:string,line_number:int,store_id:string,loyalty_id:string,email:string,"
    "email_hash:string,email_sha256:string,transacted_at:timestamp,sku:string,category:string,quantity:int,"
    "unit_price:double,currency:string,line_amount:double,is_return:boolean",
    "web_events": "event_id:string,occurred_at:timestamp,cookie_id:string,user_id:string,session_id:string,"
    "event_type:string,sku:string",
    "email_events": "event_id:string,subscriber_id:string,email:string,email_hash:string,email_sha256:string,"
    "campaign_id:string,event_type:string,occurred_at:timestamp",
    "demographics": "email_sha256:string,age_band:string,income_band:string,household_size:int,"
    "has_children:boolean,region_type:string",
}
LINEAGE = "_source_file:string,_ingest_date:date,_run_id:string,_ingested_at:timestamp,ingest_date:string"


def test_silver_schemas_match_the_documented_contract(spark):
    empty = _lines(spark, [])
    for name, contract in get_registry().contracts.items():
        if contract.silver_table not in SILVER_TYPES:
            continue  # examples define their own tables
        columns = {f.name: (i if contract.format == "csv" else f.name) for i, f in enumerate(contract.fields)}
        layout = FileLayout(columns=columns, width=len(contract.fields))
        silver = to_silver(
            add_lineage(parse_lines(empty, contract, {FILE: layout}), "r", datetime.now(UTC)), contract, CTX
        )
        actual = ",".join(f"{f.name}:{f.dataType.simpleString()}" for f in silver.schema.fields)
        assert actual == SILVER_TYPES[contract.silver_table] + "," + LINEAGE, name


def test_date_fields_with_formats_parse_each_pattern_and_quarantine_the_rest(spark):
    from datetime import date

    from spark_jobs.contracts import parse_contract

    contract = parse_contract(
        {
            "name": "members",
            "entity": "customer_record",
            "record_id": "member_id",
            "identifiers": {"member_id": "customer_id", "birth_date": "birth_date"},
            "natural_key": ["member_id"],
            "fields": [
                {"name": "member_id", "required": True},
                {
                    "name": "birth_date",
                    "type": "date",
                    "required": True,
                    "formats": ["dd.MM.yyyy", "yyyy/MM/dd"],
                },
            ],
            "silver": {"table": "members", "columns": [{"member_id": "trim"}, {"birth_date": "copy"}]},
        }
    )
    source_file = "members/2026-06-03/members.csv"
    layout = FileLayout(columns={"member_id": 0, "birth_date": 1}, width=2, missing_required=())
    parsed = parse_lines(
        _lines(spark, ["M1,17.05.1985", "M2,1990/01/31", "M3,31-01-1990"], source_file),
        contract,
        {source_file: layout},
    )
    rows = {r["member_id"]: (r["birth_date"], r["_reason"]) for r in parsed.collect()}
    assert rows["M1"] == (date(1985, 5, 17), None)
    assert rows["M2"] == (date(1990, 1, 31), None)
    assert rows["M3"][0] is None and "birth_date" in rows["M3"][1]
