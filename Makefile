# Front door of the platform. Two commands matter on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export GX_ANALYTICS_ENABLED := false
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: run test test-fast test-scaleout lint up down clean-data env check bench

check:
	@PYTHON=$(PYTHON) scripts/check_prereqs.sh

# Libraries are compiled to bytecode at install time: with PYTHONDONTWRITEBYTECODE set, every
# process (each test subprocess too) would otherwise recompile what it imports, tens of seconds a run.
$(STAMP): pyproject.toml constraints.txt
	@PYTHON=$(PYTHON) scripts/check_prereqs.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

env: $(STAMP)

run: $(STAMP)
	$(BIN)/cdp run

# The whole suite: every tier (unit, spark, dbt, airflow, e2e, browser) but scale-out; see CONTRIBUTING.md.
test: $(STAMP)
	$(BIN)/python -m pytest

# The unit tier only: no Spark session, no dbt build, no DAG run (a few minutes).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m unit

# The scale-out tier: docker-compose.yml's services as processes on this machine (PostgreSQL from the
# operating system's packages, Spark standalone, MLflow server, Airflow scheduler), one nightly run.
test-scaleout: $(STAMP)
	$(BIN)/python -m pytest -m scaleout

SCALE ?= 10000
bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $(SCALE)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

up:
	docker compose --env-file .env.example up -d

down:
	docker compose down

clean-data:
	rm -rf data/
