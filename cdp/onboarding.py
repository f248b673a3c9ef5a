"""`cdp onboard`: a draft contract from a sample export, and `cdp contracts validate`.

Onboarding reads a sample (a file, or a folder's first file): encoding, delimiter and header
are sniffed, each column's type and timestamp format inferred from its values, and
identifier and measure roles proposed from the header names and values, each with its
confidence. The draft goes to `CDP_CONTRACTS_DIR/<name>.yml` marked `example: true` (loaded,
inactive until named in CDP_SOURCES), is validated, and is dry-run through the real
ingestion on the sample in a scratch folder (see `cdp.dry_run`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from customer_platform.config import get_settings
from customer_platform.vocabulary import ENTITIES

SAMPLE_BYTES = 1 << 20
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")
#: Spark datetime pattern -> the strptime pattern that reads the same text.
TIMESTAMP_FORMATS = (
    ("yyyy-MM-dd HH:mm:ss", "%Y-%m-%d %H:%M:%S"),
    ("yyyy-MM-dd'T'HH:mm:ss", "%Y-%m-%dT%H:%M:%S"),
    ("yyyy-MM-dd HH:mm", "%Y-%m-%d %H:%M"),
    ("M/d/yyyy H:mm", "%m/%d/%Y %H:%M"),
    ("d/M/yyyy H:mm", "%d/%m/%Y %H:%M"),
    ("dd.MM.yyyy HH:mm", "%d.%m.%Y %H:%M"),
)
DATE_FORMATS = (("yyyy-MM-dd", "%Y-%m-%d"), ("d/M/yyyy", "%d/%m/%Y"), ("M/d/yyyy", "%m/%d/%Y"))
_ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Header words (letters and digits only) -> identifier role.
IDENTIFIER_NAMES = {
    "email": ("email", "emailaddress", "mail", "email_address"),
    "phone": ("phone", "mobile", "telephone", "tel", "phonenumber", "mobilenumber"),
    "customer_id": ("customerid", "custid", "clientid", "customerno", "customernumber", "customer"),
    "loyalty_id": ("loyaltyid", "memberid", "membershipno", "cardno", "loyaltycard", "cardnumber"),
    "first_name": ("firstname", "givenname", "forename", "fname"),
    "last_name": ("lastname", "surname", "familyname", "lname"),
    "birth_date": ("birthdate", "dob", "dateofbirth"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode"),
    "city": ("city", "town"),
    "street_address": ("address", "street", "addressline1", "streetaddress"),
}
#: Header words -> measure role (any entity that knows the role).
MEASURE_NAMES = {
    "order_id": ("invoiceno", "invoice", "orderid", "orderno", "ordernumber", "receiptno", "transactionid"),
    "ordered_at": ("invoicedate", "orderdate", "purchasedat", "orderedat", "purchasedate", "transactiondate"),
    "quantity": ("quantity", "qty"),
    "unit_price": ("unitprice", "price"),
    "sku": ("stockcode", "sku", "productid", "itemid", "productcode"),
    "category": ("category", "productcategory"),
    "order_status": ("orderstatus", "status"),
    "net_amount": ("total", "ordertotal", "netamount", "amount"),
    "amount": ("paymentvalue", "amount", "paidamount", "value"),
    "payment_method": ("paymenttype", "paymentmethod", "method"),
    "paid_at": ("paidat", "paymentdate"),
    "observed_at": ("updatedat", "modifiedat", "changedat", "lastmodified", "updated"),
    "first_seen_at": ("createdat", "signupdate", "registeredat", "created"),
    "marketing_consent": ("marketingconsent", "optin", "consent", "newsletter"),
    "event_id": ("eventid",),
    "occurred_at": ("occurredat", "eventtime", "timestamp"),
    "event_type": ("eventtype", "event"),
    "campaign_id": ("campaignid", "campaign"),
    "session_id": ("sessionid",),
}


KEY_ROLES = ("customer_id", "loyalty_id", "order_id", "event_id", "sku", "phone")


@dataclass
class Column:
    header: str
    name: str
    type: str = "string"
    formats: list[str] = field(default_factory=list)
    role: str | None = None  # identifier or measure role
    confidence: str = ""
    empty_share: float = 0.0
    values: list[str] = field(default_factory=list, repr=False)  # non-empty sample values
    note: str = ""  # what the type inference wants confirmed


@dataclass
class Sample:
    path: Path
    encoding: str
    delimiter: str
    columns: list[Column]
    rows: int
    notes: list[str] = field(default_factory=list)  # what the user must confirm


def snake(header: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", header.strip())
    name = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return name if re.match(r"^[a-z]", name or "") else f"c_{name or 'column'}"


def _word(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _misfits(values: list[str], fits) -> int:
    return sum(not fits(v) for v in values)


def _strptime_fits(pattern: str):
    def fits(value: str) -> bool:
        try:
            datetime.strptime(value, pattern)
        except ValueError:
            return False
        return True

    return fits


_CHECKS = (
    ("int", lambda v: bool(re.fullmatch(r"-?\d{1,18}", v))),
    ("double", lambda v: bool(re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", v))),
    ("boolean", lambda v: v.lower() in {"true", "false", "yes", "no", "t", "f", "y", "n"}),
)


def infer_type(values: list[str]) -> tuple[str, list[str], str]:
    """(type, Spark formats, note) of a column from its non-empty sample values.

    A type fits when every value parses, or all but a few of a larger sample (at most 2 %, at
    least one in ten values): those rows are malformed and will be quarantined, and the note says so.
    """
    if not values:
        return "string", [], "always empty in the sample"
    tolerated = max(len(values) // 50, 1 if len(values) >= 10 else 0)

    def verdict(kind: str, misfits: int, formats: list[str], note: str = "") -> tuple[str, list[str], str]:
        if misfits:
            note = (
                note + "; " if note else ""
            ) + f"{misfits} value(s) are not {kind}: those rows will be quarantined"
        return kind, formats, note

    for kind, fits in _CHECKS:
        misfits = _misfits(values, fits)
        if misfits <= tolerated:
            if kind == "int" and any(re.fullmatch(r"-?0\d+", v) for v in values):
                return "string", [], "leading zeros: kept as text (an id or a code)"
            if kind == "int" and any(fits(v) and abs(int(v)) > 2**31 - 1 for v in values):
                kind = "long"
            return verdict(kind, misfits, [])
    misfits = _misfits(values, lambda v: bool(_ISO_WITH_OFFSET.match(v)))
    if misfits <= tolerated:
        return verdict("timestamp", misfits, [], "ISO-8601 with an offset")
    for kind, formats in (("timestamp", TIMESTAMP_FORMATS), ("date", DATE_FORMATS)):
        scored = [(_misfits(values, _strptime_fits(python)), spark) for spark, python in formats]
        fitting = [spark for misfits, spark in scored if misfits <= tolerated]
        if fitting:
            best = min(misfits for misfits, spark in scored if spark in fitting)
            chosen = [spark for misfits, spark in scored if spark in fitting and misfits == best]
            note = (
                f"day/month order is ambiguous: {' or '.join(chosen)}; chose {chosen[0]}"
                if len(chosen) > 1
                else ""
            )
            return verdict(kind, best, chosen[:1], note)
    return "string", [], ""


def read_sample(path: Path, max_rows: int = 5000) -> Sample:
    """Sniff a CSV export; ValueError names what cannot be read."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in {".csv", ".txt"})
        if not files:
            raise ValueError(f"{path}: no .csv or .txt file in the folder")
        path = files[0]
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    raw = path.read_bytes()[:SAMPLE_BYTES]
    notes: list[str] = []
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start > len(raw) - 4:  # a character cut by the sample's end
                text = raw[: exc.start].decode(encoding)
                break
    else:
        raise ValueError(f"{path}: neither UTF-8 nor Windows-1252 text")
    if encoding == "cp1252":
        notes.append(
            "the file is Windows-1252, not UTF-8: convert it (iconv -f cp1252 -t utf-8) before ingestion"
        )
    lines = text.splitlines()[: max_rows + 1]
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
        notes.append("the delimiter could not be sniffed: assumed ','")
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header, *rows = list(reader)
    columns = []
    for index, name in enumerate(header):
        values = [r[index].strip() for r in rows if index < len(r)]
        present = [v for v in values if v]
        col_type, formats, note = infer_type(present)
        column = Column(
            name, snake(name), col_type, formats, empty_share=1 - len(present) / max(len(values), 1)
        )
        column.values = present
        column.note = note
        columns.append(column)
    _propose_roles(columns)
    if len(set(header)) != len(header) or any(
        not h.strip() or infer_type([h.strip()])[0] != "string" for h in header
    ):
        notes.append(
            "the first line does not look like a header (empty, repeated or numeric names): contracts need one"
        )
    notes += [f"{c.header}: {c.note}" for c in columns if c.note]
    return Sample(path, encoding, delimiter, columns, len(rows), notes)


def _propose_roles(columns: list[Column]) -> None:
    for column in columns:
        word = _word(column.header)
        for role, names in {**IDENTIFIER_NAMES, **MEASURE_NAMES}.items():
            if word in names:
                column.role, column.confidence = role, "header name"
                break
        values = column.values
        emails = sum(bool(_EMAIL.match(v)) for v in values) / max(len(values), 1)
        if column.role is None and column.type == "string" and emails >= 0.9:
            column.role, column.confidence = "email", f"values ({emails:.0%} look like emails)"
        elif column.role == "email":
            column.confidence += f"; {emails:.0%} of values look like emails"
        if column.role in KEY_ROLES and column.type != "string":
            column.type, column.formats, column.note = (
                "string",
                [],
                "",
            )  # ids are text, whatever they look like


def guess_entity(sample: Sample) -> str:
    roles = {c.role for c in sample.columns}
    if {"quantity", "unit_price"} <= roles or ("quantity" in roles and "order_id" in roles):
        return "order_line"
    if "payment_method" in roles or any("payment" in _word(c.header) for c in sample.columns):
        return "payment"
    if "order_status" in roles and "order_id" in roles:
        return "order"
    if "event_type" in roles:
        return "email_event" if "campaign_id" in roles else "web_event"
    return "customer_record"


def check_entity(entity: str | None) -> str | None:
    if entity is not None and entity not in ENTITIES:
        raise ValueError(f"--entity {entity!r} is not one of {', '.join(ENTITIES)}")
    return entity


def draft_path(name: str) -> Path:
    return get_settings().contracts_dir / f"{name}.yml"


def write_draft(text: str, name: str, force: bool) -> Path:
    path = draft_path(name)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    path.write_text(text, encoding="utf-8")
    return path


def render(contract: dict, sample: Sample, entity_note: str) -> str:
    """The draft YAML with a header of what was inferred and what the user must confirm."""
    lines = [
        f"# Draft contract written by `cdp onboard` from {sample.path.name} ({sample.rows:,} sample rows,",
        f"# {sample.encoding}, delimiter {sample.delimiter!r}). Inactive (example: true) until named in CDP_SOURCES.",
        f"# entity: {entity_note}",
        "# Proposed roles (confirm each):",
        *[f"#   {c.header} -> {c.role} (from {c.confidence})" for c in sample.columns if c.role],
        "# To confirm:",
        *[f"#   - {note}" for note in sample.notes],
        "#   - timezone of timestamps without an offset (UTC assumed)",
    ]
    return "\n".join(lines) + "\n" + yaml.safe_dump(contract, sort_keys=False, allow_unicode=True, width=110)
