"""Spark view of the source contracts: Spark types, bronze and quarantine schemas.

Contracts are parsed and validated by the foundation (`customer_platform.registry`,
documented in docs/sources.md); this module adds what only ingestion needs.
"""

from __future__ import annotations

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from customer_platform.registry import (
    OCCURRENCE_COLUMN,
    ContractError,
    FieldSpec,
    SilverColumn,
    SourceContract,
    get_contract,
    get_registry,
    load_contract,
    parse_contract,
)

__all__ = [
    "LINEAGE_FIELDS",
    "OCCURRENCE_COLUMN",
    "QUARANTINE_SCHEMA",
    "SPARK_TYPES",
    "ContractError",
    "FieldSpec",
    "SilverColumn",
    "SourceContract",
    "bronze_schema",
    "get_contract",
    "get_registry",
    "load_contract",
    "parse_contract",
    "spark_type",
]

SPARK_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "int": IntegerType(),
    "long": LongType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    "date": DateType(),
    "timestamp": TimestampType(),
}

#: Lineage columns on every bronze and silver row (docs/contracts.md).
LINEAGE_FIELDS: tuple[StructField, ...] = (
    StructField("_source_file", StringType()),
    StructField("_ingest_date", DateType()),
    StructField("_run_id", StringType()),
    StructField("_ingested_at", TimestampType()),
)

QUARANTINE_SCHEMA = StructType(
    [
        StructField("_raw_line", StringType()),
        StructField("_reason", StringType()),
        StructField("_source_file", StringType()),
        StructField("_line_number", LongType()),
        StructField("_ingest_date", DateType()),
        StructField("_run_id", StringType()),
        StructField("_ingested_at", TimestampType()),
    ]
)


def spark_type(spec: FieldSpec) -> DataType:
    """The Spark type of a contract field."""
    return SPARK_TYPES[spec.type]


def bronze_schema(contract: SourceContract) -> StructType:
    """Typed contract columns, `_line_number`, then the lineage columns."""
    typed = [StructField(f.name, spark_type(f)) for f in contract.fields]
    return StructType([*typed, StructField("_line_number", LongType()), *LINEAGE_FIELDS])
