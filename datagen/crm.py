"""CRM contacts (incremental daily drops) and the vendor's demographics (weekly full refresh)."""

from __future__ import annotations

import hashlib

import numpy as np

from datagen import clock, mess, render, vocab
from datagen.context import Context

DAY = clock.DAY
NAME_CASE = (str.upper, str.lower)


class CrmSource:
    """Writes `crm_customers`: every contact on the first day, then new and changed ones."""

    def __init__(self, ctx: Context) -> None:
        p = ctx.persons
        self.ctx = ctx
        primary = np.flatnonzero(p.is_crm)
        second = np.flatnonzero(p.second_crm_id > 0)
        person = np.concatenate([primary, second])
        ids = np.concatenate([p.crm_id[primary], p.second_crm_id[second]])
        created = np.concatenate([p.crm_created[primary], p.second_crm_created[second]])
        is_second = np.concatenate([np.zeros(len(primary), bool), np.ones(len(second), bool)])
        order = np.argsort(ids, kind="stable")
        self.person, self.ids = person[order], ids[order]
        self.created, self.is_second = created[order], is_second[order]
        self.created_day = (self.created - ctx.base_secs) // DAY
        self.written = np.zeros(len(self.ids), dtype=bool)

    def write_day(self, d: int) -> None:
        """Write day `d`'s drop: the full export on day 0, new + updated contacts later."""
        ctx, rates = self.ctx, self.ctx.rates
        rng = ctx.rng("crm_customers", d)
        day_end = ctx.base_secs + (d + 1) * DAY
        if d == 0:
            rows = np.flatnonzero(self.created_day <= 0)
            updated = self.created[rows] + (rng.random(len(rows)) * (day_end - self.created[rows])).astype(
                np.int64
            )
        else:
            new = np.flatnonzero(self.created_day == d)
            old = np.flatnonzero(
                (self.created_day < d) & (rng.random(len(self.ids)) < rates.crm_daily_update)
            )
            ctx.tally.add("crm_update", len(old))
            rows = np.concatenate([new, old])
            since = np.maximum(self.created[rows], day_end - DAY)
            updated = since + (rng.random(len(rows)) * (day_end - since)).astype(np.int64)
            order = np.argsort(updated, kind="stable")  # an incremental export, oldest change first
            rows, updated = rows[order], updated[order]
        drop = ctx.open_drop("crm_customers", d)
        for k, part in ctx.chunks(np.arange(len(rows))):
            self._write_chunk(drop, rows[part], updated[part], ctx.rng("crm_customers", d, k + 1))
        ctx.close_drop(drop, d)

    def _write_chunk(self, drop, acc: np.ndarray, updated: np.ndarray, rng: np.random.Generator) -> None:
        ctx, rates, p = self.ctx, self.ctx.rates, self.ctx.persons
        pi, n, tally = self.person[acc], len(acc), ctx.tally
        typo_mask = rng.random(n) < rates.name_typo
        on_first = rng.random(n) < 0.5
        tally.add("name_typo", int(typo_mask.sum()))
        first = mess.apply_typos(render.first_names(p, pi), typo_mask & on_first, rng)
        last = mess.apply_typos(render.last_names(p, pi), typo_mask & ~on_first, rng)
        email = mess.apply_email_mess(
            render.emails(p, pi), rng, rates.email_messy, tally, "email_messy:crm_customers"
        )
        columns = [
            render.customer_ids(self.ids[acc]),
            first,
            last,
            email,
            self._phones(pi, rng),
            self._missing(render.birth_dates(p, pi), rates.missing_birth_date, rng, "birth_date"),
            self._postcodes(pi, rng),
            self._cities(pi, rng),
            mess.country_spellings(p.country[pi], rng, rates.country_variant, tally),
            [
                "" if s else x
                for s, x in zip(self.is_second[acc].tolist(), render.loyalty_ids(p.loyalty[pi]), strict=True)
            ],
            self._consents(pi, rng),
            clock.iso_mixed(self.created[acc], rng.random(n) < 0.5),
            clock.iso_mixed(updated, rng.random(n) < 0.5),
        ]
        dup = np.flatnonzero(rng.random(n) < rates.crm_exact_duplicate)
        planted = []
        if len(dup):
            # The duplicate line follows its original immediately.
            order = np.sort(np.concatenate([np.arange(n), dup]), kind="stable")
            columns = [[col[i] for i in order.tolist()] for col in columns]
            planted = [(int(pos), "exact_duplicate") for pos in np.flatnonzero(np.diff(order) == 0) + 1]
        drop.write_rows(columns, planted)
        self._record_identities(acc)

    def _record_identities(self, acc: np.ndarray) -> None:
        fresh = acc[~self.written[acc]]
        self.written[fresh] = True
        self.ctx.identities.write(
            "crm_customers", render.customer_ids(self.ids[fresh]), render.person_ids(self.person[fresh])
        )

    def _gone(self, n: int, rate: float, rng, name: str) -> np.ndarray:
        gone = rng.random(n) < rate
        self.ctx.tally.add(f"missing_{name}", int(gone.sum()))
        return gone

    def _missing(self, values: list[str], rate: float, rng, name: str) -> list[str]:
        gone = self._gone(len(values), rate, rng, name)
        return ["" if g else v for v, g in zip(values, gone.tolist(), strict=True)]

    def _phones(self, pi: np.ndarray, rng) -> list[str]:
        p, rates, n = self.ctx.persons, self.ctx.rates, len(pi)
        gone = self._gone(n, rates.missing_phone, rng, "phone")
        fmt = np.where(rng.random(n) < rates.phone_nonstandard, rng.integers(1, 5, n), 0)
        out = []
        for c, nsn, f, g in zip(
            p.country[pi].tolist(), p.phone_num[pi].tolist(), fmt.tolist(), gone.tolist(), strict=True
        ):
            if g:
                out.append("")
                continue
            out.append(mess.format_phone(c, nsn, f))
            self.ctx.tally.add(f"phone_format:{mess.PHONE_FORMATS[c][f]}")
        return out

    def _postcodes(self, pi: np.ndarray, rng) -> list[str]:
        values = render.postcodes(self.ctx.persons, pi)
        variant, u = rng.random(len(pi)) < self.ctx.rates.postcode_variant, rng.random(len(pi))
        self.ctx.tally.add("postcode_variant", int(variant.sum()))
        return [
            mess.postcode_variant(v, uu) if m else v
            for v, m, uu in zip(values, variant.tolist(), u.tolist(), strict=True)
        ]

    def _cities(self, pi: np.ndarray, rng) -> list[str]:
        values = render.cities(self.ctx.persons, pi)
        gone = self._gone(len(pi), self.ctx.rates.missing_city, rng, "city")
        variant = (rng.random(len(pi)) < self.ctx.rates.city_case_variant) & ~gone
        u = rng.random(len(pi))
        self.ctx.tally.add("city_case_variant", int(variant.sum()))
        return [
            "" if g else NAME_CASE[int(uu * 2)](v) if m else v
            for v, g, m, uu in zip(values, gone.tolist(), variant.tolist(), u.tolist(), strict=True)
        ]

    def _consents(self, pi: np.ndarray, rng) -> list[str]:
        style = rng.integers(0, 4, len(pi))
        spell = vocab.CONSENT_SPELLINGS
        return [
            spell[c][s]
            for c, s in zip(self.ctx.persons.consent[pi].astype(int).tolist(), style.tolist(), strict=True)
        ]


class DemographicsSource:
    """Writes `demographics` on day 0 and every 7th day: all persons the vendor knows."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.known = np.flatnonzero(ctx.persons.has_demographics)
        self.n_strangers = int(round(ctx.persons.n_customers * ctx.rates.demographics_non_customers))

    def write_day(self, d: int) -> None:
        """Write the full vendor file when `d` is a delivery day (0, 7, 14, ...)."""
        if d % 7:
            return
        ctx, p = self.ctx, self.ctx.persons
        drop = ctx.open_drop("demographics", d)
        end_day = ctx.start_day + ctx.days - 1
        for _, pi in ctx.chunks(self.known):
            age = (end_day - p.birth_day[pi]) // 365
            self._write(
                drop, render.emails(p, pi), age, p.income[pi], p.household[pi], p.children[pi], p.region[pi]
            )
        for k, idx in ctx.chunks(np.arange(self.n_strangers)):
            rng = ctx.rng("demographics", 0, k)  # the same strangers every week
            n = len(idx)
            first = rng.integers(0, len(vocab.FIRST_SLUGS), n).tolist()
            household = rng.integers(1, 6, n)
            emails = [
                f"{vocab.FIRST_SLUGS[f]}-{i}@{vocab.EMAIL_DOMAINS[i % 6]}"
                for f, i in zip(first, idx.tolist(), strict=True)
            ]
            self._write(
                drop,
                emails,
                rng.integers(18, 81, n),
                rng.integers(0, 3, n),
                household,
                (household >= 3) & (rng.random(n) < 0.8),
                rng.integers(0, 3, n),
            )
        ctx.close_drop(drop, d)

    @staticmethod
    def _write(drop, emails, age, income, household, children, region) -> None:
        band = np.searchsorted(np.array([25, 35, 45, 55, 65]), age, side="right")
        drop.write_rows(
            [
                [hashlib.sha256(e.encode()).hexdigest() for e in emails],
                [vocab.AGE_BANDS[b] for b in band.tolist()],
                [vocab.INCOME_BANDS[i] for i in income.tolist()],
                [str(h) for h in household.tolist()],
                ["true" if c else "false" for c in children.tolist()],
                [vocab.REGION_TYPES[r] for r in region.tolist()],
            ]
        )
