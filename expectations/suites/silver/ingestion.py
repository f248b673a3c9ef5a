"""Suite `silver.ingestion`: per-source quarantine rate and row reconciliation from the manifests.

The gate builds one row per active source of the registry that wrote a manifest for the date.
"""

from __future__ import annotations

from collections.abc import Sequence

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from expectations.common import critical, new_suite
from expectations.manifests import ManifestCounts

SUITE_NAME = "silver.ingestion"
ASSET_NAME = "ingestion_manifests"
COLUMNS = ["source", "rows_read", "rows_bronze", "rows_quarantined", "quarantine_rate", "rows_unaccounted"]


def ingestion_frame(counts: list[ManifestCounts]) -> pd.DataFrame:
    """One row per source with a manifest for the date (unknown counts are NaN)."""
    rows = [
        {
            "source": c.source,
            "rows_read": c.rows_read,
            "rows_bronze": c.rows_bronze,
            "rows_quarantined": c.rows_quarantined,
            "quarantine_rate": c.quarantine_rate,
            "rows_unaccounted": c.rows_unaccounted,
        }
        for c in counts
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    numeric = COLUMNS[1:]
    frame[numeric] = frame[numeric].astype("float64")
    return frame


def build_suite(max_quarantine_rate: float, sources: Sequence[str] = ()) -> gx.ExpectationSuite:
    """Quarantine rate at most `max_quarantine_rate`; read = bronze + quarantined for every source.

    sources: the active sources the rows come from (recorded in the suite's meta).
    """
    return new_suite(
        SUITE_NAME,
        [
            critical(gxe.ExpectColumnValuesToNotBeNull, column="source"),
            critical(gxe.ExpectColumnValuesToBeUnique, column="source"),
            critical(
                gxe.ExpectColumnValuesToBeBetween,
                column="quarantine_rate",
                min_value=0.0,
                max_value=max_quarantine_rate,
                meta={"check": "quarantine_rate"},
            ),
            critical(
                gxe.ExpectColumnValuesToBeBetween,
                column="rows_unaccounted",
                min_value=0,
                max_value=0,
                meta={"check": "reconciliation"},
            ),
        ],
        max_quarantine_rate=max_quarantine_rate,
        sources=list(sources),
    )
