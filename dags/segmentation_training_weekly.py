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

Runs Sundays at 06:00 UTC, and whenever the nightly DAG's `request_retraining` task updates
the Asset `cdp://monitoring/retraining_requested` (monitoring found critical input drift or
a critical segment size shift): an `AssetOrTimeSchedule` over a `CronTriggerTimetable`. A run
started by the Asset has no logical date of its own; it trains on the newest date named in
the triggering events (`cdp.tasks.retraining_date`). `catchup=False` because only the latest
week matters for a retrain. Its inlet is the feature mart the nightly DAG's marts gate
publishes; `start_date` is `CDP_START_DATE`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from cdp.pipeline import FEATURES_TABLE, RETRAINING_REQUESTED, dag_start_date
from cdp.tasks import WAREHOUSE_POOL, default_args, on_failure_record, warehouse_asset_uri

#: Sundays at 06:00 UTC, after the Saturday night's run.
WEEKLY_CRON = "0 6 * * 0"


@dag(
    dag_id="segmentation_training_weekly",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(WEEKLY_CRON, timezone="UTC"), assets=[Asset(RETRAINING_REQUESTED)]
    ),
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
    def retrain_and_promote(ds=None, triggering_asset_events=None) -> dict:
        from cdp.tasks import retraining_date, run_weekly_training

        return run_weekly_training(retraining_date(ds, triggering_asset_events))

    @task(
        pool=WAREHOUSE_POOL,
        inlets=[Asset(warehouse_asset_uri(FEATURES_TABLE))],
        doc_md="Train churn and lifetime-value challengers, promote each by its rule, rescore.",
    )
    def retrain_predictions(ds=None, triggering_asset_events=None) -> dict:
        from cdp.tasks import retraining_date, run_weekly_prediction_training

        return run_weekly_prediction_training(retraining_date(ds, triggering_asset_events))

    retrain_and_promote() >> retrain_predictions()


segmentation_training_weekly()
