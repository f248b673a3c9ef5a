"""Reading the feature contract: read-only, closed after, one logical date, a data version."""

from __future__ import annotations

import duckdb
import pytest

from models.features import (
    CONTRACT_COLUMNS,
    FeaturesNotFoundError,
    evaluation_sample_index,
    feature_table_hash,
    load_features,
)
from tests.models.planted import write_features_table


def test_load_features_reads_the_contract_for_one_date(isolated_settings, planted):
    features, _ = planted
    write_features_table(features.sample(frac=1.0, random_state=3), isolated_settings.warehouse_path)
    loaded = load_features("2026-06-30")
    assert tuple(loaded.columns) == CONTRACT_COLUMNS
    assert len(loaded) == len(features)
    assert loaded["unified_customer_id"].is_monotonic_increasing
    # the read-only connection is closed: a writer can open the file right away
    duckdb.connect(str(isolated_settings.warehouse_path)).close()


def test_missing_date_is_a_named_error(isolated_settings, planted):
    features, _ = planted
    write_features_table(features, isolated_settings.warehouse_path)
    with pytest.raises(FeaturesNotFoundError, match="2026-07-01.*2026-06-30"):
        load_features("2026-07-01")


def test_hash_is_a_data_version(planted):
    features, _ = planted
    assert feature_table_hash(features) == feature_table_hash(features.sample(frac=1.0, random_state=1))
    changed = features.copy()
    changed.loc[0, "monetary"] += 0.01
    assert feature_table_hash(changed) != feature_table_hash(features)


def test_evaluation_sample_is_seeded_sized_and_stable_across_dates(planted):
    features, _ = planted
    ids = features["unified_customer_id"]
    sample = evaluation_sample_index(ids, 500, seed=42)
    assert len(sample) == 500 and len(set(sample)) == 500
    assert (sample == evaluation_sample_index(ids, 500, seed=42)).all()
    assert set(sample) != set(evaluation_sample_index(ids, 500, seed=43))
    # customers that leave do not reshuffle the sample of those who stay
    kept = ids.iloc[100:].reset_index(drop=True)
    before = set(ids.iloc[sample])
    after = set(kept.iloc[evaluation_sample_index(kept, 500, seed=42)])
    assert len(before & after) >= 450


def test_load_features_can_read_a_subset_and_refuses_unknown_columns(isolated_settings, planted):
    features, _ = planted
    write_features_table(features, isolated_settings.warehouse_path)
    subset = load_features("2026-06-30", ["monetary", "sessions"])
    assert list(subset.columns) == ["unified_customer_id", "logical_date", "monetary", "sessions"]
    with pytest.raises(ValueError, match="contract"):
        load_features("2026-06-30", ["monetary", "favourite_colour"])
