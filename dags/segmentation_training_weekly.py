"""
### segmentation_training_weekly

Weekly retraining of the customer segmentation, data-aware on the feature mart:

1. **retrain_and_promote** — reads `marts.customer_features` for the logical date, runs
   model selection (KMeans over a k range on a fixed seeded sample, with silhouette,
   Davies–Bouldin, Calinski–Harabasz and the inertia elbow) as an MLflow parent run with a
   child run per candidate, registers the winner as a challenger of
   `customer_segmentation`, and promotes it to the `champion` alias only when the
   documented rule holds (quality not worse than the champion beyond a tolerance, and
   stability acceptable); then rescores customers with the champion.
2. **retrain_predictions** — trains churn (`customer_churn`: calibrated gradient boosting and
   random forest on a time split, the lowest validation log loss wins) and lifetime value
   (`customer_clv`: BG/NBD + Gamma-Gamma, evaluated on a holdout), promotes each challenger
   only when its rule holds (churn: ROC-AUC and Brier score not worse than the champion's
   beyond a tolerance on the challenger's validation date; value: holdout normalized Gini),
   then rescores `marts.customer_predictions`.

Runs Sundays; `catchup=False` because only the latest week matters for a retrain. Its inlet
is the feature mart the nightly DAG's marts gate publishes; `start_date` is `CDP_START_DATE`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, dag, task

from cdp.pipeline import FEATURES_TABLE, dag_start_date
from cdp.tasks import WAREHOUSE_POOL, default_args, on_failure_record, warehouse_asset_uri


@dag(
    dag_id="segmentation_training_weekly",
    schedule="0 6 * * 0",
    start_date=dag_start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1, retry_delay=timedelta(minutes=5)),
    tags=["customer-platform", "weekly", "mlflow", "segmentation", "churn", "clv"],
    doc_md=__doc__,
    on_failure_callback=on_failure_record,
)
def segmentation_training_weekly():
    @task(
        pool=WAREHOUSE_POOL,
        inlets=[Asset(warehouse_asset_uri(FEATURES_TABLE))],
        doc_md="Train a challenger, promote by the rule, rescore.",
    )
    def retrain_and_promote(ds=None) -> dict:
        from cdp.tasks import run_weekly_training

        return run_weekly_training(ds)

    @task(
        pool=WAREHOUSE_POOL,
        inlets=[Asset(warehouse_asset_uri(FEATURES_TABLE))],
        doc_md="Train churn and lifetime-value challengers, promote each by its rule, rescore.",
    )
    def retrain_predictions(ds=None) -> dict:
        from cdp.tasks import run_weekly_prediction_training

        return run_weekly_prediction_training(ds)

    retrain_and_promote() >> retrain_predictions()


segmentation_training_weekly()
