"""Segments on worlds the platform was not tuned on: ARI on known buyers >= 0.6 in each.

Each world (`datagen/worlds.py`: two archetypes, seven, heavy anonymous traffic; seeds of
their own) is generated small (2,000 persons, the demo's month), carried through the history
load and one nightly pipeline in process, and scored against its planted archetypes
(`bench.worlds.run_world`, which `python -m bench.worlds` also runs and tabulates, with the
noisy world besides; the 100k world is the benchmark's).
"""

from __future__ import annotations

import os

import pytest

from bench.worlds import (
    DEFAULT_CUSTOMERS,
    DEFAULT_END,
    DEFAULT_START,
    DEFAULT_WORLDS,
    format_table,
    run_world,
)
from customer_platform.config import reload_settings

pytestmark = [pytest.mark.spark, pytest.mark.dbt, pytest.mark.slow]


TESTED_WORLDS = DEFAULT_WORLDS[:3]


@pytest.fixture(scope="module", params=TESTED_WORLDS, ids=[w for w, _ in TESTED_WORLDS])
def world(request, tmp_path_factory, spark):
    name, seed = request.param
    saved = dict(os.environ)
    try:
        row = run_world(
            name,
            seed,
            tmp_path_factory.mktemp(name),
            DEFAULT_CUSTOMERS,
            DEFAULT_START,
            DEFAULT_END,
            os.environ,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reload_settings()
    print("\n" + format_table([row]))
    return row


def test_known_buyers_fall_into_segments_that_match_their_archetypes(world):
    assert world["known_buyers"] >= 300, world
    assert world["ari_known_buyers"] >= 0.6, world


def test_no_ml_segment_is_mostly_anonymous(world):
    assert world["ml_segments"] >= 2, world
    assert world["max_ml_segment_anonymous_share"] <= 0.5, world


def test_the_world_planted_what_it_says(world):
    expected = {"two_archetypes": 2, "seven_archetypes": 7, "heavy_anonymous": 5, "noisy": 5}
    assert len(world["archetypes"]) == expected[world["world"]], world["archetypes"]
