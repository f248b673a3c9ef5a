"""An erasure request: the identifiers of one person, validated and normalized, and its id.

    request = ErasureRequest.from_conf({"email": [...], "phone": "...", "crm_customer_id": "C0000123"})

`cdp erase` builds it from its options; a queued request (`privacy.queue`) is read back from
its owner-only file, since the `customer_erasure` DAG's conf carries only the request id
(`request_id_from_conf`).
A bad conf raises `ErasureRequestError` naming the field, never echoing the value: it is
personal data and error messages end up in logs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from customer_platform.config import get_settings
from customer_platform.identifiers import normalize_email, normalize_phone

#: Conf / CLI field names of the identifiers a request may name.
REQUEST_FIELDS = ("email", "phone", "crm_customer_id")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_CRM_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ErasureRequestError(ValueError):
    """A request conf is empty or malformed; the message names the field."""


@dataclass(frozen=True)
class ErasureRequest:
    """Validated identifiers of one person: normalized emails, E.164 phones, CRM ids."""

    request_id: str
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    crm_customer_ids: tuple[str, ...] = ()

    @classmethod
    def from_conf(cls, conf: Mapping[str, Any] | None) -> ErasureRequest:
        """Validate a DAG conf / CLI mapping; each field may be a string or a list of strings.

        `request_id` is optional (a ticket number); by default it is derived from the salted
        identifiers, so the same request always gets the same id.
        """
        conf = {k: v for k, v in dict(conf or {}).items() if v not in (None, "", [])}
        unknown = sorted(set(conf) - {*REQUEST_FIELDS, "request_id"})
        if unknown:
            raise ErasureRequestError(f"{unknown[0]}: unknown field; expected {', '.join(REQUEST_FIELDS)}")
        emails = tuple(_each(conf, "email", normalize_email, "an email address"))
        phones = tuple(_each(conf, "phone", normalize_phone, "a phone number"))
        crm_ids = tuple(_each(conf, "crm_customer_id", _crm_id, "a CRM customer id"))
        if not (emails or phones or crm_ids):
            raise ErasureRequestError(f"conf: name at least one of {', '.join(REQUEST_FIELDS)}")
        request_id = conf.get("request_id")
        if request_id is None:
            request_id = derive_request_id(emails, phones, crm_ids)
        elif not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
            raise ErasureRequestError(f"request_id: {request_id!r} must be 1-80 of A-Z a-z 0-9 _ . : -")
        return cls(request_id, emails, phones, crm_ids)

    def to_conf(self) -> dict[str, Any]:
        """The mapping `from_conf` reads back (normalized values): what a queued request file holds."""
        return {"request_id": self.request_id, "email": list(self.emails), "phone": list(self.phones),
                "crm_customer_id": list(self.crm_customer_ids)}  # fmt: skip

    def identifiers(self) -> tuple[str, ...]:
        """Every identifier of the request as given, normalized: the exact strings free text is searched for."""
        return (*self.emails, *self.phones, *self.crm_customer_ids)

    def values_by_key_space(self) -> dict[str, tuple[str, ...]]:
        """Identifier key space -> the request's normalized values (a CRM id is a `customer_id`)."""
        return {"email": self.emails, "phone": self.phones, "customer_id": self.crm_customer_ids}


def request_id_from_conf(conf: Mapping[str, Any] | None) -> str:
    """The request id of a `customer_erasure` DAG conf, which must hold nothing else.

    Airflow keeps a run's conf in its metadata database for as long as the run is kept, so
    identifiers never travel in it: they are queued in an owner-only file (`privacy.queue`).
    """
    conf = {k: v for k, v in dict(conf or {}).items() if v not in (None, "", [])}
    if set(conf) & set(REQUEST_FIELDS):
        raise ErasureRequestError(
            "conf: identifiers do not belong in a DAG conf (Airflow keeps it); queue the request "
            "with `cdp erase --queue` and trigger with its request_id only"
        )
    unknown = sorted(set(conf) - {"request_id"})
    if unknown:
        raise ErasureRequestError(f"{unknown[0]}: unknown field; expected request_id")
    request_id = conf.get("request_id")
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        raise ErasureRequestError("request_id: required, 1-80 of A-Z a-z 0-9 _ . : -")
    return request_id


def derive_request_id(emails: tuple[str, ...], phones: tuple[str, ...], crm_ids: tuple[str, ...]) -> str:
    """`erasure-<16 hex>` from the salted identifiers: stable per person, no PII in the id."""
    salt = get_settings().hash_salt
    digest = hashlib.sha256(json.dumps([salt, emails, phones, crm_ids]).encode()).hexdigest()
    return f"erasure-{digest[:16]}"


def _crm_id(value: str) -> str | None:
    text = value.strip()
    return text if _CRM_ID.match(text) else None


def _each(conf: Mapping[str, Any], name: str, normalize: Callable[[str], str | None], what: str) -> list[str]:
    raw = conf.get(name, [])
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple):
        raise ErasureRequestError(f"{name}: expected a string or a list of strings, got {type(raw).__name__}")
    out = []
    for value in values:
        normalized = normalize(value) if isinstance(value, str) else None
        if normalized is None:
            raise ErasureRequestError(f"{name}: item {len(out) + 1} is not {what}")
        out.append(normalized)
    return sorted(set(out))
