"""Seeded synthetic landing data with planted messiness and its ground truth.

`generate()` writes `out_dir/<source>/<YYYY-MM-DD>/<file>` for every day from `start` to
`end`, plus `out_dir/_truth/` (identities.csv, persons.csv, planted.json,
planted_lines.csv, future.csv, what each customer buys after the end date, and the planted
campaigns' campaigns.csv and campaign_members.csv, datagen/campaigns.py). Memory
stays bounded at a million persons: the population is a set of numpy arrays, and every
file is generated and written one chunk at a time. A world (datagen/worlds.py) changes
who the population is; the default is the demo.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from datagen import render
from datagen.campaign_truth import write_campaign_truth
from datagen.campaigns import CampaignLogSource, CampaignPlan, plan_campaigns
from datagen.context import Context, epoch_day, stream_rng
from datagen.crm import CrmSource, DemographicsSource
from datagen.events import EmailSource, WebEventSource
from datagen.future import write_future_csv
from datagen.members import MemberFileSource
from datagen.mess import Tally
from datagen.orders import OrderSources
from datagen.persons import Persons, build_persons
from datagen.profiles import ARCHETYPES, FUTURE_DAYS, MessRates
from datagen.visitors import build_visitors, join_persons
from datagen.worlds import World
from datagen.writers import IdentityWriter, PlantedLog

#: Sources the generator writes (the shipped demo contracts), in writing order.
SOURCES: tuple[str, ...] = (
    "crm_customers",
    "web_orders",
    "pos_orders",
    "web_events",
    "email_engagement",
    "demographics",
    "campaign_log",  # appended: its campaigns add orders to web_orders / pos_orders, nothing else
)

#: Sources written only on request: the member file of the person-file scenario.
OPTIONAL_SOURCES: tuple[str, ...] = ("scheme_members",)
ALL_SOURCES: tuple[str, ...] = SOURCES + OPTIONAL_SOURCES

DEFAULT_CHUNK = 100_000
TRUTH_DIR = "_truth"


@dataclass
class GenerationReport:
    """What one `generate()` call wrote."""

    out_dir: Path
    customers: int
    start: date
    end: date
    seed: int
    sources: tuple[str, ...]
    rows: dict[str, dict[str, int]]  # source -> day -> data lines written
    planted: dict[str, int]  # see planted.json "counts"
    archetypes: dict[str, int]
    identities: int
    files: list[str] = field(default_factory=list)

    def total_rows(self, source: str | None = None) -> int:
        """Data lines written for one source, or for all sources."""
        names = [source] if source else list(self.rows)
        return sum(sum(self.rows.get(s, {}).values()) for s in names)


def _check_args(
    customers: int, start: date, end: date, sources: tuple[str, ...], member_file_share: float
) -> None:
    if not 0.0 <= member_file_share <= 1.0:
        raise ValueError(f"member_file_share must be within 0..1, got {member_file_share!r}")
    if "scheme_members" in sources and member_file_share == 0.0:
        raise ValueError("source scheme_members needs member_file_share above 0")
    if customers <= 0:
        raise ValueError(f"customers must be positive, got {customers}")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    unknown = sorted(set(sources) - set(ALL_SOURCES))
    if unknown:
        raise ValueError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(ALL_SOURCES)}")


def clear_output(out_dir: Path) -> None:
    """Remove what a previous generation wrote (source folders and `_truth`), nothing else."""
    for name in (*ALL_SOURCES, TRUTH_DIR):
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)


def generate(
    out_dir: Path,
    customers: int,
    start: date,
    end: date,
    seed: int = 42,
    rates: MessRates | None = None,
    progress: bool = False,
    sources: Iterable[str] | None = None,
    chunk: int = DEFAULT_CHUNK,
    member_file_share: float = 0.0,
    world: World | None = None,
) -> GenerationReport:
    """Write daily drops for `customers` persons from `start` to `end` (inclusive) into `out_dir`.

    Same arguments, same bytes. Previous generator output in `out_dir` is replaced.
    sources: write only these sources (default all seven); truth covers what was written.
        Without `campaign_log` no campaign runs: no campaign orders, no campaign truth.
    chunk: rows per generated chunk, the knob that bounds memory.
    member_file_share: above 0, also write `scheme_members`, a loyalty-scheme member file of
        this share of all persons with names, birth date and address but no email, phone or
        card (the person-file scenario, see datagen/members.py). 0 (the default) leaves the
        demo output byte-identical.
    world: archetype mix, online share, anonymous traffic, noise and rate overrides (applied
        over `rates`); None or the `demo` world leaves the demo output byte-identical.
    """
    default = SOURCES + (OPTIONAL_SOURCES if member_file_share > 0 else ())
    selected = default if sources is None else tuple(dict.fromkeys(sources))
    _check_args(customers, start, end, selected, member_file_share)
    world = world or World("demo")
    rates = world.mess_rates(rates or MessRates())
    out_dir = Path(out_dir)
    clear_output(out_dir)
    truth = out_dir / TRUTH_DIR
    truth.mkdir(parents=True, exist_ok=True)
    days = (end - start).days + 1
    tally = Tally()
    persons = _population(seed, customers, days, epoch_day(start), rates, world)
    ctx = Context(
        out_dir=out_dir,
        persons=persons,
        start=start,
        seed=seed,
        rates=rates,
        tally=tally,
        planted=PlantedLog(truth / "planted_lines.csv", tally),
        identities=IdentityWriter(truth / "identities.csv"),
        chunk=chunk,
    )
    render.write_persons_csv(truth / "persons.csv", ctx.persons, ctx.start_day, chunk)
    campaigns = plan_campaigns(ctx) if "campaign_log" in selected else None
    writers = _source_writers(ctx, selected, member_file_share, campaigns)
    try:
        for d in range(days):
            for w in writers:
                w.write_day(d)
            if progress:
                _print_progress(ctx, d)
    finally:
        ctx.planted.close()
        ctx.identities.close()
    write_future_csv(ctx, truth / "future.csv")
    campaign_summary = write_campaign_truth(ctx, campaigns, truth) if campaigns is not None else None
    report = GenerationReport(
        out_dir=out_dir,
        customers=customers,
        start=start,
        end=end,
        seed=seed,
        sources=selected,
        rows={s: ctx.rows.get(s, {}) for s in selected},
        planted=dict(sorted(tally.items())),
        archetypes=_archetype_counts(ctx.persons, world),
        identities=ctx.identities.rows,
    )
    _write_planted_json(
        truth / "planted.json", report, rates, ctx, member_file_share, world, campaign_summary
    )
    report.files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    return report


def _population(seed: int, customers: int, days: int, start_day: int, rates: MessRates, world: World):
    """The customers, then the world's anonymous visitors (each from its own random stream)."""
    base_secs, end_day = start_day * 86_400, start_day + days - 1
    persons = build_persons(stream_rng(seed, "persons"), customers, days, base_secs, end_day, rates, world)
    count = world.visitors(customers)
    if not count:
        return persons
    visitors = build_visitors(stream_rng(seed, "visitors"), persons, count, base_secs, end_day, world)
    return join_persons(persons, visitors)


def _archetype_counts(persons: Persons, world: World) -> dict[str, int]:
    """Persons per archetype the world draws (so the demo lists its five only)."""
    mix = world.mix()
    return {a: int((persons.archetype == i).sum()) for i, a in enumerate(ARCHETYPES) if mix[i] > 0}


def _source_writers(
    ctx: Context, selected: tuple[str, ...], member_file_share: float, campaigns: CampaignPlan | None
) -> list:
    writers: list = []
    if "crm_customers" in selected:
        writers.append(CrmSource(ctx))
    if "web_orders" in selected or "pos_orders" in selected:
        writers.append(OrderSources(ctx, "web_orders" in selected, "pos_orders" in selected, campaigns))
    if "web_events" in selected:
        writers.append(WebEventSource(ctx))
    if "email_engagement" in selected:
        writers.append(EmailSource(ctx))
    if "demographics" in selected:
        writers.append(DemographicsSource(ctx))
    if "scheme_members" in selected:
        writers.append(MemberFileSource(ctx, member_file_share))
    if campaigns is not None:
        writers.append(CampaignLogSource(ctx, campaigns))
    return writers


def _print_progress(ctx: Context, d: int) -> None:
    label = ctx.day_label(d)
    counts = " ".join(f"{s}={days[label]}" for s, days in ctx.rows.items() if label in days)
    print(f"datagen: day {d + 1}/{ctx.days} {label} {counts}", file=sys.stderr, flush=True)


def _write_planted_json(
    path: Path,
    report: GenerationReport,
    rates: MessRates,
    ctx: Context,
    member_file_share: float,
    world: World,
    campaigns: dict | None,
) -> None:
    p = ctx.persons
    population = {
        "persons": p.n,
        "crm_persons": int(p.is_crm.sum()),
        "pos_only_persons": int((~p.is_crm & ~p.visitor).sum()),
        "second_crm_accounts": int((p.second_crm_id > 0).sum()),
        "persons_with_loyalty_card": int((p.loyalty >= 0).sum()),
        "anonymous_only_browsers": int(p.anonymous_only.sum()),
        "second_email_subscribers": int((p.sub_second > 0).sum()),
        "persons_with_demographics": int(p.has_demographics.sum()),
        "france_persons": int((p.country == 1).sum()),
    }
    doc = {
        "seed": report.seed,
        "customers": report.customers,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "sources": list(report.sources),
        "rates": rates.as_dict(),
        "archetypes": report.archetypes,
        "population": population,
        "counts": report.planted,
        "rows": report.rows,
        "identities": report.identities,
        "planted_lines_file": f"{TRUTH_DIR}/planted_lines.csv",
        "dropout": _dropout_summary(p, world, report.archetypes),
    }
    if member_file_share > 0:  # absent by default: the demo's truth stays byte-identical
        doc["member_file_share"] = member_file_share
    if campaigns is not None:
        doc["campaigns"] = campaigns
    if not world.is_demo:  # likewise
        doc["world"] = world.as_dict()
        population["anonymous_visitors"] = int(p.visitor.sum())
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _dropout_summary(p: Persons, world: World, archetypes: dict[str, int]) -> dict:
    """The planted dropout hazards, who is still buying at the end date, and the future's file."""
    customer = ~p.visitor
    alive = customer & (p.dropout_day >= p.days)
    rate = world.dropout_rate()
    return {
        "rate_per_day": {a: float(rate[ARCHETYPES.index(a)]) for a in archetypes},
        "lapsing_stop": "planted 150..300 days before the end date instead of a hazard",
        "alive_at_end": {a: int((alive & (p.archetype == ARCHETYPES.index(a))).sum()) for a in archetypes},
        "future_days": FUTURE_DAYS,
        "future_file": f"{TRUTH_DIR}/future.csv",
    }
