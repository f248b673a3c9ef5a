# One image for every platform service (Airflow, Spark master/worker, MLflow server), so the
# Spark cluster runs exactly the pyspark and Python versions the DAGs submit from.
FROM python:3.11.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps curl make \
 && rm -rf /var/lib/apt/lists/*

ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
    PYTHONUNBUFFERED=1 \
    GX_ANALYTICS_ENABLED=false \
    CDP_DATA_DIR=/opt/platform/data \
    AIRFLOW_HOME=/opt/airflow

WORKDIR /opt/platform
COPY pyproject.toml constraints.txt README.md ./
COPY customer_platform ./customer_platform
COPY cdp ./cdp
COPY privacy ./privacy
COPY activation ./activation
COPY monitoring ./monitoring
COPY dashboard ./dashboard
COPY datagen ./datagen
COPY spark_jobs ./spark_jobs
COPY expectations ./expectations
COPY models ./models
RUN pip install --no-cache-dir "uv==0.13.8" \
 && uv pip install --system --no-cache -c constraints.txt -e .
COPY dags ./dags
COPY dbt_project ./dbt_project
COPY scripts ./scripts
