#!/usr/bin/env bash
# Creates the MLflow backend database beside Airflow's on first start of the Postgres volume.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE DATABASE ${POSTGRES_MLFLOW_DB:-mlflow};
SQL
