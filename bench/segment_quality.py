"""Segmentation scored against the generator's planted archetypes.

    python -m bench.segment_quality [--data-dir DIR]

Reads `marts.customer_segments` and `marts.customer_identity_map` (read-only) and the
generator's `_truth/identities.csv` and `_truth/persons.csv`. Each unified customer is
mapped to the person who owns most of its source records (ties: the smallest person id),
takes that person's archetype, and the adjusted Rand index between segment ids and
archetypes is reported. A person whose planted dropout (`persons.csv` `dropout_date`) is
`LAPSED_AFTER_DAYS` or more before the end date counts as `lapsing`: that is what they do.

Which customers count:
- `ari_known_buyers` (the headline): customers matched to a person that hold at least one
  record other than a web-events cookie (known) and at least one order in the feature
  window (`marts.customer_features.frequency`): the customers a segmentation of behaviour
  can be judged on. A customer made only of anonymous cookies is a browsing fragment of a
  person that identity resolution cannot link (by design: no login, no email); a known
  contact who never ordered has no buying behaviour to recover an archetype from.
- `ari`: every known matched customer; `ari_all_matched`: every matched customer.
- `ml_segment_anonymous_share`: per ML segment (`segment_kind` ml), the share of its
  customers that are cookie-only; `max_ml_segment_anonymous_share` is the largest.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

#: The identity source whose records are anonymous browser cookies.
COOKIE_SOURCE = "web_events"
# A person who stopped buying long ago behaves as the lapsing archetype by the end date; a
# truth written before dropouts were planted has no `dropout_date` and keeps its archetypes.
_PERSONS_WITH_DROPOUT = """select
        person_id,
        case
            when nullif(dropout_date, '') is not null and cast(dropout_date as date) <= cast(? as date) - ?
            then 'lapsing'
            else archetype
        end as archetype
    from read_csv(?, header = true, all_varchar = true)"""
_PERSONS = "select person_id, archetype from read_csv(?, header = true, all_varchar = true)"

#: A person whose planted dropout is at least this many days before the end date is scored as
#: `lapsing`: the lapsing archetype's own definition (its persons stop 150 to 300 days before
#: the end), so a champion who left a year ago is judged by what they do, not who they were.
LAPSED_AFTER_DAYS = 150

_CUSTOMERS_SQL = """
with

segments as (
    select unified_customer_id, segment_id, segment_name, segment_kind from marts.customer_segments
),

features as (
    select unified_customer_id, frequency from marts.customer_features
),

resolved as (
    select source, source_record_id, unified_customer_id from marts.customer_identity_map
),

truth as (
    select source, source_record_id, person_id
    from read_csv(?, header = true, all_varchar = true)
),

persons as (
    {persons}
),

records as (
    select segments.unified_customer_id, resolved.source, truth.person_id
    from segments
    left join resolved using (unified_customer_id)
    left join truth using (source, source_record_id)
),

per_person as (
    select unified_customer_id, person_id, count(*) as records
    from records
    where person_id is not null
    group by 1, 2
),

majority as (
    select unified_customer_id, arg_max(person_id, [records, -rank]) as person_id
    from (
        select *, dense_rank() over (order by person_id) as rank from per_person
    )
    group by 1
),

per_customer as (
    select
        unified_customer_id,
        count(source) as records,
        count(person_id) as matched_records,
        count(source) filter (where source <> ?) as identified_records
    from records
    group by 1
),

final as (
    select
        segments.unified_customer_id,
        segments.segment_id,
        segments.segment_name,
        segments.segment_kind,
        coalesce(features.frequency, 0) as frequency,
        majority.person_id,
        persons.archetype,
        per_customer.records,
        per_customer.matched_records,
        per_customer.identified_records
    from segments
    inner join per_customer using (unified_customer_id)
    left join features using (unified_customer_id)
    left join majority using (unified_customer_id)
    left join persons using (person_id)
)

select * from final order by unified_customer_id
"""


def customer_archetypes(warehouse_path: Path | str, truth_dir: Path | str):
    """One row per segmented customer: segment, majority person, archetype, record counts.

    warehouse_path: the DuckDB file (opened read-only, so a running build is not disturbed).
    truth_dir: the generator's `_truth` folder with `identities.csv` and `persons.csv`.
    """
    import duckdb

    files = [Path(truth_dir) / name for name in ("identities.csv", "persons.csv")]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(f"no ground truth at {missing}")
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        header = files[1].open(encoding="utf-8").readline().strip().split(",")
        if "dropout_date" in header:
            sql = _CUSTOMERS_SQL.replace("{persons}", _PERSONS_WITH_DROPOUT)
            params = [
                str(files[0]),
                _end_date(Path(truth_dir)),
                LAPSED_AFTER_DAYS,
                str(files[1]),
                COOKIE_SOURCE,
            ]
        else:
            sql = _CUSTOMERS_SQL.replace("{persons}", _PERSONS)
            params = [str(files[0]), str(files[1]), COOKIE_SOURCE]
        return con.execute(sql, params).df()
    finally:
        con.close()


def _end_date(truth_dir: Path) -> str:
    """The generator's end date (`planted.json`), the day planted behaviour is judged on."""
    import json

    planted = truth_dir / "planted.json"
    return json.loads(planted.read_text(encoding="utf-8"))["end"] if planted.exists() else "9999-12-31"


def _ari(truth, labels) -> float | None:
    from sklearn.metrics import adjusted_rand_score

    return round(float(adjusted_rand_score(truth, labels)), 6) if len(truth) >= 2 else None


def segmentation_ari(warehouse_path: Path | str, truth_dir: Path | str) -> dict[str, Any]:
    """ARI of segments vs planted archetypes, with the counts behind it (see module doc).

    Returns `ari_known_buyers` (the headline), `ari` and `ari_all_matched` (see the module
    doc), the customer counts used and excluded by reason, the anonymous share of each ML
    segment, and `contingency` (segment name -> archetype -> known buyers).
    """
    customers = customer_archetypes(warehouse_path, truth_dir)
    matched = customers[customers["archetype"].notna()]
    cookie_only = matched["identified_records"] == 0
    evaluated = matched[~cookie_only]
    buyers = evaluated[evaluated["frequency"] > 0]
    contingency = buyers.groupby(["segment_name", "archetype"]).size().unstack(fill_value=0).sort_index()
    ml = customers[customers["segment_kind"] == "ml"]
    anonymous = (ml["identified_records"] == 0).groupby(ml["segment_name"]).mean().round(6)
    return {
        "ari_known_buyers": _ari(buyers["archetype"], buyers["segment_id"]),
        "known_buyers": len(buyers),
        "ari": _ari(evaluated["archetype"], evaluated["segment_id"]),
        "ari_all_matched": _ari(matched["archetype"], matched["segment_id"]),
        "customers_scored": len(customers),
        "customers_matched": len(matched),
        "customers_evaluated": len(evaluated),
        "excluded_not_in_truth": int(customers["archetype"].isna().sum()),
        "excluded_anonymous_cookie_only": int(cookie_only.sum()),
        "persons_evaluated": int(evaluated["person_id"].nunique()),
        "segments": int(customers["segment_id"].nunique()),
        "ml_segments": int(ml["segment_id"].nunique()),
        "ml_segment_anonymous_share": {str(k): float(v) for k, v in anonymous.items()},
        "max_ml_segment_anonymous_share": float(anonymous.max()) if len(anonymous) else 0.0,
        "contingency": {
            str(name): {str(k): int(v) for k, v in row.items()} for name, row in contingency.iterrows()
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Print the segmentation quality of the configured (or given) data directory as JSON."""
    from bench.scoring_cli import score_data_dir

    return score_data_dir("python -m bench.segment_quality", __doc__.split("\n")[0], segmentation_ari, argv)


if __name__ == "__main__":
    sys.exit(main())
