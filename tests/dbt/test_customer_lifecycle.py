"""marts.customer_lifecycle over the planted warehouse: every customer, one stage, the documented rule."""

from __future__ import annotations

import statistics
from datetime import date

import pandas as pd
import pytest
import yaml

from customer_platform.config import REPO_ROOT
from tests.dbt.silver_fixture import LOGICAL_DATE

STAGES = ["anonymous", "prospect", "new", "active", "at_risk", "lapsed"]  # in rank order
VARS = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]


@pytest.fixture()
def lifecycle(query) -> pd.DataFrame:
    frame = query("select * from marts.customer_lifecycle order by unified_customer_id")
    return frame.set_index("unified_customer_id", verify_integrity=True)


def _customer_of(query, source: str, record_id: str) -> str:
    return query(
        "select unified_customer_id from marts.customer_identity_map where source = ? and source_record_id = ?",
        [source, record_id],
    )["unified_customer_id"].item()


def test_one_row_per_dim_customer(query, lifecycle):
    customers = query("select unified_customer_id from marts.dim_customers")["unified_customer_id"]
    assert sorted(lifecycle.index) == sorted(customers)
    # Customers outside RFM (no order) and outside the features (no order, no event) are here too.
    rfm = set(query("select unified_customer_id from marts.customer_rfm")["unified_customer_id"])
    assert len(set(lifecycle.index) - rfm) > 20
    assert (lifecycle["logical_date"] == pd.Timestamp(LOGICAL_DATE)).all()


def test_stages_are_the_accepted_set_with_their_ranks(lifecycle):
    assert set(lifecycle["lifecycle_stage"]) <= set(STAGES)
    ranks = lifecycle["lifecycle_stage"].map({stage: rank for rank, stage in enumerate(STAGES, start=1)})
    assert (lifecycle["lifecycle_stage_rank"] == ranks).all()
    # The planted people spread over several stages (a rule stuck on one stage would fail).
    assert lifecycle["lifecycle_stage"].nunique() >= 4, lifecycle["lifecycle_stage"].value_counts()


def test_anonymous_exactly_when_every_identifier_is_a_cookie_id(query, lifecycle):
    identifiers = query(
        "select unified_customer_id, "
        "bool_and(identifier_type = 'cookie_id') as only_cookies, "
        "bool_or(identifier_type in ('email', 'phone')) as has_contact "
        "from restricted.pii.customer_identifiers group by unified_customer_id"
    ).set_index("unified_customer_id")
    assert set(identifiers.index) == set(lifecycle.index)
    only_cookies = identifiers["only_cookies"].reindex(lifecycle.index)
    assert ((lifecycle["lifecycle_stage"] == "anonymous") == only_cookies).all()
    assert (lifecycle["is_known"] == ~only_cookies).all()
    assert (lifecycle["is_reachable"] == identifiers["has_contact"].reindex(lifecycle.index)).all()
    # The visitor who never logs in is anonymous; Alice's shared computer does not make her so.
    assert lifecycle.loc[_customer_of(query, "web_events", "K-ANON"), "lifecycle_stage"] == "anonymous"
    assert lifecycle.loc[_customer_of(query, "web_events", "K-SHARED"), "is_known"]


def _expected_order_facts(query) -> pd.DataFrame:
    """Lifetime order facts recomputed from marts.fct_orders (completed, not guest, up to the date)."""
    orders = query(
        "select unified_customer_id, order_date from marts.fct_orders "
        "where is_completed and not is_guest and order_date <= ?",
        [LOGICAL_DATE],
    )
    rows = []
    for customer, group in orders.groupby("unified_customer_id"):
        days = sorted({d.date() for d in pd.to_datetime(group["order_date"])})
        gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
        own = len(group) >= VARS["lifecycle_min_orders_for_cadence"] and gaps
        rows.append(
            {
                "unified_customer_id": customer,
                "first_order_date": days[0],
                "last_order_date": days[-1],
                "lifetime_orders": len(group),
                "days_since_last_order": (LOGICAL_DATE - days[-1]).days,
                "typical_days_between_orders": float(statistics.median(gaps)) if own else None,
            }
        )
    return pd.DataFrame(rows).set_index("unified_customer_id")


def test_order_facts_are_the_completed_orders_up_to_the_logical_date(query, lifecycle):
    expected = _expected_order_facts(query)
    buyers = lifecycle[lifecycle["lifetime_orders"] > 0]
    assert sorted(buyers.index) == sorted(expected.index)
    actual = buyers[expected.columns].copy()
    for column in ("first_order_date", "last_order_date"):
        actual[column] = pd.to_datetime(actual[column]).dt.date
    pd.testing.assert_frame_equal(
        actual.sort_index(), expected.sort_index(), check_dtype=False, check_index_type=False
    )


def test_prospects_have_no_orders(query, lifecycle):
    prospects = lifecycle[lifecycle["lifecycle_stage"] == "prospect"]
    assert len(prospects) > 20  # the family contacts without orders, at least
    assert (prospects["lifetime_orders"] == 0).all()
    assert prospects[["first_order_date", "last_order_date", "days_since_last_order"]].isna().all().all()
    buyers = set(
        query("select unified_customer_id from marts.fct_orders where is_completed and not is_guest")[
            "unified_customer_id"
        ]
    )
    assert not buyers & set(prospects.index)


def _stage(row, new_days: int, lapsed_days: int, at_risk_min: int, multiple: float) -> str:
    """The documented rule, first match wins."""
    if not row.is_known:
        return "anonymous"
    if row.lifetime_orders == 0:
        return "prospect"
    if row.days_since_last_order > lapsed_days:
        return "lapsed"
    if (LOGICAL_DATE - pd.Timestamp(row.first_order_date).date()).days < new_days:
        return "new"
    if row.days_since_last_order > max(at_risk_min, multiple * row.expected_days_between_orders):
        return "at_risk"
    return "active"


def test_the_stage_rule_holds_on_every_row(lifecycle):
    lapsed_days = VARS["lifecycle_lapsed_days"]
    own = lifecycle["typical_days_between_orders"].dropna()
    fallback = own.median() if len(own) else float(lapsed_days)
    expected_gap = lifecycle["typical_days_between_orders"].fillna(fallback)
    assert lifecycle["expected_days_between_orders"].tolist() == pytest.approx(expected_gap.tolist())
    stages = [
        _stage(
            row,
            VARS["lifecycle_new_days"],
            lapsed_days,
            VARS["lifecycle_at_risk_min_days"],
            VARS["lifecycle_at_risk_cadence_multiple"],
        )
        for row in lifecycle.itertuples()
    ]
    assert lifecycle["lifecycle_stage"].tolist() == stages


def test_planted_people(query, lifecycle):
    def stage(source: str, record_id: str) -> str:
        return lifecycle.loc[_customer_of(query, source, record_id), "lifecycle_stage"]

    # Alice: completed orders 20 and 10 days ago (the returned and cancelled ones do not count).
    alice = lifecycle.loc[_customer_of(query, "crm_customers", "C0000001")]
    assert (alice.lifetime_orders, alice.first_order_date.date()) == (2, date(2026, 6, 10))
    assert stage("crm_customers", "C0000001") == "new"
    # Dave's one order, 200 days ago: past twice any cadence, not yet a year.
    assert stage("crm_customers", "C0000004") == "at_risk"
    # A family contact without orders, and Erin's near-miss subscriber address.
    assert stage("crm_customers", "C0000120") == "prospect"
    assert stage("email_engagement", "S0000006") == "prospect"


def test_vars_given_to_the_platform_reach_the_rule(built_warehouse):
    from customer_platform.warehouse import dbt_target_dir, run_dbt

    # compile only: the shared warehouse keeps the default thresholds for the other tests.
    run_dbt(
        ["compile", "--select", "customer_lifecycle", "--vars", "{lifecycle_lapsed_days: 180}"],
        str(LOGICAL_DATE),
    )
    compiled = next(
        dbt_target_dir(built_warehouse.settings).glob("compiled/**/customer_lifecycle.sql")
    ).read_text()
    assert "days_since_last_order > 180 then 'lapsed'" in compiled
    assert f"date '{LOGICAL_DATE}'" in compiled
