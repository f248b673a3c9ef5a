"""Churn and lifetime-value predictions scored against what the synthetic people did next.

    python -m bench.prediction_quality [--data-dir DIR] [--json]

Reads `marts.customer_predictions` and `marts.customer_identity_map` (read-only) and the
generator's `_truth/`: `identities.csv` (record -> person), `future.csv` (per customer person:
alive at the end date, orders and GBP spend in the 90 and 365 days after), `persons.csv`
(archetype) and `planted.json` (the end date, which must be the predictions' logical date).
A customer is scored as the person holding most of its records (ties: the smallest id); one
holding records of several persons (over-merged) is counted as ambiguous. Churned = no
purchase in the 90 days after (`orders_90d` = 0), the truth's only window: another
`CDP_CHURN_HORIZON_DAYS` is noted and still scored against it. Value deciles are the
platform's published `clv_decile`. Exit code 2, one line, when an input is missing or late.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.scoring_cli import data_dir_parser, report_main
from models.prediction.evaluation import classification_metrics, lift_table, normalized_gini

#: The only churn window the generator's future covers (`datagen.profiles.FUTURE_WINDOWS`).
TRUTH_HORIZON_DAYS = 90
FUTURE_COLUMNS = ("person_id", "alive_at_end", "orders_90d", "spend_90d", "orders_365d", "spend_365d")
TRUTH_FILES = ("identities.csv", "future.csv", "persons.csv", "planted.json")
PREDICTIONS_TABLE = "marts.customer_predictions"

# Records of the predicted customers, counted per (customer, person); person null outside the truth.
_RECORDS_SQL = f"""
select resolved.unified_customer_id, truth.person_id, count(*) as records
from marts.customer_identity_map as resolved
semi join {PREDICTIONS_TABLE} as predicted using (unified_customer_id)
left join read_csv(?, header = true, all_varchar = true) as truth using (source, source_record_id)
group by 1, 2
"""


class PredictionQualityError(Exception):
    """An input is missing or does not fit; the message is one line for the command line."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PredictionQualityError(message)


def majority_persons(records: pd.DataFrame) -> pd.DataFrame:
    """Per customer: the person holding most of its records, and how many persons it holds.

    records: `unified_customer_id, person_id` per source record, or per (customer, person)
        with their count in `records`; `person_id` is null for records outside the truth.
    """
    records = records if "records" in records else records.assign(records=1)
    known = records.dropna(subset=["person_id"])
    pairs = known.groupby(["unified_customer_id", "person_id"], as_index=False)["records"].sum()
    ranked = pairs.sort_values(["unified_customer_id", "records", "person_id"], ascending=[True, False, True])
    majority = ranked.drop_duplicates("unified_customer_id").rename(columns={"records": "majority_records"})
    persons = pairs.groupby("unified_customer_id").size().rename("persons")
    return majority.merge(persons, on="unified_customer_id").reset_index(drop=True)


def _num(value: Any) -> float | None:
    """A JSON-safe rounded float (NaN and None become None)."""
    return None if value is None or pd.isna(value) else round(float(value), 6)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else _num(numerator / denominator)


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-safe records (floats to 6 decimals, NaN as None)."""
    return json.loads(table.to_json(orient="records", double_precision=6))


def _totals(predicted: pd.Series, actual: pd.Series) -> dict[str, Any]:
    p, a = float(predicted.sum()), float(actual.sum())
    return {"predicted_total": _num(p), "actual_total": _num(a), "predicted_over_actual": _ratio(p, a)}


def customer_futures(
    predictions: pd.DataFrame, records: pd.DataFrame, future: pd.DataFrame, persons: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Predictions joined to their majority person's future and archetype, and the counts left out."""
    mapped = predictions.merge(majority_persons(records), on="unified_customer_id", how="inner")
    frame = mapped.merge(future, on="person_id").merge(persons, on="person_id", how="left")
    shared = frame.groupby("person_id")["unified_customer_id"].transform("size") > 1
    return frame, {
        "customers_predicted": len(predictions),
        "customers_evaluated": len(frame),
        "customers_not_in_truth": len(predictions) - len(frame),  # no record or no future of a person
        "ambiguous_customers": int((mapped["persons"] > 1).sum()),
        "customers_sharing_a_person": int(shared.sum()),
    }


def _classification(truth: np.ndarray, probability: pd.Series) -> dict[str, Any]:
    metrics = classification_metrics(truth, probability.to_numpy(dtype=float)) if len(truth) else {}
    return {k: _num(v) for k, v in metrics.items()} | {"mean_predicted": _num(probability.mean())}


def _churn(frame: pd.DataFrame, churned: np.ndarray) -> dict[str, Any]:
    """Churn metrics, lift by churn-probability decile and the At-Risk set's precision and recall."""
    at_risk = frame["is_at_risk"].eq(True).to_numpy()
    caught = int((at_risk & (churned == 1)).sum())
    return _classification(churned, frame["churn_probability"]) | {
        "at_risk": int(at_risk.sum()),
        "at_risk_precision": _ratio(caught, int(at_risk.sum())),
        "at_risk_recall": _ratio(caught, int(churned.sum())),
        "lift": _rows(lift_table(churned, frame["churn_probability"].to_numpy())) if len(frame) else [],
    }


def _value(frame: pd.DataFrame) -> dict[str, Any]:
    """Normalized Gini and, per published `clv_decile`, mean predicted 12-month value vs 365-day spend."""
    predicted, actual = frame["predicted_clv_12m"], frame["spend_365d"]
    deciles = frame.groupby("clv_decile").agg(
        customers=("spend_365d", "size"),
        predicted=("predicted_clv_12m", "mean"),
        actual=("spend_365d", "mean"),
    )
    spent = deciles["actual"].where(deciles["actual"] != 0)
    deciles["relative_error"] = (deciles["predicted"] - deciles["actual"]) / spent
    return {
        "normalized_gini": _num(normalized_gini(actual.to_numpy(), predicted.to_numpy())),
        **_totals(predicted, actual),
        "max_abs_decile_relative_error": _num(deciles["relative_error"].abs().max()),
        "deciles": _rows(deciles.reset_index().rename(columns={"clv_decile": "decile"})),
    }


def _by_archetype(frame: pd.DataFrame, churned: np.ndarray) -> list[dict[str, Any]]:
    table = frame.assign(churned=churned, archetype=frame["archetype"].fillna("unknown")).groupby("archetype")
    return _rows(
        table.agg(
            customers=("churned", "size"),
            mean_churn_probability=("churn_probability", "mean"),
            churn_rate=("churned", "mean"),
            mean_predicted_clv_12m=("predicted_clv_12m", "mean"),
            mean_spend_365d=("spend_365d", "mean"),
        ).reset_index()
    )


def prediction_quality(
    predictions: pd.DataFrame,
    records: pd.DataFrame,
    future: pd.DataFrame,
    persons: pd.DataFrame,
    horizon_days: int = TRUTH_HORIZON_DAYS,
) -> dict[str, Any]:
    """Churn, P(alive), expected orders and value of the predictions against the persons' future.

    predictions: rows of `marts.customer_predictions`; records: see `majority_persons`.
    future, persons: `_truth/future.csv` and (`person_id`, `archetype`) of `_truth/persons.csv`.
    horizon_days: the platform's churn horizon; the truth is always 90 days (see module doc).
    """
    frame, counts = customer_futures(predictions, records, future, persons)
    churned = (frame["orders_90d"] == 0).to_numpy(dtype=int)
    note = f"the churn horizon is {horizon_days} days but the truth covers {TRUTH_HORIZON_DAYS}: scored on 90"
    notes = [note] if horizon_days != TRUTH_HORIZON_DAYS else []
    orders_error = (frame["expected_orders_90d"] - frame["orders_90d"]).abs().mean()
    return {
        **counts,
        "churn_horizon_days": horizon_days,
        "truth_horizon_days": TRUTH_HORIZON_DAYS,
        "notes": notes,
        "churn": _churn(frame, churned),
        "p_alive": _classification(frame["alive_at_end"].to_numpy(dtype=int), frame["p_alive"]),
        "expected_orders_90d": {"mae": _num(orders_error)}
        | _totals(frame["expected_orders_90d"], frame["orders_90d"]),
        "value_12m": _value(frame),
        "by_archetype": _by_archetype(frame, churned),
    }


def _read_warehouse(warehouse_path: Path, identities: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions and their records per person, read-only (a running build is not disturbed)."""
    import duckdb

    _require(warehouse_path.exists(), f"no warehouse at {warehouse_path}")
    try:
        con = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.IOException as error:  # a build holds the write lock
        raise PredictionQualityError(f"cannot open {warehouse_path}: {str(error).splitlines()[0]}") from error
    try:
        predictions = con.execute(f"select * from {PREDICTIONS_TABLE}").df()
        return predictions, con.execute(_RECORDS_SQL, [str(identities)]).df()
    except duckdb.CatalogException as error:
        message = f"no predictions in {warehouse_path} ({str(error).splitlines()[0]}): run `cdp predict`"
        raise PredictionQualityError(message) from error
    finally:
        con.close()


def evaluate_predictions(
    warehouse_path: Path | str, truth_dir: Path | str, horizon_days: int
) -> dict[str, Any]:
    """`prediction_quality` of the warehouse's predictions, after checking the inputs (see module doc)."""
    truth_dir = Path(truth_dir)
    missing = [name for name in TRUTH_FILES if not (truth_dir / name).exists()]
    _require(not missing, f"no ground truth at {truth_dir} (missing {', '.join(missing)})")
    predictions, records = _read_warehouse(Path(warehouse_path), truth_dir / "identities.csv")
    dates = sorted({pd.Timestamp(d).date().isoformat() for d in predictions["logical_date"].dropna()})
    end = str(json.loads((truth_dir / "planted.json").read_text(encoding="utf-8")).get("end"))
    _require(len(dates) == 1, f"{PREDICTIONS_TABLE} holds {', '.join(dates) or 'no rows'}: expected one date")
    _require(dates[0] == end, f"predictions are for {dates[0]} but the truth's future starts after {end}")
    future = pd.read_csv(truth_dir / "future.csv", dtype={"person_id": str})
    absent = [c for c in FUTURE_COLUMNS if c not in future]
    _require(not absent, f"{truth_dir / 'future.csv'} lacks columns {', '.join(absent)}")
    persons = pd.read_csv(truth_dir / "persons.csv", usecols=["person_id", "archetype"], dtype=str)
    versions = {
        m: sorted(set(predictions[f"{m}_model_version"].dropna().astype(int))) for m in ("churn", "clv")
    }
    figures = prediction_quality(predictions, records, future, persons, horizon_days)
    return {"logical_date": end, "model_versions": versions, **figures}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 10 else f"{value:.3f}"
    return "n/a" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _table(name: str, rows: list[dict[str, Any]]) -> list[str]:
    """The table's name, then right-aligned columns named after the rows' keys."""
    cells = [list(rows[0])] + [[_fmt(v) for v in row.values()] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return [f"  {name}:", *[f"    {line}" for line in lines]]


def _section(title: str, figures: dict[str, Any]) -> list[str]:
    """A title, the scalar figures as `name value` pairs (wrapped, never inside a pair), then the tables."""
    pairs = "   ".join(f"{k}\xa0{_fmt(v)}" for k, v in figures.items() if not isinstance(v, list | dict))
    wrapped = [line.replace("\xa0", " ") for line in textwrap.wrap(pairs, 106)]
    tables = [line for k, v in figures.items() if isinstance(v, list) and v for line in _table(k, v)]
    return ["", title, *[f"  {line}" for line in wrapped], *tables]


def render_text(result: dict[str, Any]) -> str:
    """The result as a readable report."""
    counts = {k: v for k, v in result.items() if k.startswith(("customers_", "ambiguous"))}
    versions = {m: "/".join(map(str, v)) for m, v in result["model_versions"].items()}
    horizon = result["truth_horizon_days"]
    lines = [
        f"Prediction quality against the ground truth: logical date {result['logical_date']}",
        f"  warehouse {result['warehouse']}; churn model v{versions['churn']}, value model v{versions['clv']}",
        *[f"  note: {note}" for note in result["notes"]],
        *_section("Customers (ambiguous: records of several persons, scored as the majority)", counts),
        *_section(
            f"1. Churn: no purchase in the {horizon} days after (lift: 10 = riskiest)", result["churn"]
        ),
        *_section("2. P(alive) against alive at the end date", result["p_alive"]),
        *_section("3. Expected orders in the 90 days after", result["expected_orders_90d"]),
        *_section("4. 12-month value (GBP) against 365-day spend, by clv_decile", result["value_12m"]),
        *_section("5. By archetype", {"archetypes": result["by_archetype"]}),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the prediction quality of the configured (or given) data directory; exit 2 when it cannot."""
    prog = "python -m bench.prediction_quality"

    def compute(settings, _args) -> dict[str, Any]:
        figures = evaluate_predictions(
            settings.warehouse_path, settings.truth_dir, settings.churn_horizon_days
        )
        return {"warehouse": str(settings.warehouse_path), **figures}

    parser = data_dir_parser(prog, __doc__.split("\n")[0])
    return report_main(parser, compute, render_text, prog, (PredictionQualityError,), argv)


if __name__ == "__main__":
    sys.exit(main())
