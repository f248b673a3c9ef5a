"""PySpark ingestion jobs: landing drops to bronze, quarantine and silver Parquet."""
