"""Standardizers on edge cases, Spark against expected values and against the Python twins."""

from __future__ import annotations

import hashlib
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from spark_jobs.transforms.standardize import (
    amount_in_base,
    country_code,
    country_code_py,
    normalize_email,
    normalize_email_py,
    normalize_phone,
    normalize_phone_py,
    normalize_postcode,
    parse_boolean,
    salted_sha256,
    salted_sha256_py,
    sha256_hex,
    title_case,
)

PHONES = [
    ("+44 7700 900123", None, "+447700900123"),
    ("07700900123", None, "+447700900123"),
    ("(0)7700-900-123", None, "+447700900123"),
    ("447700900123", None, "+447700900123"),
    ("+44 (0)7700 900123", "GB", "+447700900123"),
    ("0044 7700 900123", "UK", "+447700900123"),
    ("7700900123", "United Kingdom", "+447700900123"),
    ("+33 6 12 34 56 78", None, "+33612345678"),
    ("0033 6 12 34 56 78", None, "+33612345678"),
    ("06 12 34 56 78", "France", "+33612345678"),
    ("33612345678", "FR", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "FR", "+33612345678"),
    ("  ", None, None),
    (None, None, None),
    ("call me", None, None),
    ("123", None, None),
]


def test_phone_to_e164(spark):
    df = spark.createDataFrame([(p, c) for p, c, _ in PHONES], "phone string, country string")
    actual = df.select(
        "phone", "country", normalize_phone(F.col("phone"), country_code(F.col("country"))).alias("e164")
    )
    expected = spark.createDataFrame(PHONES, "phone string, country string, e164 string")
    assertDataFrameEqual(actual, expected)
    assert [normalize_phone_py(p, country_code_py(c)) for p, c, _ in PHONES] == [e for _, _, e in PHONES]


EMAILS = [
    ("  Ann.Smith@Example.COM ", "ann.smith@example.com"),
    ("\u00a0bob@EXAMPLE.org\t", "bob@example.org"),
    ("no-at-sign.example.com", None),
    ("two@@example.com", None),
    ("", None),
    (None, None),
]


def test_email_lower_trim_and_invalid_to_null(spark):
    df = spark.createDataFrame([(e,) for e, _ in EMAILS], "email string")
    actual = df.select("email", normalize_email(F.col("email")).alias("normalized"))
    assertDataFrameEqual(actual, spark.createDataFrame(EMAILS, "email string, normalized string"))
    assert [normalize_email_py(e) for e, _ in EMAILS] == [n for _, n in EMAILS]


def test_country_postcode_city_boolean(spark):
    rows = [
        ("GB", "GB", "sw1a1aa", "SW1A 1AA", "london", "London", "Y", True),
        ("uk", "GB", " ec1a  1bb ", "EC1A 1BB", "  NEW   york ", "New York", "yes", True),
        ("United Kingdom", "GB", "M1 1AE", "M1 1AE", "saint-denis", "Saint-denis", "1", True),
        ("France", "FR", "75001", "75001", "PARIS", "Paris", "false", False),
        ("eire", "IE", "d02 x285", "D02 X285", None, None, "N", False),
        ("Atlantis", None, "", None, "", None, "maybe", None),
        (None, None, None, None, None, None, None, None),
    ]
    schema = (
        "country string, country_code string, postcode string, postcode_std string, city string, "
        "city_std string, consent string, has_consent boolean"
    )
    df = spark.createDataFrame(
        [(r[0], r[2], r[4], r[6]) for r in rows],
        "country string, postcode string, city string, consent string",
    )
    actual = df.select(
        "country",
        country_code(F.col("country")).alias("country_code"),
        "postcode",
        normalize_postcode(F.col("postcode")).alias("postcode_std"),
        "city",
        title_case(F.col("city")).alias("city_std"),
        "consent",
        parse_boolean(F.col("consent")).alias("has_consent"),
    )
    assertDataFrameEqual(actual, spark.createDataFrame(rows, schema))


def test_hashes_and_base_currency_amounts(spark):
    salt = "pepper"
    df = spark.createDataFrame(
        [("a@b.co", 2, 10.0, "EUR"), (None, -1, 5.0, "gbp")],
        "email string, quantity int, unit_price double, currency string",
    )
    rates = {"GBP": 1.0, "EUR": 0.85}
    actual = df.select(
        salted_sha256(F.col("email"), salt).alias("email_hash"),
        sha256_hex(F.col("email")).alias("email_sha256"),
        amount_in_base(F.col("quantity"), F.col("unit_price"), F.col("currency"), rates).alias("line_amount"),
    )
    expected = spark.createDataFrame(
        [
            (hashlib.sha256(b"peppera@b.co").hexdigest(), hashlib.sha256(b"a@b.co").hexdigest(), 17.0),
            (None, None, -5.0),
        ],
        "email_hash string, email_sha256 string, line_amount double",
    )
    assertDataFrameEqual(actual, expected)
    assert salted_sha256_py("a@b.co", salt) == hashlib.sha256(b"peppera@b.co").hexdigest()


# Property tests: a handful of examples, each a whole batch through one small DataFrame.
GB_FORMATS = [
    lambda n: f"+44 7{n[:3]} {n[3:]}",
    lambda n: f"07{n}",
    lambda n: f"(0)7{n[:3]}-{n[3:6]}-{n[6:]}",
    lambda n: f"447{n}",
    lambda n: f"0044 7{n}",
    lambda n: f"+44 (0)7{n[:3]} {n[3:]}",
    lambda n: f" 07{n[:3]} {n[3:]}\t",
]
FAST = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(
    st.lists(
        st.tuples(st.text("0123456789", min_size=9, max_size=9), st.sampled_from(GB_FORMATS)),
        min_size=12,
        max_size=12,
    )
)
def test_every_gb_mobile_format_gives_the_same_e164(spark, numbers):
    rows = [(fmt(n), f"+447{n}") for n, fmt in numbers]
    df = spark.createDataFrame([(raw,) for raw, _ in rows], "phone string")
    actual = df.select("phone", normalize_phone(F.col("phone")).alias("e164"))
    assertDataFrameEqual(actual, spark.createDataFrame(rows, "phone string, e164 string"))
    assert [normalize_phone_py(raw) for raw, _ in rows] == [e164 for _, e164 in rows]


LOCAL = st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=12)
DOMAIN = st.text(string.ascii_letters + string.digits, min_size=1, max_size=10)
SPACE = st.text(" \t\u00a0", max_size=3)


@FAST
@given(
    st.lists(
        st.tuples(SPACE, LOCAL, DOMAIN, st.sampled_from(["com", "CO.UK", "Org"]), SPACE),
        min_size=12,
        max_size=12,
    )
)
def test_email_normalization_is_lower_trimmed_idempotent_and_matches_python(spark, parts):
    raws = [f"{lead}{local}@{domain}.{tld}{trail}" for lead, local, domain, tld, trail in parts]
    df = spark.createDataFrame([(r,) for r in raws], "email string")
    once = normalize_email(F.col("email"))
    rows = df.select(once.alias("once"), normalize_email(once).alias("twice")).collect()
    expected = [f"{local}@{domain}.{tld}".lower() for _, local, domain, tld, _ in parts]
    assert [r["once"] for r in rows] == expected
    assert [r["twice"] for r in rows] == expected
    assert [normalize_email_py(r) for r in raws] == expected
