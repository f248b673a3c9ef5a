"""Incremental probabilistic identity equals re-linking every profile (real Splink, in memory).

Profiles of a synthetic population change over several nights (new people, new duplicates of
known people, moved and renamed profiles, profiles that go, a contact that becomes a CRM
record). Each night is resolved twice with the same kept match model: from the previous
night's state (incremental) and from nothing (full). Both must give every profile the same
customer, super-component and link probability, while the incremental night re-links fewer.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from customer_platform.identity_increment import STATE_COLUMNS, components, region, resolve
from customer_platform.identity_match_model import MatchModel, train_match_model

ATTRIBUTES = ["first_name", "last_name", "birth_date", "postcode", "city"]
PRIOR, THRESHOLD = 1e-4, 0.95
FIRST = ["anna", "ben", "carla", "dev", "emma", "farid", "gita", "hugo", "ines", "jon", "kate", "liam"]
LAST = ["smith", "jones", "patel", "novak", "garcia", "khan", "brown", "silva", "meyer", "rossi"]
CITIES = ["leeds", "york", "bath", "hull", "derby"]
PROFILE_COLUMNS = [
    "customer_record_sources",
    "email_local",
    "email_domain",
    "first_name",
    "last_name",
    "birth_date",
    "postcode",
    "city",
    "street_address",
]


def _person(rng: np.random.Generator, n: int) -> dict:
    first, last = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
    return {
        "first_name": first,
        "last_name": last,
        "birth_date": pd.Timestamp("1950-01-01") + pd.Timedelta(days=int(rng.integers(0, 18000))),
        "postcode": f"LS{rng.integers(1, 30)}{rng.integers(1, 9)}AB",
        "city": CITIES[rng.integers(len(CITIES))],
        "street_address": None,
        "email_local": f"{first}{last}{n}",
        "email_domain": "mail.example",
        "customer_record_sources": ["crm"] if rng.random() < 0.5 else [],
    }


def _duplicate(rng: np.random.Generator, person: dict) -> dict:
    """The same person seen by another source: some fields missing or mistyped."""
    source = rng.random()  # a second CRM contact of one person is never linked on a guess (the guard)
    copy = dict(
        person, customer_record_sources=["shop"] if source < 0.3 else ["crm"] if source < 0.45 else []
    )
    roll = rng.random()
    if roll < 0.3:
        copy["email_domain"] = "other.example"
    elif roll < 0.5:
        copy["email_local"] = None
    elif roll < 0.7:
        copy["postcode"] = None
    if rng.random() < 0.2:
        copy["first_name"] = copy["first_name"][:-1] + "x"
    return copy


def _frame(profiles: dict[str, dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{"cluster_key": key, **row} for key, row in sorted(profiles.items())])
    frame["profile_hash"] = [
        hashlib.md5(repr([row[c] for c in PROFILE_COLUMNS]).encode()).hexdigest()
        for row in frame.to_dict("records")
    ]
    frame["deterministic_cluster_id"] = np.arange(len(frame))[::-1]  # any run-specific numbering
    return frame


def _nights(seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    people = [_person(rng, n) for n in range(260)]
    profiles = {f"p{n:05d}:a": dict(p) for n, p in enumerate(people)}
    for n in rng.choice(len(people), 60, replace=False):
        profiles[f"p{n:05d}:b"] = _duplicate(rng, people[n])
    nights = [_frame(profiles)]
    for night in range(4):
        for n in range(len(people), len(people) + 8):  # new people, some seen twice at once
            people.append(_person(rng, n))
            profiles[f"p{n:05d}:a"] = dict(people[n])
            if rng.random() < 0.5:
                profiles[f"p{n:05d}:b"] = _duplicate(rng, people[n])
        for n in rng.choice(len(people) - 8, 6, replace=False):  # new duplicates of known people
            profiles[f"p{n:05d}:n{night}"] = _duplicate(rng, people[n])
        keys = sorted(profiles)
        for key in rng.choice(keys, 5, replace=False):  # edits: a move, a new email, a new CRM record
            edit = rng.integers(3)
            field, value = [("postcode", "ZZ1 9ZZ"), ("email_local", f"new{night}{key}"),
                            ("customer_record_sources", ["crm"])][edit]  # fmt: skip
            profiles[key] = dict(profiles[key], **{field: value})
        for key in rng.choice(keys, 3, replace=False):  # profiles that go (erased, or merged away)
            profiles.pop(key, None)
        nights.append(_frame(profiles))
    return nights


def _customers(state: pd.DataFrame) -> pd.DataFrame:
    return state.set_index("cluster_key").sort_index()[["group_key", "super_key", "match_probability"]]


@pytest.fixture(scope="module")
def resolved():
    """(incremental, full) states per night of seed 7, with the model trained on the first night."""
    nights = _nights(7)
    match = train_match_model(nights[0], ATTRIBUTES, PRIOR)
    state, runs = None, []
    for profiles in nights:
        incremental = resolve(profiles, state, match, True, PRIOR, THRESHOLD)
        full = resolve(profiles, None, match, True, PRIOR, THRESHOLD)
        runs.append((profiles, incremental, full))
        state = incremental[list(STATE_COLUMNS)]
    return match, runs


def test_every_night_matches_a_full_re_linking(resolved):
    _, runs = resolved
    for night, (_, incremental, full) in enumerate(runs):
        pd.testing.assert_frame_equal(_customers(incremental), _customers(full), obj=f"night {night}")


def test_the_nights_link_duplicates_and_re_link_only_what_changes_can_reach(resolved):
    match, runs = resolved
    assert match.trained and match.trained_on >= 200, "the attribute model was trained, not expert-set"
    for night, (profiles, incremental, full) in enumerate(runs[1:], start=1):
        merged = (full["group_key"] != full["cluster_key"]).sum()
        refused = (full["super_key"] != full["group_key"]).sum()
        relinked = int(incremental["resolved_in_build"].sum())
        assert merged > 20, f"night {night}: the duplicates are linked"
        assert refused > 0, f"night {night}: some links are refused by the guard"
        assert 0 < relinked < len(profiles) / 3, f"night {night}: {relinked} of {len(profiles)} re-linked"


def test_an_unchanged_night_re_links_nothing(resolved):
    match, runs = resolved
    profiles, incremental, _ = runs[-1]
    again = resolve(profiles, incremental[list(STATE_COLUMNS)], match, True, PRIOR, THRESHOLD)
    assert not again["resolved_in_build"].any()
    pd.testing.assert_frame_equal(_customers(again), _customers(incremental))


def test_a_new_holder_of_an_email_local_part_re_links_its_holders():
    state = pd.DataFrame(
        {
            "cluster_key": ["a", "b", "c"],
            "profile_hash": ["1", "2", "3"],
            "email_local": ["annasmith", "annasmith", "ben"],
            "super_key": ["a", "a", "c"],
            "group_key": ["a", "a", "c"],
            "match_probability": [0.99, 0.99, np.nan],
        }
    )
    profiles = pd.concat(
        [state[["cluster_key", "profile_hash", "email_local"]], pd.DataFrame(
            {"cluster_key": ["d"], "profile_hash": ["4"], "email_local": ["annasmith"]})],
        ignore_index=True,
    )  # fmt: skip
    assert region(state, profiles, []) == {"a", "b", "d"}
    assert region(None, profiles, []) is None


def test_components_are_named_by_their_smallest_key():
    pairs = pd.DataFrame({"left_key": ["c", "b", "x"], "right_key": ["d", "c", "y"]})
    assert components(["b", "c", "d", "x", "y", "z"], pairs) == {
        "b": "b", "c": "b", "d": "b", "x": "x", "y": "x", "z": "z"
    }  # fmt: skip


def test_a_kept_model_reads_back_the_same(resolved):
    match, _ = resolved
    again = MatchModel.from_frame(match.to_frame())
    assert again.model_id == match.model_id and again.attributes == ATTRIBUTES
    assert not again.needs_training(ATTRIBUTES, 10_000)
    assert again.needs_training(ATTRIBUTES[:3], 10_000)
