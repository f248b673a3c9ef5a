"""The columns audiences and action rules may test: one row per unified customer, from the marts.

`AUDIENCE_TABLES` lists, per mart, the columns exposed under their own names. Their types
come from the warehouse itself (`information_schema`), so a rule is checked against the
marts as they are, and a mart that is not built yet (no predictions on a short history)
simply offers no columns: a rule naming one gets an error that says which table is missing.
Every name here is a code constant; nothing from a rule file is ever pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

KEY = "unified_customer_id"

#: mart -> exposed columns (the base is `marts.dim_customers`; the others join on the key).
AUDIENCE_TABLES: dict[str, tuple[str, ...]] = {
    "marts.dim_customers": (
        "has_marketing_consent", "has_email", "has_phone", "country_code", "birth_year", "first_seen_at",
        "last_seen_at", "source_count",
    ),
    "marts.customer_segments": ("segment_name", "segment_kind"),
    "marts.customer_lifecycle": (
        "lifecycle_stage", "is_known", "is_reachable", "days_since_last_order", "lifetime_orders",
        "first_order_date", "last_order_date",
    ),
    "marts.customer_rfm": (
        "rfm_segment", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
    ),
    "marts.customer_engagement": (
        "engagement_score", "days_since_last_engagement", "sessions", "email_open_rate", "email_click_rate",
    ),
    "marts.customer_predictions": (
        "churn_probability", "churn_risk_band", "is_at_risk", "p_alive", "expected_orders_90d",
        "predicted_clv_12m", "clv_decile",
    ),
    "marts.customer_predictive_segments": ("churn_segment", "value_tier"),
}  # fmt: skip
BASE_TABLE = "marts.dim_customers"

#: Rule types and the DuckDB types behind them.
_TYPE_OF: dict[str, str] = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "date",
    "TIMESTAMP WITH TIME ZONE": "date",
}
_NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UBIGINT")


def rule_type(duckdb_type: str) -> str | None:
    """The rule type (`text`, `number`, `boolean`, `date`) of a DuckDB column type, None if unsupported."""
    upper = duckdb_type.upper()
    if upper.startswith(_NUMBERS):
        return "number"
    return _TYPE_OF.get(upper)


@dataclass(frozen=True)
class Column:
    """One column a rule may test: its table and its rule type."""

    name: str
    table: str
    type: str


@dataclass(frozen=True)
class Catalog:
    """The columns available in one warehouse, and the exposed ones whose table is missing."""

    columns: dict[str, Column]
    missing: dict[str, str]  # column -> table not built

    def describe(self, name: str) -> str:
        """Why `name` cannot be used, in a few words (unknown, or its table is missing)."""
        if name in self.missing:
            return f"column {name!r} comes from {self.missing[name]}, which the warehouse does not have yet"
        known = ", ".join(sorted(self.columns)) or "none"
        return f"unknown column {name!r}; known: {known}"

    def base_sql(self) -> str:
        """`select <key>, <every available column> from <base> left join ...`: one row per customer."""
        tables = [BASE_TABLE, *sorted({c.table for c in self.columns.values()} - {BASE_TABLE})]
        alias = {table: f"t{i}" for i, table in enumerate(tables)}
        select = [f"t0.{KEY}"] + [f'{alias[c.table]}."{c.name}"' for c in self.columns.values()]
        joins = [f"left join {table} as {alias[table]} using ({KEY})" for table in tables[1:]]
        return f"select {', '.join(select)} from {BASE_TABLE} as t0 " + " ".join(joins)


def load_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The catalog of the warehouse behind `con` (read-only use)."""
    rows = con.execute(
        "select table_schema || '.' || table_name, column_name, data_type from information_schema.columns"
    ).fetchall()
    types = {(table, column): kind for table, column, kind in rows}
    tables = {table for table, _ in types}
    columns: dict[str, Column] = {}
    missing: dict[str, str] = {}
    if BASE_TABLE not in tables:
        return Catalog({}, {name: BASE_TABLE for names in AUDIENCE_TABLES.values() for name in names})
    for table, names in AUDIENCE_TABLES.items():
        for name in names:
            kind = rule_type(types.get((table, name), "")) if (table, name) in types else None
            if table not in tables or kind is None:
                missing[name] = table
            else:
                columns[name] = Column(name, table, kind)
    return Catalog(columns, missing)
