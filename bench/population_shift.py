"""Whether the buyers the prediction models learn from behave like the ones they are judged on.

    python -m bench.population_shift [--data-dir DIR] [--json]

Churn and lifetime value learn from observation dates before the logical date L (the training
dates, then the validation date V = L - horizon; `models.prediction.churn.plan_observation_dates`)
and score the buyers as of L. A model can only carry over what those dates show. This bench sets
the dates side by side with the generator's truth:

1. **per observation date and archetype** (each customer is the person holding most of its
   records, `bench.prediction_quality.majority_persons`): the buyers as of the date and the share
   who buy again in the horizon after it, the planted campaign orders left out (behaviour no
   model as of the date can foresee, `bench.value_holdout_ceiling`); the same for the
   **newcomers**, buyers whose first purchase is at most `NEWCOMER_DAYS` before the date;
2. **the scoring night** (L): the same shares from the generator's future (`_truth/future.csv`,
   orders in the 90 days after L);
3. **cohorts without precedent**: archetypes with no buyer on any training date, and the
   12-month value deciles of the platform's predictions (as `bench.prediction_quality` scores
   them) with and without those customers.

Exit code 2, one line, when an input is missing (see `bench.prediction_quality`).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.prediction_quality import _RECORDS_SQL, PredictionQualityError, majority_persons
from bench.scoring_cli import data_dir_parser, report_main
from bench.value_holdout_ceiling import PLANTED_ORDERS_JOIN
from bench.value_noise_floor import TOLERANCE
from models.prediction.evaluation import decile_of

ORDER = ("observation_date", "role")
#: A newcomer's first purchase is at most this many days before the observation date.
NEWCOMER_DAYS = 30

_PURCHASES_SQL = f"""
select orders.unified_customer_id, orders.order_date, planted.order_id is not null as campaign
from marts.fct_orders as orders
left join {PLANTED_ORDERS_JOIN}
where orders.unified_customer_id is not null and orders.is_completed
"""


def repeat_shares(purchases: pd.DataFrame, as_of: dt.date, horizon_days: int) -> pd.DataFrame:
    """Per archetype: buyers as of `as_of`, the share buying again in (as_of, as_of + horizon], newcomers.

    purchases: one row per purchase (`unified_customer_id`, `order_date`, `campaign`, `archetype`);
    campaign purchases count as history but never as buying again. An `all` row comes last.
    """
    end = as_of + dt.timedelta(days=horizon_days)
    before = purchases[purchases["order_date"] <= as_of]
    after = purchases[(purchases["order_date"] > as_of) & (purchases["order_date"] <= end)]
    buyers = before.groupby("unified_customer_id").agg(
        first=("order_date", "min"), archetype=("archetype", "first")
    )
    buyers["again"] = buyers.index.isin(after.loc[~after["campaign"], "unified_customer_id"])
    buyers["newcomer"] = [(as_of - d).days <= NEWCOMER_DAYS for d in buyers["first"]]
    return _shares(buyers.assign(archetype=buyers["archetype"].fillna("unknown")))


def _shares(customers: pd.DataFrame) -> pd.DataFrame:
    # customers: `archetype`, `again` (bool), `newcomer` (bool) -> the table of repeat_shares.
    rows = []
    for name, group in [*customers.groupby("archetype", sort=True), ("all", customers)]:
        new = group[group["newcomer"]]
        rows.append(
            {
                "archetype": name,
                "buyers": len(group),
                "buy_again_share": float(group["again"].mean()) if len(group) else float("nan"),
                "newcomers": len(new),
                "newcomers_buy_again_share": float(new["again"].mean()) if len(new) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def deciles_within(predicted: np.ndarray, actual: np.ndarray) -> int:
    """Predicted-value deciles whose mean predicted is within `TOLERANCE` of the mean actual."""
    frame = pd.DataFrame({"decile": decile_of(predicted), "predicted": predicted, "actual": actual})
    means = frame.groupby("decile").mean()
    error = (means["predicted"] - means["actual"]).abs() / means["actual"].where(means["actual"] != 0)
    both_zero = (means["predicted"] == 0) & (means["actual"] == 0)
    return int(((error <= TOLERANCE) | both_zero).sum())


def _read(con, truth_dir: Path) -> tuple[dt.date, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    dates = con.execute("select distinct logical_date from marts.customer_predictions").fetchall()
    if len(dates) != 1:
        raise PredictionQualityError(f"marts.customer_predictions holds {len(dates)} dates: expected one")
    persons = pd.read_csv(truth_dir / "persons.csv", usecols=["person_id", "archetype"], dtype=str)
    customers = majority_persons(con.execute(_RECORDS_SQL, [str(truth_dir / "identities.csv")]).df())
    customers = customers[["unified_customer_id", "person_id"]].merge(persons, on="person_id", how="left")
    purchases = con.execute(_PURCHASES_SQL, [str(truth_dir / "campaign_members.csv")]).df()
    purchases["order_date"] = pd.to_datetime(purchases["order_date"]).dt.date
    purchases = purchases.merge(customers, on="unified_customer_id", how="left")
    predictions = con.execute(
        "select unified_customer_id, predicted_clv_12m from marts.customer_predictions"
    ).df()
    return pd.Timestamp(dates[0][0]).date(), purchases, customers, predictions


def _scoring_night(
    predictions: pd.DataFrame, customers: pd.DataFrame, future: pd.DataFrame, purchases: pd.DataFrame, logical
) -> pd.DataFrame:
    frame = predictions.merge(customers, on="unified_customer_id").merge(future, on="person_id")
    first = purchases.groupby("unified_customer_id")["order_date"].min()
    frame["newcomer"] = [
        (logical - first[c]).days <= NEWCOMER_DAYS if c in first.index else False
        for c in frame["unified_customer_id"]
    ]
    return frame.assign(again=frame["orders_90d"] > 0, archetype=frame["archetype"].fillna("unknown"))


def _value_deciles_within(frame: pd.DataFrame) -> int:
    return deciles_within(frame["predicted_clv_12m"].to_numpy(float), frame["spend_365d"].to_numpy(float))


def population_shift(warehouse: Path, truth_dir: Path, horizon_days: int) -> dict[str, Any]:
    """Repeat-purchase shares per date and archetype; value deciles with and without unseen cohorts."""
    import duckdb

    from models.prediction.churn import ChurnConfig, plan_observation_dates
    from models.prediction.snapshot import first_purchase_date

    needed = ("identities.csv", "persons.csv", "campaign_members.csv", "future.csv")
    missing = [name for name in needed if not (truth_dir / name).exists()]
    if missing:
        raise PredictionQualityError(f"no ground truth at {truth_dir} (missing {', '.join(missing)})")
    if not warehouse.exists():
        raise PredictionQualityError(f"no warehouse at {warehouse}")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        logical, purchases, customers, predictions = _read(con, truth_dir)
        plan = plan_observation_dates(
            logical, first_purchase_date(con), ChurnConfig(horizon_days=horizon_days)
        )
    except duckdb.CatalogException as error:
        raise PredictionQualityError(f"no predictions in {warehouse}: run `cdp predict`") from error
    finally:
        con.close()
    dates = [(d, "training") for d in sorted(plan.training_dates)] + [(plan.validation_date, "validation")]
    tables = [
        repeat_shares(purchases, day, horizon_days).assign(observation_date=day.isoformat(), role=role)
        for day, role in dates
    ]
    future = pd.read_csv(
        truth_dir / "future.csv", usecols=["person_id", "orders_90d", "spend_365d"], dtype={"person_id": str}
    )
    night = _scoring_night(predictions, customers, future, purchases, logical)
    tables.append(_shares(night).assign(observation_date=logical.isoformat(), role="scoring"))
    shares = pd.concat(tables, ignore_index=True)
    training = shares[(shares["role"] == "training") & (shares["archetype"] != "all")]
    seen = set(training.loc[training["buyers"] > 0, "archetype"])
    unseen = sorted(set(night["archetype"]) - seen)
    rest = night[~night["archetype"].isin(unseen)]
    return {
        "logical_date": logical.isoformat(),
        "horizon_days": horizon_days,
        "newcomer_days": NEWCOMER_DAYS,
        "shares": shares[[*ORDER, *shares.columns[:5]]].round(3).to_dict(orient="records"),
        "archetypes_without_precedent": unseen,
        "scored_customers": len(night),
        "customers_without_precedent": int(len(night) - len(rest)),
        "value_deciles_within": _value_deciles_within(night),
        "value_deciles_within_without_them": _value_deciles_within(rest),
    }


def render_text(result: dict[str, Any]) -> str:
    """The figures as a short report."""
    shares = pd.DataFrame(result["shares"])
    wide = shares.pivot_table(
        index=["observation_date", "role"], columns="archetype", values="buy_again_share", sort=True
    )
    new = shares[shares["archetype"] == "all"][["observation_date", "role", "buyers", "newcomers"]].assign(
        newcomers_buy_again=shares.loc[shares["archetype"] == "all", "newcomers_buy_again_share"]
    )
    unseen = ", ".join(result["archetypes_without_precedent"]) or "none"
    return "\n".join(
        [
            f"share of buyers buying again within {result['horizon_days']} days (campaign orders left out)",
            wide.to_string(float_format=lambda v: f"{v:.3f}"),
            f"newcomers (first purchase within {result['newcomer_days']} days of the date)",
            new.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"archetypes with no buyer on any training date: {unseen} "
            f"({result['customers_without_precedent']:,} of {result['scored_customers']:,} scored customers)",
            f"12-month value deciles within 20 % of the future: {result['value_deciles_within']}/10; "
            f"without those customers {result['value_deciles_within_without_them']}/10",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: prints the report (or JSON); exit 2 with one line when an input is missing."""
    parser = data_dir_parser("python -m bench.population_shift", __doc__.split("\n")[0])
    return report_main(
        parser,
        lambda settings, _: population_shift(
            settings.warehouse_path, settings.truth_dir, settings.churn_horizon_days
        ),
        render_text,
        "population shift",
        (PredictionQualityError, FileNotFoundError),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
