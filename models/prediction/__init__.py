"""Predictive models: churn risk (scikit-learn) and lifetime value (BG/NBD + Gamma-Gamma).

`snapshot` builds point-in-time features and labels from the dated marts; `churn` and `clv`
train and evaluate each family; `training` logs, registers and promotes both in MLflow;
`scoring` writes `marts.customer_predictions`, `marts.prediction_history`,
`marts.customer_predictive_segments` and `marts.customer_prediction_drivers`.
Import absolutely (`from models.prediction.training import train_predictions`).
"""
