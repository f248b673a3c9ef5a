"""Suite `silver.ingestion`: per-source quarantine rate and row reconciliation from the manifests.

The gate builds one row per active source of the registry that wrote a manifest for the date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from expectations.common import critical, new_suite
from expectations.manifests import ManifestCounts

SUITE_NAME = "silver.ingestion"
ASSET_NAME = "ingestion_manifests"
COLUMNS = [
    "source", "rows_read", "rows_bronze", "rows_quarantined", "quarantine_rate", "max_quarantine_rate",
    "rows_unaccounted",
]  # fmt: skip


def ingestion_frame(counts: list[ManifestCounts], limits: Mapping[str, float]) -> pd.DataFrame:
    """One row per source with a manifest for the date (unknown counts are NaN).

    limits: each source's maximum quarantine rate (its contract's `quarantine.max_rate`, else
    CDP_MAX_QUARANTINE_RATE).
    """
    rows = [
        {
            "source": c.source,
            "rows_read": c.rows_read,
            "rows_bronze": c.rows_bronze,
            "rows_quarantined": c.rows_quarantined,
            "quarantine_rate": c.quarantine_rate,
            "max_quarantine_rate": limits[c.source],
            "rows_unaccounted": c.rows_unaccounted,
        }
        for c in counts
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    numeric = COLUMNS[1:]
    frame[numeric] = frame[numeric].astype("float64")
    return frame


def build_suite(max_quarantine_rate: float, sources: Sequence[str] = ()) -> gx.ExpectationSuite:
    """Quarantine rate at most each source's limit; read = bronze + quarantined for every source.

    max_quarantine_rate: the configured default (recorded in the suite's meta);
    sources: the active sources the rows come from (recorded too).
    """
    return new_suite(
        SUITE_NAME,
        [
            critical(gxe.ExpectColumnValuesToNotBeNull, column="source"),
            critical(gxe.ExpectColumnValuesToBeUnique, column="source"),
            critical(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                column_A="max_quarantine_rate",
                column_B="quarantine_rate",
                or_equal=True,
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
