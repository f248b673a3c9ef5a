"""The suites of the gates: `silver/` (derived from the source contracts) and `marts/` (one module per check).

`expectations.suites.catalog` says which suites each gate runs. Nothing heavy is imported here.
"""
