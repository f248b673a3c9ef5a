"""Marts suites: one module per check over warehouse tables.

Each module exposes `SUITE_NAME`, `ASSET_NAME`, `TABLES`, `OPTIONAL`, `QUERY` (DuckDB SQL,
named `$parameters` from an optional `query_parameters(registry)`) and
`build_suite(logical_date, thresholds, frame, registry)`; optionally `notes(frame, logical_date)`.
The gate passes `build_suite` and `notes` the frame's columns and first row, not every row.

For the incremental gate (`expectations.marts_increment`): `KEY`, the column that identifies a
row of the frame, and optionally `MOVING_COLUMNS`, columns whose values (or whose checks'
bounds) move with the logical date for every row: their row-level checks run in SQL over the
whole table, so they do not make every row "touched". A module without `KEY` validates every row.
"""
