"""Identity resolution scored against the generator's ground truth.

    python -m bench.identity_quality [--data-dir DIR]

Reads `marts.customer_identity_map` (read-only) and `<landing>/_truth/identities.csv`, joins
them on (source, source_record_id) and scores the resolved clusters as a pairwise
classification: a pair of records is predicted "same person" when they share a
`unified_customer_id` and is truly so when they share a `person_id`. Pairs are counted
with cluster-size combinatorics (n choose 2 per unified id, per person and per
(unified id, person) intersection), so the cost is linear in the number of records.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# n choose 2 as SQL over the count columns, less the pairs among records outside the focus.
_PAIRS = "sum(n_all * (n_all - 1) / 2 - n_rest * (n_rest - 1) / 2)"

_METRICS_SQL = f"""
with

resolved as (
    select source, source_record_id, unified_customer_id
    from marts.customer_identity_map
),

truth as (
    select source, source_record_id, person_id
    from read_csv(?, header = true, all_varchar = true)
),

scored as (
    select
        resolved.unified_customer_id,
        truth.person_id,
        -- Pairs of two unfocused records are left out (n below counts only the pairs that
        -- touch the focus source: all pairs minus those among the rest).
        coalesce(resolved.source <> ?, false) as is_rest
    from resolved
    inner join truth using (source, source_record_id)
),

per_customer as (select unified_customer_id, count(*) as n_all, count(*) filter (where is_rest) as n_rest,
                        count(distinct person_id) as persons
                 from scored group by 1),
per_person as (select person_id, count(*) as n_all, count(*) filter (where is_rest) as n_rest,
                      count(distinct unified_customer_id) as customers
               from scored group by 1),
per_pair as (select unified_customer_id, person_id, count(*) as n_all, count(*) filter (where is_rest) as n_rest
             from scored group by 1, 2)

select
    (select count(*) from scored) as records_scored,
    (select count(*) from resolved anti join truth using (source, source_record_id)) as records_not_in_truth,
    (select count(*) from truth anti join resolved using (source, source_record_id)) as truth_records_not_resolved,
    (select count(*) from per_person) as persons,
    (select count(*) from per_customer) as unified_customers,
    (select coalesce({_PAIRS}, 0) from per_customer) as predicted_pairs,
    (select coalesce({_PAIRS}, 0) from per_person) as true_pairs,
    (select coalesce({_PAIRS}, 0) from per_pair) as true_positive_pairs,
    (select count(*) from per_person where customers > 1) as persons_split,
    (select count(*) from per_customer where persons > 1) as unified_customers_merged
"""


def _ratio(numerator: float, denominator: float) -> float:
    # No pair predicted (or none true) means nothing was wrong on that side.
    return 1.0 if denominator == 0 else numerator / denominator


def identity_metrics(
    warehouse_path: Path | str, truth_dir: Path | str, focus_source: str | None = None
) -> dict[str, Any]:
    """Pairwise precision / recall / F1 of resolved identities, plus split and merged counts.

    warehouse_path: the DuckDB file (opened read-only, so a running build is not disturbed).
    truth_dir: the generator's `_truth` folder holding `identities.csv`.
    focus_source: count only the pairs with at least one record of this source (e.g. the
        member file of the person-file scenario); default every pair.
    """
    import duckdb

    identities = Path(truth_dir) / "identities.csv"
    if not identities.exists():
        raise FileNotFoundError(f"no ground truth at {identities}")
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        cursor = con.execute(_METRICS_SQL, [str(identities), focus_source])
        names = [column[0] for column in cursor.description]
        counts = {name: int(value) for name, value in zip(names, cursor.fetchone(), strict=True)}
    finally:
        con.close()
    precision = _ratio(counts["true_positive_pairs"], counts["predicted_pairs"])
    recall = _ratio(counts["true_positive_pairs"], counts["true_pairs"])
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6), **counts}


def main(argv: list[str] | None = None) -> int:
    """Print the identity metrics of the configured (or given) data directory as JSON."""
    from bench.scoring_cli import score_data_dir

    return score_data_dir("python -m bench.identity_quality", __doc__.split("\n")[0], identity_metrics, argv)


if __name__ == "__main__":
    sys.exit(main())
