"""A loyalty-scheme member file sharing no key with the CRM (the person-file scenario).

Each member row carries names, birth date, street address, postcode and city, and no
email, phone or card: the member can only be linked to the same person's CRM contact
through those attributes (probabilistic matching). Written once, as a full export on the
first day, when `generate(member_file_share=...)` is above zero.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from datagen import clock, mess, render, vocab
from datagen.context import Context
from datagen.persons import permute

SOURCE = "scheme_members"
#: Members whose address in the scheme differs from their CRM address (they moved).
MOVED_SHARE = 0.05
#: Member rows whose surname is written in capitals.
UPPER_SURNAME_SHARE = 0.3


def member_ids(numbers: np.ndarray) -> list[str]:
    """`M0000123` member numbers."""
    return render.fmt_ids("M", 7, numbers)


class MemberFileSource:
    """Writes `scheme_members`: a share of all customers (CRM contacts or not) on day 0."""

    def __init__(self, ctx: Context, share: float) -> None:
        self.ctx = ctx
        rng = ctx.rng(SOURCE, 0)
        # Anonymous visitors are known nowhere, so never in the member file.
        self.person = np.flatnonzero((rng.random(ctx.persons.n) < share) & ~ctx.persons.visitor)
        self.numbers = permute(np.arange(len(self.person)), 10_000_000, 4_711) + 1

    def write_day(self, d: int) -> None:
        """Write the full member export on day 0; nothing on later days."""
        if d:
            return
        drop = self.ctx.open_drop(SOURCE, d)
        for k, part in self.ctx.chunks(np.arange(len(self.person))):
            self._write_chunk(drop, part, self.ctx.rng(SOURCE, d, k + 1))
        self.ctx.close_drop(drop, d)

    def _write_chunk(self, drop, rows: np.ndarray, rng: np.random.Generator) -> None:
        ctx, rates, p = self.ctx, self.ctx.rates, self.ctx.persons
        pi, n, tally = self.person[rows], len(rows), ctx.tally
        typo_mask = rng.random(n) < rates.name_typo
        on_first = rng.random(n) < 0.5
        tally.add("name_typo:scheme_members", int(typo_mask.sum()))
        first = mess.apply_typos(render.first_names(p, pi), typo_mask & on_first, rng)
        last = mess.apply_typos(render.last_names(p, pi), typo_mask & ~on_first, rng)
        upper = rng.random(n) < UPPER_SURNAME_SHARE
        last = [s.upper() if u else s for s, u in zip(last, upper.tolist(), strict=True)]
        no_birth = rng.random(n) < rates.missing_birth_date
        tally.add("missing_birth_date:scheme_members", int(no_birth.sum()))
        births = ["" if g else b for b, g in zip(render.birth_dates(p, pi), no_birth.tolist(), strict=True)]
        street, postcode, city = self._addresses(pi, rng)
        joined = ctx.base_secs + p.first_seen[pi] * 86_400 + rng.integers(0, 86_400, n)
        joined = np.minimum(joined, ctx.base_secs)
        changed = ctx.base_secs + rng.integers(0, 86_400, n)
        drop.write_rows(
            [
                member_ids(self.numbers[rows]),
                first,
                last,
                births,
                street,
                postcode,
                city,
                mess.country_spellings(p.country[pi], rng, rates.country_variant, tally),
                clock.iso_naive(joined),
                clock.iso_naive(changed),
            ]
        )
        ctx.identities.write(SOURCE, member_ids(self.numbers[rows]), render.person_ids(pi))

    def _addresses(self, pi: np.ndarray, rng: np.random.Generator):
        """Street, postcode and city; a share of members moved since the CRM last heard."""
        p, rates, n = self.ctx.persons, self.ctx.rates, len(pi)
        moved = rng.random(n) < MOVED_SHARE
        self.ctx.tally.add("moved:scheme_members", int(moved.sum()))
        # Moved within their town: a new postcode and street, the same city.
        number = p.postcode_num.copy()
        number[pi[moved]] = rng.integers(0, 20 * 10 * 400, int(moved.sum()))
        shifted = replace(p, postcode_num=number)
        postcodes = render.postcodes(shifted, pi)
        variant, u = rng.random(n) < rates.postcode_variant, rng.random(n)
        postcodes = [
            mess.postcode_variant(v, uu) if m else v
            for v, m, uu in zip(postcodes, variant.tolist(), u.tolist(), strict=True)
        ]
        cities = render.cities(shifted, pi)
        upper = rng.random(n) < rates.city_case_variant
        cities = [c.upper() if m else c for c, m in zip(cities, upper.tolist(), strict=True)]
        house = (number[pi] * 7 + pi) % 180 + 1
        streets = [
            f"{h} {vocab.STREET_NAMES[(k * 31 + pl) % len(vocab.STREET_NAMES)]}"
            for h, k, pl in zip(house.tolist(), number[pi].tolist(), p.place[pi].tolist(), strict=True)
        ]
        return streets, postcodes, cities
