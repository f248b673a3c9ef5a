"""Campaigns with holdout groups: the `campaign_log` drops, the planted uplift and its truth."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from datagen import profiles as pf
from datagen.campaign_truth import CAMPAIGN_COLUMNS, MEMBER_COLUMNS
from datagen.campaigns import ATTRIBUTION_DAYS, CAMPAIGNS, HOLDOUT_SHARE, ORDER_NUMBER_BASE, plan_campaigns
from datagen.context import Context, epoch_day, stream_rng
from datagen.generator import SOURCES, generate
from datagen.mess import Tally
from datagen.persons import build_persons
from datagen.profiles import MessRates
from tests.datagen.landing import as_utc, read_truth, tree_digest

#: The landing contract of the campaign log, copied from docs/contracts.md on purpose.
LOG_COLUMNS = [
    "campaign_id",
    "campaign_name",
    "channel",
    "subscriber_id",
    "customer_id",
    "email",
    "group",
    "assigned_at",
]
START, END = date(2026, 6, 1), date(2026, 6, 16)
LONDON = ZoneInfo("Europe/London")
#: No malformed lines: every landing order can be read back to recount the baseline.
CLEAN = MessRates(malformed_line=0.0)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(with campaigns, without campaign_log) for 800 persons over 16 days, same seed."""
    root = tmp_path_factory.mktemp("campaigns")
    generate(root / "with", 800, START, END, seed=9, rates=CLEAN)
    generate(root / "without", 800, START, END, seed=9, rates=CLEAN, sources=SOURCES[:-1])
    return root / "with", root / "without"


def _csv(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _log_rows(root):
    return [row for path in sorted((root / "campaign_log").glob("*/campaign_log.csv")) for row in _csv(path)]


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _planted_ids(root) -> dict[tuple[str, str], dict]:
    return {
        (m["order_source"], m["order_id"]): m
        for m in read_truth(root, "campaign_members.csv")
        if m["order_id"]
    }


def test_campaigns_change_nothing_but_their_own_lines(runs):
    with_, without = runs
    full, base = tree_digest(with_), tree_digest(without)
    changed = {p for p in base if full[p] != base[p]}
    assert {p.split("/")[0] for p in changed} <= {"web_orders", "pos_orders", "_truth"}
    assert {p for p in changed if p.startswith("_truth")} <= {
        "_truth/identities.csv",
        "_truth/planted.json",
        "_truth/planted_lines.csv",
    }
    planted = _planted_ids(with_)
    assert planted
    for path in changed - {p for p in changed if p.startswith("_truth")}:
        new, old = _lines(with_ / path), _lines(without / path)
        assert new[: len(old)] == old, path  # every baseline line where it was
        source = path.split("/")[0]
        assert {(source, line.split(",")[0]) for line in new[len(old) :]} <= set(planted), path
    identities = set(_lines(with_ / "_truth/identities.csv"))
    assert set(_lines(without / "_truth/identities.csv")) <= identities
    assert set(_lines(without / "_truth/planted_lines.csv")) <= set(
        _lines(with_ / "_truth/planted_lines.csv")
    )
    doc, base_doc = (json.loads((r / "_truth/planted.json").read_text()) for r in runs)
    assert doc.pop("campaigns")["planted_orders"] == len(planted)
    assert doc.pop("sources") == [*base_doc.pop("sources"), "campaign_log"]
    counts, base_counts = doc.pop("counts"), base_doc.pop("counts")
    assert {k: v for k, v in counts.items() if "campaign" not in k} == base_counts
    rows, base_rows = doc.pop("rows"), base_doc.pop("rows")
    assert rows.pop("campaign_log") and {s: rows[s] for s in ("crm_customers", "web_events")} == {
        s: base_rows[s] for s in ("crm_customers", "web_events")
    }
    assert doc.pop("identities") > base_doc.pop("identities")
    assert doc == base_doc


def test_same_seed_same_campaigns_and_the_seed_matters(runs, tmp_path):
    with_, _ = runs
    generate(tmp_path / "again", 800, START, END, seed=9, rates=CLEAN)
    generate(tmp_path / "other", 800, START, END, seed=10, rates=CLEAN)
    ours = ["campaign_log/2026-06-01/campaign_log.csv", "_truth/campaigns.csv", "_truth/campaign_members.csv"]
    first, again, other = (tree_digest(r) for r in (with_, tmp_path / "again", tmp_path / "other"))
    assert all(first[p] == again[p] for p in ours)
    assert all(first[p] != other[p] for p in ours)


def test_the_log_is_dropped_on_each_start_date_with_the_contract_header(runs):
    with_, _ = runs
    days = sorted(p.name for p in (with_ / "campaign_log").iterdir())
    assert days == ["2026-06-01", "2026-06-10"]
    for day in days:
        path = with_ / "campaign_log" / day / "campaign_log.csv"
        assert _lines(path)[0] == ",".join(LOG_COLUMNS)
        rows = _csv(path)
        assert {r["assigned_at"][:10] for r in rows} == {day}
        assert {r["channel"] for r in rows} == {"email"} and {r["group"] for r in rows} == {
            "treatment",
            "holdout",
        }
    rows = _log_rows(with_)
    assert {r["campaign_id"] for r in rows} == {"CMP-2026-06-A", "CMP-2026-06-B"}
    assert any(not r["customer_id"] for r in rows)  # a few members lack their CRM id
    assert any(r["email"] != r["email"].strip().lower() for r in rows)  # emails as a CRM writes them
    assert all(r["email"].strip() for r in rows)


def test_the_log_and_the_members_truth_agree(runs):
    with_, _ = runs
    owner = {
        r["source_record_id"]: r["person_id"]
        for r in read_truth(with_, "identities.csv")
        if r["source"] == "campaign_log"
    }
    persons = {p["person_id"]: p for p in read_truth(with_, "persons.csv")}
    logged = {(r["campaign_id"], owner[r["subscriber_id"]]): r for r in _log_rows(with_)}
    truth = {(m["campaign_id"], m["person_id"]): m for m in read_truth(with_, "campaign_members.csv")}
    assert list(read_truth(with_, "campaign_members.csv")[0]) == list(MEMBER_COLUMNS)
    assert logged.keys() == truth.keys()
    for key, m in truth.items():
        row, person = logged[key], persons[key[1]]
        assert (row["group"], row["assigned_at"]) == (m["group"], m["assigned_at"])
        assert row["email"].strip().lower() == person["email"]
        assert row["customer_id"] in ("", person["crm_customer_id"])
    # A repeated line is the same member twice, never a second person.
    assert len(_log_rows(with_)) >= len(logged)


def test_only_treated_members_get_planted_orders_and_each_is_in_the_landing_files(runs):
    with_, _ = runs
    members = read_truth(with_, "campaign_members.csv")
    assert all(m["group"] == "treatment" for m in members if m["converted_by_campaign"] == "1")
    assert all(m["order_id"] == "" for m in members if m["converted_by_campaign"] == "0")
    planted = _planted_ids(with_)
    assert len(planted) == sum(m["converted_by_campaign"] == "1" for m in members)
    owner = {
        (r["source"], r["source_record_id"]): r["person_id"] for r in read_truth(with_, "identities.csv")
    }
    found = defaultdict(list)
    for source in ("web_orders", "pos_orders"):
        for path in sorted((with_ / source).glob("*/*.csv")):
            for row in _csv(path):
                key = (source, row["order_id" if source == "web_orders" else "transaction_id"])
                if key in planted:
                    found[key].append(row)
    assert found.keys() == planted.keys()
    for key, rows in found.items():
        member = planted[key]
        assert owner[key] == member["person_id"] and int(key[1][1:]) > ORDER_NUMBER_BASE
        assigned = as_utc(member["assigned_at"])
        for row in rows:
            at = _order_time(key[0], row)
            assert assigned < at <= assigned + timedelta(days=ATTRIBUTION_DAYS)
            assert row.get("order_status", "completed") == "completed"
            assert int(row["quantity"]) > 0 and float(row["unit_price"]) > 0


def _order_time(source: str, row: dict) -> datetime:
    if source == "web_orders":
        return as_utc(row["ordered_at"])
    local = datetime.fromisoformat(row["transacted_at"]).replace(tzinfo=LONDON)
    return local.astimezone(UTC)


def test_baseline_conversions_in_the_truth_are_the_members_own_completed_orders(runs):
    with_, _ = runs
    owner = {
        (r["source"], r["source_record_id"]): r["person_id"] for r in read_truth(with_, "identities.csv")
    }
    planted, completed = _planted_ids(with_), defaultdict(list)
    for source, key in (("web_orders", "order_id"), ("pos_orders", "transaction_id")):
        by_order = defaultdict(list)
        for path in sorted((with_ / source).glob("*/*.csv")):
            for row in _csv(path):
                by_order[row[key]].append(row)
        for order_id, rows in by_order.items():
            is_completed = rows[0].get("order_status", "completed") == "completed"
            if (
                (source, order_id) not in planted
                and is_completed
                and all(int(r["quantity"]) > 0 for r in rows)
            ):
                completed[owner[(source, order_id)]].append(_order_time(source, rows[0]))
    members = read_truth(with_, "campaign_members.csv")
    for m in members:
        start = as_utc(m["assigned_at"])
        bought = any(start < t <= start + timedelta(days=ATTRIBUTION_DAYS) for t in completed[m["person_id"]])
        assert m["baseline_converted"] == str(int(bought)), m
    assert 0 < sum(m["baseline_converted"] == "1" for m in members) < len(members)


def test_the_campaigns_truth_counts_members_and_weights_the_uplift(runs):
    with_, _ = runs
    archetype = {p["person_id"]: p["archetype"] for p in read_truth(with_, "persons.csv")}
    members = read_truth(with_, "campaign_members.csv")
    rows = read_truth(with_, "campaigns.csv")
    assert list(rows[0]) == list(CAMPAIGN_COLUMNS)
    groups = Counter((m["campaign_id"], archetype[m["person_id"]], m["group"]) for m in members)
    for campaign_id in ("CMP-2026-06-A", "CMP-2026-06-B"):
        mine = [r for r in rows if r["campaign_id"] == campaign_id]
        *parts, total = mine
        assert total["archetype"] == "all" and {r["attribution_days"] for r in mine} == {"14"}
        for r in parts:
            a = r["archetype"]
            assert int(r["members_treatment"]) == groups[(campaign_id, a, "treatment")]
            assert int(r["members_holdout"]) == groups[(campaign_id, a, "holdout")]
            assert float(r["planted_uplift"]) == pytest.approx(pf.CAMPAIGN_UPLIFT[pf.ARCHETYPES.index(a)])
            lift = float(r["planted_uplift"]) * (1 - float(r["baseline_conversion_rate"]))
            assert float(r["expected_conversion_lift"]) == pytest.approx(lift, abs=1e-6)
        treated = [int(r["members_treatment"]) for r in parts]
        assert int(total["members_treatment"]) == sum(treated)
        assert int(total["members_holdout"]) == sum(int(r["members_holdout"]) for r in parts)
        weighted = sum(float(r["planted_uplift"]) * t for r, t in zip(parts, treated, strict=True)) / sum(
            treated
        )
        assert float(total["planted_uplift"]) == pytest.approx(weighted, abs=1e-6)
        converted = sum(m["converted_by_campaign"] == "1" for m in members if m["campaign_id"] == campaign_id)
        assert int(total["planted_orders"]) == converted == sum(int(r["planted_orders"]) for r in parts)


# The plan on a large population (no files) -------------------------------------------------


@pytest.fixture(scope="module")
def big_plan():
    """The campaigns of 60,000 persons over 30 days, with the context they were drawn in."""
    start, days, n = date(2026, 6, 1), 30, 60_000
    base = epoch_day(start) * 86_400
    persons = build_persons(stream_rng(3, "persons"), n, days, base, epoch_day(start) + days - 1, MessRates())
    ctx = Context(None, persons, start, 3, MessRates(), Tally(), None, None, 10_000)
    return ctx, plan_campaigns(ctx)


def test_planted_conversions_follow_the_archetype_uplift_and_spare_the_holdout(big_plan):
    ctx, plan = big_plan
    archetype = ctx.persons.archetype[plan.person]
    converts = plan.order_day >= 0
    assert not converts[plan.holdout].any()
    for a, uplift in enumerate(pf.CAMPAIGN_UPLIFT[:5]):
        treated = ~plan.holdout & (archetype == a)
        if treated.sum() < 1000:
            continue
        share, sigma = converts[treated].mean(), np.sqrt(max(uplift * (1 - uplift), 1e-9) / treated.sum())
        assert abs(share - uplift) < 4 * sigma + 1e-9, pf.ARCHETYPES[a]
    assert plan.holdout.mean() == pytest.approx(HOLDOUT_SHARE, abs=0.02)


def test_planted_orders_fall_inside_the_window_after_the_assignment(big_plan):
    ctx, plan = big_plan
    converts = plan.order_day >= 0
    start = np.array(plan.starts)[plan.campaign[converts]]
    assert (plan.order_day[converts] > start).all()
    assert (plan.order_day[converts] <= start + ATTRIBUTION_DAYS - 1).all()
    assert np.unique(plan.order_day[converts] - start).tolist() == list(range(1, ATTRIBUTION_DAYS))


def test_audiences_are_consenting_crm_customers_and_the_win_back_aims_at_lapsing(big_plan):
    ctx, plan = big_plan
    p = ctx.persons
    assert p.is_crm[plan.person].all() and p.consent[plan.person].all()
    assert (p.crm_created[plan.person] < plan.assigned).all()
    assert [CAMPAIGNS[c].letter for c in range(len(plan.ids))] == ["A", "B"]
    win_back = Counter(p.archetype[plan.person[plan.campaign == 0]].tolist())
    broad = Counter(p.archetype[plan.person[plan.campaign == 1]].tolist())
    assert win_back.most_common(1)[0][0] == pf.LAPSING and pf.NEW_CUSTOMER not in win_back
    assert broad[pf.CHAMPION] > 10 * win_back[pf.CHAMPION]
    for c in (0, 1):  # one listing per person and campaign
        assert len(np.unique(plan.person[plan.campaign == c])) == int((plan.campaign == c).sum())


def test_every_archetype_has_a_planted_uplift_within_zero_and_one():
    assert len(pf.CAMPAIGN_UPLIFT) == len(pf.ARCHETYPES)
    assert ((pf.CAMPAIGN_UPLIFT >= 0) & (pf.CAMPAIGN_UPLIFT <= 1)).all()
    assert pf.CAMPAIGN_UPLIFT[pf.CHAMPION] == 0 and pf.CAMPAIGN_UPLIFT[pf.LAPSING] == 0.05


# Short windows ------------------------------------------------------------------------------


def test_a_one_day_window_runs_no_campaign_but_still_delivers_the_log(tmp_path):
    generate(tmp_path, 100, START, START, seed=2)
    assert _lines(tmp_path / "campaign_log/2026-06-01/campaign_log.csv") == [",".join(LOG_COLUMNS)]
    assert _lines(tmp_path / "_truth/campaign_members.csv") == [",".join(MEMBER_COLUMNS)]
    assert _lines(tmp_path / "_truth/campaigns.csv") == [",".join(CAMPAIGN_COLUMNS)]


def test_a_two_day_window_starts_both_campaigns_on_the_first_day(tmp_path):
    generate(tmp_path, 300, START, START + timedelta(days=1), seed=2)
    assert sorted(p.name for p in (tmp_path / "campaign_log").iterdir()) == ["2026-06-01"]
    members = read_truth(tmp_path, "campaign_members.csv")
    assert {m["campaign_id"] for m in members} == {"CMP-2026-06-A", "CMP-2026-06-B"}
    assert {m["assigned_at"][:10] for m in members} == {"2026-06-01"}
    planted = [m for m in members if m["order_id"]]
    assert planted
    for m in planted:
        folder = "web_orders" if m["order_source"] == "web_orders" else "pos_orders"
        text = (tmp_path / folder / "2026-06-02" / f"{folder}.csv").read_text(encoding="utf-8")
        assert f"\n{m['order_id']}," in text
