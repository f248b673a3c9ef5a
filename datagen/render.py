"""Render persons' planted attributes and ids as canonical strings, one chunk at a time."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from datagen import clock, vocab
from datagen import profiles as pf
from datagen.persons import Persons, scramble64

PERSON_COLUMNS = (
    "person_id",
    "archetype",
    "first_name",
    "last_name",
    "email",
    "second_email",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "country_code",
    "crm_customer_id",
    "loyalty_id",
    "first_seen_date",
    "dropout_date",
    "alive_at_end",
)


def fmt_ids(prefix: str, width: int, numbers: np.ndarray) -> list[str]:
    """e.g. fmt_ids("C", 7, [123]) -> ["C0000123"]."""
    pattern = f"{prefix}%0{width}d"
    return [pattern % k for k in np.asarray(numbers).tolist()]


def person_ids(idx: np.ndarray) -> list[str]:
    """`PER00000001` style ids (person index + 1); distinct from POS ids `P00000001`."""
    return fmt_ids("PER", 8, np.asarray(idx) + 1)


def customer_ids(numbers: np.ndarray) -> list[str]:
    """`C0000123` CRM ids."""
    return fmt_ids("C", 7, numbers)


def loyalty_ids(numbers: np.ndarray) -> list[str]:
    """`L00012345`, or "" where the number is negative (no card)."""
    return ["" if k < 0 else f"L{k:08d}" for k in np.asarray(numbers).tolist()]


def subscriber_ids(numbers: np.ndarray) -> list[str]:
    """`S0000123` email-tool subscriber ids."""
    return fmt_ids("S", 7, numbers)


def cookie_ids(cookie_index: np.ndarray, seed: int) -> list[str]:
    """`ck_<16 hex>`: a bijection of the global cookie index, so always unique."""
    return [f"ck_{v:016x}" for v in scramble64(cookie_index, seed * 2_654_435_761 + 1).tolist()]


def first_names(p: Persons, idx: np.ndarray) -> list[str]:
    """First names as planted (before typos)."""
    names = vocab.FIRST_NAMES
    return [names[i] for i in p.first[idx].tolist()]


def last_names(p: Persons, idx: np.ndarray) -> list[str]:
    """Last names as planted (before typos)."""
    names = vocab.LAST_NAMES
    return [names[i] for i in p.last[idx].tolist()]


def emails(p: Persons, idx: np.ndarray) -> list[str]:
    """Canonical (lower-case, trimmed) primary emails; unique because `email_num` is."""
    fs, ls, doms = vocab.FIRST_SLUGS, vocab.LAST_SLUGS, vocab.EMAIL_DOMAINS
    out = []
    for f, la, num, t, d in zip(
        p.first[idx].tolist(),
        p.last[idx].tolist(),
        p.email_num[idx].tolist(),
        p.email_tmpl[idx].tolist(),
        p.email_domain[idx].tolist(),
        strict=True,
    ):
        first, last = fs[f], ls[la]
        local = (f"{first}.{last}", first, f"{first[0]}.{last}", f"{first}{last}")[t]
        out.append(f"{local}{num}@{doms[d]}")
    return out


def second_emails(p: Persons, idx: np.ndarray) -> list[str]:
    """The email a person subscribed with outside the CRM ("" for most persons).

    The underscore never occurs in primary emails, so the two sets cannot collide.
    """
    fs, ls, doms = vocab.FIRST_SLUGS, vocab.LAST_SLUGS, vocab.SECOND_EMAIL_DOMAINS
    return [
        f"{fs[f]}_{ls[la]}{num}@{doms[num % len(doms)]}" if has else ""
        for f, la, num, has in zip(
            p.first[idx].tolist(),
            p.last[idx].tolist(),
            p.email_num[idx].tolist(),
            p.has_second_email[idx].tolist(),
            strict=True,
        )
    ]


def phones_e164(p: Persons, idx: np.ndarray) -> list[str]:
    """`+447700900123` / `+33612345678`."""
    prefix = ("+44", "+33")
    return [
        f"{prefix[c]}{num}" for c, num in zip(p.country[idx].tolist(), p.phone_num[idx].tolist(), strict=True)
    ]


def postcodes(p: Persons, idx: np.ndarray) -> list[str]:
    """Canonical postcodes: `SW7 3QP` (GB) or `75011` (FR)."""
    letters = vocab.UNIT_LETTERS
    out = []
    for place, num in zip(p.place[idx].tolist(), p.postcode_num[idx].tolist(), strict=True):
        area = vocab.PLACES[place][0]
        district, sector, unit = num % 20 + 1, (num // 20) % 10, num // 200
        if area.isdigit():
            out.append(f"{area}{district:02d}")
        else:
            out.append(f"{area}{district} {sector}{letters[unit // 20]}{letters[unit % 20]}")
    return out


def cities(p: Persons, idx: np.ndarray) -> list[str]:
    """Canonical city names."""
    return [vocab.PLACES[i][1] for i in p.place[idx].tolist()]


def birth_dates(p: Persons, idx: np.ndarray) -> list[str]:
    """`YYYY-MM-DD` birth dates."""
    return clock.iso_dates(p.birth_day[idx])


def dropout_dates(p: Persons, idx: np.ndarray, start_day: int) -> list[str]:
    """`YYYY-MM-DD` of the first day without orders; "" beyond the future's horizon and for visitors."""
    dates = clock.iso_dates(start_day + p.dropout_day[idx])
    blank = (p.dropout_day[idx] >= p.days + pf.FUTURE_DAYS) | p.visitor[idx]
    return ["" if b else d for d, b in zip(dates, blank.tolist(), strict=True)]


def alive_flags(p: Persons, idx: np.ndarray) -> list[str]:
    """Per person "1" when their dropout day is after the end date, else "0"; "" for visitors."""
    alive = (p.dropout_day[idx] >= p.days).tolist()
    return ["" if v else str(int(a)) for a, v in zip(alive, p.visitor[idx].tolist(), strict=True)]


def write_persons_csv(path: Path, p: Persons, start_day: int, chunk: int) -> None:
    """Write `_truth/persons.csv` chunk by chunk. `start_day` is the start's epoch day."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(PERSON_COLUMNS)
        for lo in range(0, p.n, chunk):
            idx = np.arange(lo, min(lo + chunk, p.n))
            crm = np.where(p.is_crm[idx], p.crm_id[idx], 0)
            columns = [
                person_ids(idx),
                [pf.ARCHETYPES[a] for a in p.archetype[idx].tolist()],
                first_names(p, idx),
                last_names(p, idx),
                emails(p, idx),
                second_emails(p, idx),
                phones_e164(p, idx),
                birth_dates(p, idx),
                postcodes(p, idx),
                cities(p, idx),
                [vocab.COUNTRY_CODES[c] for c in p.country[idx].tolist()],
                ["" if k == 0 else f"C{k:07d}" for k in crm.tolist()],
                loyalty_ids(p.loyalty[idx]),
                clock.iso_dates(start_day + p.first_seen[idx]),
                dropout_dates(p, idx, start_day),
                alive_flags(p, idx),
            ]
            writer.writerows(zip(*columns, strict=True))
