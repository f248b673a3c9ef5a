"""What the lifetime-value holdout asks of a model: spend from customers who had already stopped buying.

    python -m bench.value_holdout_ceiling [--data-dir DIR] [--tie-orders 1000] [--json]

The value training evaluates its candidates on the holdout (V, L], V = L - horizon, over the
buyers as of V (`models.prediction.value_training`), and the value target counts the predicted-value
deciles whose mean predicted spend is within 20 % of the mean actual. This bench sets that
holdout beside the generator's truth:

1. each holdout customer is the person holding most of its records
   (`bench.prediction_quality.majority_persons`); **stopped** = that person's `dropout_date`
   (`persons.csv`) is on or before V: their baseline behaviour buys nothing after V, so the
   best possible prediction for them is 0;
2. **campaign spend** = the holdout spend of the orders the planted campaigns caused
   (`campaign_members.csv` order ids), behaviour no model fitted on the history up to V can
   foresee;
3. **the ceiling of a perfect model**: one predicting every customer's baseline expectation
   exactly ranks the stopped customers lowest (all at 0, ties in any order); a decile made only
   of them has mean predicted 0, so it is within 20 % only if its mean actual is 0 too. Over
   `tie-orders` random orders of the ties: how many deciles at most can be within, giving every
   other decile the benefit of the doubt;
4. **the platform**, scored as the training scores it (the champions, predicted as of V), per
   decile: mean predicted, mean actual, mean actual without the campaign orders, and the share of
   stopped customers.

Exit code 2, one line, when an input is missing (see `bench.prediction_quality`).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# The predictions hold every buyer as of the logical date, so every holdout customer's records.
from bench.prediction_quality import _RECORDS_SQL, PredictionQualityError, majority_persons
from bench.scoring_cli import data_dir_parser, report_main
from bench.value_noise_floor import TOLERANCE
from models.prediction.evaluation import DECILES, decile_of, value_decile_table

#: The order ids the planted campaigns caused (`campaign_members.csv`, its path the parameter), joined
#: to `marts.fct_orders as orders`: a platform order id ends in the landing's.
PLANTED_ORDERS_JOIN = """(
    select distinct order_id from read_csv(?, header = true, all_varchar = true) where order_id <> ''
) as planted on orders.order_id like '%:' || planted.order_id"""

# Holdout spend of the orders the planted campaigns caused, per customer.
_CAMPAIGN_SQL = f"""
select orders.unified_customer_id, sum(orders.merchandise_net_amount) as campaign_spend,
       count(*) as campaign_orders
from marts.fct_orders as orders
join {PLANTED_ORDERS_JOIN}
where orders.order_date > ? and orders.order_date <= ?
group by 1
"""


def perfect_model_ceiling(actual: np.ndarray, stopped: np.ndarray, tie_orders: int, seed: int = 0) -> dict:
    """Deciles within tolerance, at most, for a model predicting 0 exactly for the `stopped` customers.

    Every decile holding a customer who has not stopped is counted as within (the benefit of the
    doubt); a decile of stopped customers only fails when its mean actual is above 0. Returns the
    most and the mean over `tie_orders` random orders of the tied zeros, and the share of orders
    reaching all ten.
    """
    actual, stopped = np.asarray(actual, dtype=float), np.asarray(stopped, dtype=bool)
    rng = np.random.default_rng(seed)
    # The stopped customers take the lowest positions (in a random order), and decile_of breaks ties by position.
    deciles = decile_of(np.arange(len(actual), dtype=float))
    first = int(stopped.sum())
    only_stopped = [d for d in range(1, DECILES + 1) if (deciles == d).any() and (deciles[first:] != d).all()]
    at = deciles[:first]
    spent = actual[stopped] > 0
    counts = []
    for _ in range(tie_orders):
        shuffled = rng.permutation(spent)
        counts.append(DECILES - sum(bool(shuffled[at == d].any()) for d in only_stopped))
    counts_array = np.asarray(counts)
    return {
        "tie_orders": tie_orders,
        "deciles_of_stopped_only": len(only_stopped),
        "most_deciles_within": int(counts_array.max()) if len(counts_array) else DECILES,
        "mean_deciles_within": float(counts_array.mean()) if len(counts_array) else float(DECILES),
        "share_all_ten_within": float((counts_array == DECILES).mean()) if len(counts_array) else 1.0,
    }


def platform_deciles(
    predicted: np.ndarray, actual: np.ndarray, campaign_spend: np.ndarray, stopped: np.ndarray
) -> pd.DataFrame:
    """Per predicted-value decile: the value table, the actual without campaign orders, the share stopped."""
    table = value_decile_table(actual, predicted)
    frame = pd.DataFrame(
        {
            "decile": decile_of(predicted),
            "baseline": actual - campaign_spend,
            "stopped": stopped.astype(float),
        }
    )
    extra = frame.groupby("decile").agg(
        actual_without_campaigns=("baseline", "mean"), stopped_share=("stopped", "mean")
    )
    return table.merge(extra.reset_index(), on="decile")


def _holdout(con, truth_dir: Path, validation: dt.date, horizon: int) -> pd.DataFrame:
    from models.prediction.snapshot import KEY, btyd_summary, future_outcomes

    summary = btyd_summary(con, validation)
    outcomes = future_outcomes(con, summary[KEY], validation, horizon)
    records = con.execute(_RECORDS_SQL, [str(truth_dir / "identities.csv")]).df()
    persons = pd.read_csv(truth_dir / "persons.csv", usecols=["person_id", "dropout_date"], dtype=str)
    campaign = con.execute(
        _CAMPAIGN_SQL,
        [str(truth_dir / "campaign_members.csv"), validation, validation + dt.timedelta(days=horizon)],
    ).df()
    frame = (
        summary.assign(actual=outcomes["future_spend"].to_numpy())
        .merge(majority_persons(records)[[KEY, "person_id"]], on=KEY, how="left", validate="one_to_one")
        .merge(persons, on="person_id", how="left", validate="many_to_one")
        .merge(campaign, on=KEY, how="left", validate="one_to_one")
        .fillna({"campaign_spend": 0.0, "campaign_orders": 0})
    )
    frame["stopped"] = pd.to_datetime(frame["dropout_date"]).dt.date.le(validation).fillna(False).astype(bool)
    return frame


def _platform_predictions(
    con, frame: pd.DataFrame, validation: dt.date, horizon: int
) -> tuple[np.ndarray, dict]:
    from models.prediction.clv import predict_value
    from models.prediction.registered_models import CHURN_CHAMPION_URI, CLV_CHAMPION_URI, CLV_EXPERIMENT
    from models.prediction.snapshot import KEY
    from models.prediction.value_training import churn_probability_as_of
    from models.registry import load_python_model, resolve_model_version
    from models.tracking import configure_mlflow

    configure_mlflow(CLV_EXPERIMENT)
    churn_version, clv_version = (
        resolve_model_version(CHURN_CHAMPION_URI),
        resolve_model_version(CLV_CHAMPION_URI),
    )
    parameters = load_python_model(clv_version).parameters
    churn = churn_probability_as_of(con, str(churn_version.version), frame[KEY], validation)
    value = predict_value(parameters, frame, horizon, churn)
    spend = (value["expected_orders_90d"] * value["expected_spend_per_order"]).to_numpy()
    return spend, {
        "churn": int(churn_version.version),
        "clv": int(clv_version.version),
        "candidate": parameters.candidate,
    }


def value_holdout_ceiling(warehouse: Path, truth_dir: Path, horizon: int, tie_orders: int) -> dict[str, Any]:
    """The holdout's stopped customers, their campaign spend, a perfect model's ceiling and the platform's deciles."""
    import duckdb

    missing = [
        n for n in ("identities.csv", "persons.csv", "campaign_members.csv") if not (truth_dir / n).exists()
    ]
    if missing:
        raise PredictionQualityError(f"no ground truth at {truth_dir} (missing {', '.join(missing)})")
    if tie_orders < 1:
        raise PredictionQualityError(f"--tie-orders must be 1 or more, got {tie_orders}")
    if not warehouse.exists():
        raise PredictionQualityError(f"no warehouse at {warehouse}")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        dates = con.execute("select distinct logical_date from marts.customer_predictions").fetchall()
        if len(dates) != 1:
            raise PredictionQualityError(f"marts.customer_predictions holds {len(dates)} dates: expected one")
        validation = pd.Timestamp(dates[0][0]).date() - dt.timedelta(days=horizon)
        frame = _holdout(con, truth_dir, validation, horizon)
        predicted, versions = _platform_predictions(con, frame, validation, horizon)
    except duckdb.CatalogException as error:
        raise PredictionQualityError(f"no predictions in {warehouse}: run `cdp predict`") from error
    finally:
        con.close()
    actual, stopped = frame["actual"].to_numpy(float), frame["stopped"].to_numpy(bool)
    table = platform_deciles(predicted, actual, frame["campaign_spend"].to_numpy(float), stopped)
    return {
        "validation_date": validation.isoformat(),
        "horizon_days": horizon,
        "holdout_customers": len(frame),
        "stopped_customers": int(stopped.sum()),
        "stopped_spend": round(float(actual[stopped].sum()), 2),
        "stopped_campaign_spend": round(float(frame.loc[stopped, "campaign_spend"].sum()), 2),
        "campaign_orders": int(frame["campaign_orders"].sum()),
        "campaign_spend": round(float(frame["campaign_spend"].sum()), 2),
        "perfect_model": perfect_model_ceiling(actual, stopped, tie_orders),
        "platform": {
            "models": versions,
            "deciles_within": int((table["relative_error"].abs() <= TOLERANCE).sum()),
            "deciles_within_without_campaigns": int(
                (
                    (
                        (table["predicted"] - table["actual_without_campaigns"])
                        / table["actual_without_campaigns"]
                    ).abs()
                    <= TOLERANCE
                ).sum()
            ),  # fmt: skip
            "deciles": table.round(3).to_dict(orient="records"),
        },
    }


def render_text(result: dict[str, Any]) -> str:
    """The figures as a short report."""
    perfect, platform = result["perfect_model"], result["platform"]
    lines = [
        f"holdout after {result['validation_date']} ({result['horizon_days']} days): {result['holdout_customers']:,} customers",
        f"  stopped buying by then (truth): {result['stopped_customers']:,}; their holdout spend "
        f"{result['stopped_spend']:,.2f}, of which campaign orders {result['stopped_campaign_spend']:,.2f}",
        f"  campaign orders in the holdout: {result['campaign_orders']}, spend {result['campaign_spend']:,.2f}",
        f"perfect model of baseline behaviour: at most {perfect['most_deciles_within']}/10 deciles within 20 % "
        f"(mean {perfect['mean_deciles_within']:.1f} over {perfect['tie_orders']} tie orders; all ten in "
        f"{perfect['share_all_ten_within']:.0%})",
        f"platform ({platform['models']['candidate']}, clv v{platform['models']['clv']}): "
        f"{platform['deciles_within']}/10 within; against spend without campaign orders "
        f"{platform['deciles_within_without_campaigns']}/10",
        pd.DataFrame(platform["deciles"]).to_string(index=False),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: prints the report (or JSON); exit 2 with one line when an input is missing."""
    parser = data_dir_parser("python -m bench.value_holdout_ceiling", __doc__.split("\n")[0])
    parser.add_argument("--tie-orders", type=int, default=1000)
    return report_main(
        parser,
        lambda settings, args: value_holdout_ceiling(
            settings.warehouse_path, settings.truth_dir, settings.churn_horizon_days, args.tie_orders
        ),
        render_text,
        "value holdout ceiling",
        (PredictionQualityError, FileNotFoundError),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
