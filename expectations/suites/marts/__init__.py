"""Marts suites: one module per check over warehouse tables.

Each module exposes `SUITE_NAME`, `ASSET_NAME`, `TABLES`, `OPTIONAL`, `QUERY` (DuckDB SQL,
named `$parameters` from an optional `query_parameters(registry)`) and
`build_suite(logical_date, thresholds, frame, registry)`; optionally `notes(frame, logical_date)`.
"""
