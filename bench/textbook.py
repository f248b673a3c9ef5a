"""The textbook segmentation script, kept as the baseline the platform is compared with.

    python -m bench.textbook --landing DIR --date YYYY-MM-DD [--k-min 2 --k-max 10]

pandas reads the order CSVs, a groupby computes the same RFM as the DuckDB floor
(`bench.baselines`), the features are standardised, and KMeans for every k is scored
with `silhouette_score` over all rows; the best silhouette wins. Silhouette is quadratic
in customers, which is the point of measuring it. One JSON line is printed per step, so
a run stopped at its time cap still tells how far it got.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

from bench.baselines import RFM_WINDOW_DAYS, order_files

WEB_COLUMNS = ["order_id", "customer_id", "ordered_at", "order_status", "quantity", "unit_price"]
POS_COLUMNS = ["transaction_id", "loyalty_id", "email", "transacted_at", "quantity", "unit_price"]


def _emit(step: str, started: float, **values) -> None:
    print(
        json.dumps({"step": step, "elapsed": round(time.perf_counter() - started, 3), **values}), flush=True
    )


def _read(files: list[str], columns: list[str]) -> pd.DataFrame:
    # Only the columns RFM needs, as text: at 1M customers all columns would need ~2× the memory.
    frames = [
        pd.read_csv(path, dtype=str, usecols=columns, on_bad_lines="skip", keep_default_na=False)
        for path in files
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def pandas_rfm(landing_dir: Path, logical_date: str) -> pd.DataFrame:
    """RFM per customer key from the landing CSVs with pandas (same rules as the DuckDB floor)."""
    web = _read(order_files(landing_dir, "web_orders", logical_date), WEB_COLUMNS)
    pos = _read(order_files(landing_dir, "pos_orders", logical_date), POS_COLUMNS)
    web = web[web["order_status"] == "completed"]
    loyalty = pos["loyalty_id"].str.strip()
    email = pos["email"].str.strip().str.lower()
    lines = pd.concat(
        [
            pd.DataFrame(
                {
                    "order_key": web["order_id"],
                    "customer_key": web["customer_id"],
                    "when": web["ordered_at"],
                    "quantity": web["quantity"],
                    "price": web["unit_price"],
                }
            ),
            pd.DataFrame(
                {
                    "order_key": pos["transaction_id"],
                    "customer_key": loyalty.where(loyalty != "", email),
                    "when": pos["transacted_at"],
                    "quantity": pos["quantity"],
                    "price": pos["unit_price"],
                }
            ),
        ],
        ignore_index=True,
    )
    lines["order_date"] = pd.to_datetime(lines["when"].str[:10], format="%Y-%m-%d", errors="coerce")
    lines["amount"] = pd.to_numeric(lines["quantity"], errors="coerce") * pd.to_numeric(
        lines["price"], errors="coerce"
    )
    day = pd.Timestamp(logical_date)
    lines = lines[
        (lines["customer_key"] != "")
        & lines["amount"].notna()
        & (lines["order_date"] > day - pd.Timedelta(days=RFM_WINDOW_DAYS))
        & (lines["order_date"] <= day)
    ]
    rfm = lines.groupby("customer_key").agg(
        last_order=("order_date", "max"), frequency=("order_key", "nunique"), monetary=("amount", "sum")
    )
    rfm["recency_days"] = (day - rfm.pop("last_order")).dt.days
    return rfm.reset_index()[["customer_key", "recency_days", "frequency", "monetary"]]


def choose_k_by_silhouette(rfm: pd.DataFrame, k_min: int, k_max: int, started: float, seed: int = 42) -> int:
    """Fit KMeans for k in k_min..k_max, score each with silhouette over all rows; best k."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    features = StandardScaler().fit_transform(rfm[["recency_days", "frequency", "monetary"]])
    best_k, best_score = k_min, -1.0
    for k in range(k_min, k_max + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(features)
        _emit("kmeans_fit", started, k=k)
        score = float(silhouette_score(features, labels))
        _emit("silhouette", started, k=k, silhouette=round(score, 4))
        if score > best_score:
            best_k, best_score = k, score
    return best_k


def main(argv: list[str] | None = None) -> int:
    """Run the textbook script end to end, printing one JSON line per step."""
    parser = argparse.ArgumentParser(prog="python -m bench.textbook")
    parser.add_argument("--landing", required=True)
    parser.add_argument("--date", required=True)
    parser.add_argument("--k-min", type=int, default=2)
    parser.add_argument("--k-max", type=int, default=10)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rfm = pandas_rfm(Path(args.landing), args.date)
    _emit("rfm", started, customers=len(rfm))
    best = choose_k_by_silhouette(rfm, args.k_min, args.k_max, started)
    _emit("done", started, best_k=best, customers=len(rfm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
