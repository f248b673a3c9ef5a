"""The synthetic population: one row per person, held as numpy arrays (small even at 1M).

Day numbers are offsets from the start date (day 0 = start, negative = history).
Strings are rendered per chunk by `render.py`, never for the whole population at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datagen import profiles as pf
from datagen import vocab
from datagen.profiles import MessRates
from datagen.worlds import World


def permute(k: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """A bijection of 0..modulus-1 (multiply by a unit, add a salt): unique, scrambled ids."""
    mult = 982_451_653  # prime, coprime with powers of 10 and 2
    return (np.asarray(k, dtype=np.int64) * mult + salt) % modulus


def scramble64(k: np.ndarray, salt: int) -> np.ndarray:
    """A bijection of uint64 (odd multiplier, xor salt): unique hex-looking ids."""
    with np.errstate(over="ignore"):
        x = np.asarray(k, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return x ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF)


@dataclass
class Persons:
    """Planted attributes of every person; arrays are indexed by person index."""

    n: int
    days: int  # number of daily drops
    archetype: np.ndarray  # int8, profiles.ARCHETYPES index
    country: np.ndarray  # int8, 0 = GB, 1 = FR
    first: np.ndarray  # index into vocab.FIRST_NAMES
    last: np.ndarray  # index into vocab.LAST_NAMES
    email_num: np.ndarray  # unique number in the email local part
    email_tmpl: np.ndarray  # local-part template
    email_domain: np.ndarray
    has_second_email: np.ndarray
    phone_num: np.ndarray  # national significant number (GB 7xxxxxxxxx, FR 6xxxxxxxx)
    birth_day: np.ndarray  # days since epoch
    place: np.ndarray  # index into vocab.PLACES
    postcode_num: np.ndarray  # district/sector/unit digits, rendered by render.postcodes
    first_seen: np.ndarray  # day offset
    order_from: np.ndarray  # orders happen on days [order_from, order_to)
    order_to: np.ndarray
    dropout_day: np.ndarray  # first day of no more orders, even after the end (see _dropout_day)
    order_mult: np.ndarray  # per-person rate multipliers (mean 1)
    web_mult: np.ndarray
    web_share: np.ndarray  # share of a CRM person's orders placed online (the world's)
    is_crm: np.ndarray
    crm_id: np.ndarray  # primary customer id number, 0 = none
    crm_created: np.ndarray  # epoch seconds
    second_crm_id: np.ndarray  # 0 = none
    second_crm_created: np.ndarray
    loyalty: np.ndarray  # loyalty number, -1 = none
    consent: np.ndarray
    anonymous_only: np.ndarray
    cookie_start: np.ndarray  # first global cookie index
    cookie_count: np.ndarray
    home_store: np.ndarray
    sub_primary: np.ndarray  # subscriber number of the primary email, 0 = none
    sub_second: np.ndarray  # subscriber number of the second email, 0 = none
    has_demographics: np.ndarray
    income: np.ndarray
    household: np.ndarray
    children: np.ndarray
    region: np.ndarray
    visitor: np.ndarray  # anonymous visitors (datagen/visitors.py), after the customers

    @property
    def n_cookies(self) -> int:
        """Cookies over all persons (global cookie indices are 0..n_cookies-1)."""
        return int(self.cookie_start[-1] + self.cookie_count[-1]) if self.n else 0

    @property
    def n_customers(self) -> int:
        """Persons who are customers, not anonymous visitors."""
        return self.n - int(self.visitor.sum())

    @property
    def n_subscribers(self) -> int:
        """Highest subscriber number in use."""
        return int(max(self.sub_primary.max(initial=0), self.sub_second.max(initial=0)))


def phone_numbers(idx: np.ndarray, country: np.ndarray) -> np.ndarray:
    """National significant numbers of persons `idx`: unique per index within a country."""
    gb = 7_000_000_000 + permute(idx, 1_000_000_000, 12_345)
    fr = 600_000_000 + permute(idx, 100_000_000, 4_242)
    return np.where(country == 0, gb, fr)


def dispersed_gamma(rng: np.random.Generator, shape: float, scale: float, noise: float, n: int):
    """Gamma draws with the mean `shape * scale` and the standard deviation times `noise`."""
    return rng.gamma(shape / noise**2, scale * noise**2, n)


def _ids_by_creation(created: np.ndarray) -> np.ndarray:
    """Number accounts 1..n in creation order (ties by position), as a CRM would."""
    order = np.argsort(created, kind="stable")
    ids = np.empty(len(created), dtype=np.int64)
    ids[order] = np.arange(1, len(created) + 1)
    return ids


def _first_seen(rng: np.random.Generator, arch: np.ndarray, days: int) -> np.ndarray:
    n = len(arch)
    fs = rng.integers(-pf.MAX_TENURE_DAYS, -30, n)
    lapsing = arch == pf.LAPSING
    fs[lapsing] = rng.integers(-pf.MAX_TENURE_DAYS, -pf.HISTORY_DAYS, int(lapsing.sum()))
    new = arch == pf.NEW_CUSTOMER
    fs[new] = rng.integers(days - pf.NEW_CUSTOMER_DAYS, days, int(new.sum()))
    return fs


def _order_window(rng: np.random.Generator, arch: np.ndarray, fs: np.ndarray, days: int):
    start = np.maximum(fs, -pf.HISTORY_DAYS)
    stop = np.full(len(arch), days, dtype=np.int64)
    lapsing = arch == pf.LAPSING
    # Lapsing persons stop buying 150..300 days before the end date.
    stop[lapsing] = days - rng.integers(150, 300, int(lapsing.sum()))
    return start, np.maximum(stop, start)


def _dropout_day(rng: np.random.Generator, arch, order_from, order_to, days: int, hazard: np.ndarray):
    """The day each person stops buying for good, capped at the future's horizon.

    An exponential lifetime from the start of the first order day (memoryless, so persons
    first seen before the history began are simply those still alive then); a person may buy
    on every day they live into, so the dropout day is the first day they never reach.
    Lapsing persons keep their planted stop. `days + profiles.FUTURE_DAYS` stands for "not
    within the future".
    """
    draw, rate = rng.standard_exponential(len(arch)), hazard[arch]
    horizon = days + pf.FUTURE_DAYS
    lifetime = np.full(len(arch), np.inf)
    np.divide(draw, rate, out=lifetime, where=rate > 0)
    alive_days = np.clip(np.ceil(np.minimum(lifetime, horizon - order_from)), 1, None)
    dropout = order_from + alive_days.astype(np.int64)
    lapsing = arch == pf.LAPSING
    dropout[lapsing] = order_to[lapsing]
    return np.minimum(dropout, horizon)


def _crm_accounts(rng, n, is_crm, fs, arch, base_secs, days, rates):
    created = base_secs + fs * 86_400 + rng.integers(0, 86_400, n)
    eligible = is_crm & (arch != pf.NEW_CUSTOMER)
    has_second = eligible & (rng.random(n) < rates.second_crm_account)
    second_created = created + rng.integers(30, 700, n) * 86_400
    last_ok = base_secs + (days - 1) * 86_400 + rng.integers(0, 86_400, n)
    second_created = np.minimum(second_created, last_ok)
    owners = np.concatenate([np.flatnonzero(is_crm), np.flatnonzero(has_second)])
    when = np.concatenate([created[is_crm], second_created[has_second]])
    ids = _ids_by_creation(when)
    crm_id = np.zeros(n, dtype=np.int64)
    second_id = np.zeros(n, dtype=np.int64)
    n_primary = int(is_crm.sum())
    crm_id[owners[:n_primary]] = ids[:n_primary]
    second_id[owners[n_primary:]] = ids[n_primary:]
    return crm_id, np.where(is_crm, created, 0), second_id, np.where(has_second, second_created, 0)


def _subscriptions(rng, n, is_crm, consent, has_second_email):
    primary = np.where(is_crm, consent, rng.random(n) < 0.3)
    owners = np.concatenate([np.flatnonzero(primary), np.flatnonzero(has_second_email)])
    numbers = permute(np.arange(len(owners)), len(owners), 7919) + 1 if len(owners) else owners
    sub_primary = np.zeros(n, dtype=np.int64)
    sub_second = np.zeros(n, dtype=np.int64)
    k = int(primary.sum())
    sub_primary[owners[:k]] = numbers[:k]
    sub_second[owners[k:]] = numbers[k:]
    return sub_primary, sub_second


def build_persons(
    rng: np.random.Generator,
    n: int,
    days: int,
    base_secs: int,
    end_day: int,
    rates: MessRates,
    world: World | None = None,
) -> Persons:
    """Draw the customers. `base_secs` is the start date at 00:00 UTC; `end_day` is its epoch day.

    world: the archetype mix, online share and rate-multiplier noise (default: the demo's);
        its rate overrides must already be in `rates`.
    """
    world = world or World("demo")
    # A child stream: spawning leaves `rng`'s own draws (every other attribute) unchanged.
    dropout_rng = rng.spawn(1)[0]
    arch = rng.choice(len(pf.ARCHETYPES), size=n, p=world.mix()).astype(np.int8)
    is_crm = rng.random(n) < rates.crm_member
    country = (is_crm & (rng.random(n) < rates.france)).astype(np.int8)
    first = np.empty(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    place = np.empty(n, dtype=np.int64)
    for c in (0, 1):
        idx = np.flatnonzero(country == c)
        first[idx] = rng.integers(*vocab.FIRST_RANGES[c], len(idx))
        last[idx] = rng.integers(*vocab.LAST_RANGES[c], len(idx))
        place[idx] = rng.integers(*vocab.PLACE_RANGES[c], len(idx))
    width = 10 ** max(4, len(str(n)))
    fs = _first_seen(rng, arch, days)
    order_from, order_to = _order_window(rng, arch, fs, days)
    dropout_day = _dropout_day(dropout_rng, arch, order_from, order_to, days, world.dropout_rate())
    crm_id, crm_created, second_id, second_created = _crm_accounts(
        rng, n, is_crm, fs, arch, base_secs, days, rates
    )
    loyalty_share = np.where(is_crm, rates.loyalty_card, 0.8)
    has_loyalty = rng.random(n) < loyalty_share
    loyalty = np.where(has_loyalty, permute(np.arange(n), 100_000_000, 31_337), -1)
    consent = rng.random(n) < rates.marketing_consent
    has_second_email = rng.random(n) < rates.second_email
    sub_primary, sub_second = _subscriptions(rng, n, is_crm, consent, has_second_email)
    cookie_count = rng.choice(np.array([1, 2, 3]), size=n, p=[0.5, 0.3, 0.2])
    cookie_start = np.concatenate([[0], np.cumsum(cookie_count)[:-1]]) if n else cookie_count
    age_years = rng.integers(18, 81, n)
    income = (rng.random(n)[:, None] > np.cumsum(pf.INCOME_MIX, axis=1)[arch]).sum(axis=1)
    household = rng.choice(np.arange(1, 6), size=n, p=[0.28, 0.34, 0.16, 0.15, 0.07])
    return Persons(
        n=n,
        days=days,
        archetype=arch,
        country=country,
        first=first,
        last=last,
        email_num=permute(np.arange(n), width, 271),
        email_tmpl=rng.integers(0, 4, n),
        email_domain=rng.integers(0, len(vocab.EMAIL_DOMAINS), n),
        has_second_email=has_second_email,
        phone_num=phone_numbers(np.arange(n), country),
        birth_day=end_day - age_years * 365 - rng.integers(0, 365, n),
        place=place,
        postcode_num=rng.integers(0, 20 * 10 * 400, n),
        first_seen=fs,
        order_from=order_from,
        order_to=np.minimum(order_to, dropout_day),
        dropout_day=dropout_day,
        order_mult=dispersed_gamma(rng, 4.0, 0.25, world.noise, n),
        web_mult=dispersed_gamma(rng, 3.0, 1 / 3, world.noise, n),
        web_share=world.web_share()[arch],
        is_crm=is_crm,
        crm_id=crm_id,
        crm_created=crm_created,
        second_crm_id=second_id,
        second_crm_created=second_created,
        loyalty=loyalty,
        consent=consent,
        anonymous_only=~is_crm | (rng.random(n) < rates.anonymous_only),
        cookie_start=cookie_start,
        cookie_count=cookie_count,
        home_store=rng.integers(1, vocab.N_STORES + 1, n),
        sub_primary=sub_primary,
        sub_second=sub_second,
        has_demographics=rng.random(n) < rates.demographics_coverage,
        income=income,
        household=household,
        children=(household >= 3) & (rng.random(n) < 0.8),
        region=rng.choice(3, size=n, p=[0.45, 0.4, 0.15]),
        visitor=np.zeros(n, dtype=bool),
    )
