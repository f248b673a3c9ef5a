"""Data-quality gates: Great Expectations suites as code and the runner that applies them.

`expectations.runner.run_gate("silver" | "marts", logical_date, run_id)` validates one
logical date, keeps the results (JSON, `marts.dq_results`, Data Docs) and raises
`expectations.results.DataQualityGateFailed` on any critical failure.

Layout, and how the silver suites are derived from the source contracts: expectations/README.md.

Import submodules absolutely (`from expectations.runner import run_gate`): the package
name is generic and Great Expectations is heavy, so nothing heavy is imported here.
"""

import os

# Great Expectations reads this when it is first imported: no usage statistics, no network.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
