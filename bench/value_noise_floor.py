"""How close can any model come on the value deciles? The generator's own expectation against what happened.

    python -m bench.value_noise_floor [--data-dir DIR] [--replicates 200] [--json]

The value target compares, per predicted-value decile, the mean predicted spend with the mean
actual spend (within 20 %). Actual spend is a draw: a decile of a few hundred customers whose
mean rests on a few dozen purchases moves by chance alone. This bench measures that floor on
the demo's own population, with no model in the way:

1. the customers the platform scored (`marts.customer_predictions`) are mapped to the persons
   of the generator's truth (`bench.prediction_quality.customer_futures`);
2. their future after the end date is replayed `replicates` times from fresh random streams by
   the generator's own rules (`datagen.future.simulate_future`: same persons, same hazards,
   same baskets); the mean per person is the oracle's expected spend, the best prediction any
   model could make;
3. reported, per window (90 and 365 days): the oracle's decile table against the future the
   truth recorded (`_truth/future.csv`), beside the platform's published predictions (for 365
   days, `predicted_clv_12m`); and over the replicates, each taken in turn as the realised
   future with the oracle from the others, how often every decile lands within 20 % and how
   many do on average.

Exit code 2, one line, when an input is missing (see `bench.prediction_quality`).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.prediction_quality import PredictionQualityError, _read_warehouse, customer_futures
from bench.scoring_cli import data_dir_parser, report_main
from datagen import profiles as pf
from datagen import vocab
from datagen.context import epoch_day, stream_rng
from datagen.future import gbp_rates, simulate_future
from datagen.generator import _population
from datagen.profiles import MessRates
from datagen.worlds import World
from models.prediction.evaluation import value_decile_table

TOLERANCE = 0.2
#: Replays use stream keys from here on, far from the truth's own chunk keys (0, 1, ...).
REPLAY_KEY_BASE = 1_000_000


def replay_futures(planted: dict[str, Any], person_index: np.ndarray, replicates: int) -> np.ndarray:
    """Spend of `person_index` per replicate and window: shape (replicates, persons, windows)."""
    start, end = date.fromisoformat(planted["start"]), date.fromisoformat(planted["end"])
    days = (end - start).days + 1
    world = World("demo")
    rates = world.mess_rates(MessRates())
    persons = _population(
        int(planted["seed"]), int(planted["customers"]), days, epoch_day(start), rates, world
    )
    prices, _ = vocab.build_catalog(stream_rng(int(planted["seed"]), "catalog"))
    to_gbp = gbp_rates()
    runs = []
    for r in range(replicates):
        rng = stream_rng(int(planted["seed"]), "future", REPLAY_KEY_BASE + r)
        _, spend = simulate_future(rng, persons, person_index, prices, rates, to_gbp)
        runs.append(spend)
    return np.stack(runs)


def within(table: pd.DataFrame) -> int:
    """Deciles whose mean predicted is within the tolerance of the mean actual."""
    return int((table["relative_error"].abs() <= TOLERANCE).sum())


def noise_floor(replays: np.ndarray, window: int) -> dict[str, Any]:
    """Over the replicates as realised futures (oracle = mean of the others): deciles within tolerance."""
    spend = replays[:, :, window]
    total = spend.sum(axis=0)
    counts = []
    for r in range(len(spend)):
        oracle = (total - spend[r]) / (len(spend) - 1)
        counts.append(within(value_decile_table(spend[r], oracle)))
    counts_array = np.asarray(counts)
    return {
        "replicates": len(counts),
        "mean_deciles_within": float(counts_array.mean()),
        "share_all_ten_within": float((counts_array == 10).mean()),
        "share_at_least_eight_within": float((counts_array >= 8).mean()),
    }


def _table(actual: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    table = value_decile_table(actual, predicted)
    return {"deciles_within": within(table), "deciles": table.round(3).to_dict(orient="records")}


def value_noise_floor(warehouse: Path, truth_dir: Path, replicates: int) -> dict[str, Any]:
    """The oracle's and the platform's decile tables against the truth, and the oracle's noise floor."""
    if replicates < 10:
        raise PredictionQualityError(f"--replicates must be 10 or more, got {replicates}")
    planted = json.loads((truth_dir / "planted.json").read_text(encoding="utf-8"))
    predictions, records = _read_warehouse(warehouse, truth_dir / "identities.csv")
    future = pd.read_csv(truth_dir / "future.csv", dtype={"person_id": str})
    persons = pd.read_csv(truth_dir / "persons.csv", usecols=["person_id", "archetype"], dtype=str)
    frame, counts = customer_futures(predictions, records, future, persons)
    index = frame["person_id"].str.removeprefix("PER").astype(np.int64).to_numpy() - 1
    replays = replay_futures(planted, index, replicates)
    oracle = replays.mean(axis=0)
    result: dict[str, Any] = {"customers": counts["customers_evaluated"], "replicates": replicates}
    for w, window in enumerate(pf.FUTURE_WINDOWS):
        actual = frame[f"spend_{window}d"].to_numpy(dtype=float)
        figures = {
            "oracle_against_truth": _table(actual, oracle[:, w]),
            "oracle_noise_floor": noise_floor(replays, w),
        }
        if window == 365:
            figures["platform_against_truth"] = _table(
                actual, frame["predicted_clv_12m"].to_numpy(dtype=float)
            )
        result[f"{window}d"] = figures
    return result


def render_text(result: dict[str, Any]) -> str:
    """The figures as a short report."""
    lines = [f"{result['customers']:,} scored customers, oracle from {result['replicates']} replayed futures"]
    for window in pf.FUTURE_WINDOWS:
        figures = result[f"{window}d"]
        floor = figures["oracle_noise_floor"]
        lines.append(f"\n{window}-day spend")
        lines.append(
            f"  oracle against the recorded future: {figures['oracle_against_truth']['deciles_within']}/10 deciles within 20 %"
        )
        if "platform_against_truth" in figures:
            lines.append(
                f"  platform (predicted_clv_12m) against it: {figures['platform_against_truth']['deciles_within']}/10"
            )
        lines.append(
            f"  oracle over replayed futures: {floor['mean_deciles_within']:.1f}/10 on average; all ten in "
            f"{floor['share_all_ten_within']:.0%}, eight or more in {floor['share_at_least_eight_within']:.0%}"
        )
        table = pd.DataFrame(figures["oracle_against_truth"]["deciles"])
        lines.append(table.to_string(index=False))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: prints the report (or JSON); exit 2 with one line when an input is missing."""
    parser = data_dir_parser("python -m bench.value_noise_floor", __doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=200)
    return report_main(
        parser,
        lambda settings, args: value_noise_floor(
            settings.warehouse_path, settings.truth_dir, args.replicates
        ),
        render_text,
        "value noise floor",
        (PredictionQualityError, FileNotFoundError),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
