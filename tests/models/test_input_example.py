"""The input example logged beside every model is an aggregate, never a customer's row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.registry import aggregate_example

pytestmark = pytest.mark.unit


def test_one_row_of_medians_and_modes_with_the_columns_types():
    inputs = pd.DataFrame(
        {
            "purchases": [1, 2, 3, 100],
            "recency_days": [0.5, np.nan, 1.5, 2.0],
            "has_consent": [True, False, True, True],
            "channel": ["web", "pos", "pos", None],
            "sessions": [np.nan] * 4,
        }
    )
    example = aggregate_example(inputs)
    assert len(example) == 1
    assert example.dtypes.to_dict() == inputs.dtypes.to_dict()
    row = example.iloc[0]
    assert row["purchases"] == 2 and row["recency_days"] == 1.5
    assert bool(row["has_consent"]) is True and row["channel"] == "pos" and np.isnan(row["sessions"])


def test_the_example_is_nobody_in_the_inputs():
    rng = np.random.default_rng(0)
    inputs = pd.DataFrame({"spend": rng.gamma(2.0, 50.0, 501), "orders": rng.poisson(3.0, 501).astype(float)})
    example = aggregate_example(inputs)
    assert not (inputs == example.iloc[0]).all(axis=1).any()
