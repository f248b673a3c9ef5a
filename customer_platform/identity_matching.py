"""Probabilistic links (Splink 5) between deterministic clusters that share no key.

Each deterministic cluster with an email or a matching attribute is one profile. Two
Fellegi-Sunter models score candidate pairs, each in a private in-memory DuckDB:

- the email model: profiles sharing the letters-and-digits part of the email's local name
  (anna.smith12@a.example ~ anna_smith12@b.example), with m / u set by expert judgement
  (documented rule): email local parts are near-unique, so random sampling never observes an
  agreeing pair and cannot estimate their u;
- the attribute model, built from the identifier roles the active sources declare
  (int_identity_attributes_declared): an attribute is compared when at least two active
  sources declare it (one source's own records are never merged on a guess, so an attribute
  of one source alone links nothing). Names (Jaro-Winkler levels), birth date (exact / date
  distance), postcode, city and street address, with term-frequency adjustments on names,
  postcode and city; blocking rules are the pairs of compared attributes in BLOCKING_RULES.
  u is estimated by random sampling (seeded), m by expectation maximisation, the prior from
  exact name + birth date agreement; with fewer than MIN_PROFILES_TO_TRAIN profiles, and for
  any level the data never showed, the expert values in ATTRIBUTES are used (documented rule).

The attribute model is trained once and kept: customer_platform.identity_match_model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# A local part held by more profiles than this is generic (info@, sales@): never a candidate.
MAX_PROFILES_PER_LOCAL_PART = 3
#: Below this many profiles the attribute model keeps its expert m / u (no training).
MIN_PROFILES_TO_TRAIN = 200
#: An attribute is compared when at least this many active sources declare it.
MIN_SOURCES_PER_ATTRIBUTE = 2
#: Random-sampling budget for u and its seed (the build is reproducible).
U_SAMPLE_PAIRS = 2e6
SEED = 42
#: Share of true matches that agree exactly on first name, last name and birth date (prior).
EXACT_RULE_RECALL = 0.8
#: Floors of estimated m and u: every level keeps some true matches (data entry errors) and
#: some random pairs (Splink's own value for a level never observed).
M_FLOOR, U_FLOOR = 0.01, 1e-6
#: attribute -> (comparison, Jaro-Winkler thresholds, tf, expert m, expert u); levels exact..else.
ATTRIBUTES = {
    "first_name": ("jw", [0.92, 0.8], True, [0.85, 0.08, 0.04, 0.03], [0.02, 0.01, 0.05, 0.92]),
    "last_name": ("jw", [0.92, 0.8], True, [0.85, 0.08, 0.04, 0.03], [0.01, 0.005, 0.03, 0.955]),
    "birth_date": ("date", None, False, [0.88, 0.04, 0.02, 0.03, 0.03], [1e-4, 2e-3, 3e-3, 0.05, 0.945]),
    "postcode": ("exact", None, True, [0.88, 0.12], [5e-4, 0.9995]),
    "city": ("exact", None, True, [0.9, 0.1], [0.05, 0.95]),
    "street_address": ("jw", [0.9], False, [0.8, 0.1, 0.1], [5e-4, 1e-3, 0.9985]),
}
BLOCKING_RULES = [
    ("last_name", "birth_date"),
    ("first_name", "birth_date"),
    ("first_name", "postcode"),
    ("last_name", "postcode"),
    ("birth_date", "postcode"),
    ("first_name", "last_name", "city"),
]
#: EM sessions: each estimates m of the comparisons outside its blocking columns.
TRAINING_RULES = [("birth_date",), ("first_name", "last_name")]
EMPTY = pd.DataFrame({"left": [], "right": [], "match_probability": []})


def email_model_settings(prior: float):
    """Expert-set email model (levels: null, exact, fuzzy..., else)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="deterministic_cluster_id",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[block_on("email_local")],
        comparisons=[
            cl.JaroWinklerAtThresholds("email_local", [0.95]).configure(
                m_probabilities=[0.85, 0.10, 0.05], u_probabilities=[1e-6, 1e-3, 0.999]
            ),
            cl.ExactMatch("email_domain").configure(m_probabilities=[0.3, 0.7], u_probabilities=[0.15, 0.85]),
            cl.ExactMatch("first_name").configure(m_probabilities=[0.9, 0.1], u_probabilities=[0.01, 0.99]),
            cl.ExactMatch("last_name").configure(m_probabilities=[0.9, 0.1], u_probabilities=[0.005, 0.995]),
            cl.ExactMatch("birth_date").configure(
                m_probabilities=[0.95, 0.05], u_probabilities=[1e-4, 0.9999]
            ),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def predict_pairs(linker, threshold: float) -> pd.DataFrame:
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    if pairs.empty:
        return EMPTY
    return pd.DataFrame(
        {
            "left": pairs["deterministic_cluster_id_l"].to_numpy(dtype=np.int64),
            "right": pairs["deterministic_cluster_id_r"].to_numpy(dtype=np.int64),
            "match_probability": pairs["match_probability"].to_numpy(dtype=float),
        }
    )


def score_email_pairs(
    profiles: pd.DataFrame, prior: float, threshold: float, holders: pd.Series | None = None
) -> pd.DataFrame:
    """Pairs (left, right, match_probability) of the email model at or above the threshold.

    `holders` counts the profiles per email local part over every profile (default: over
    `profiles`), so scoring a subset keeps the generic local-part rule of the whole.
    """
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    if holders is None:
        holders = profiles["email_local"].value_counts()
    counts = profiles["email_local"].map(holders).fillna(0)
    candidates = profiles[
        profiles["email_local"].notna() & (counts > 1) & (counts <= MAX_PROFILES_PER_LOCAL_PART)
    ]
    if len(candidates) < 2:
        return EMPTY
    columns = [
        "deterministic_cluster_id",
        "email_local",
        "email_domain",
        "first_name",
        "last_name",
        "birth_date",
    ]
    db_api = DuckDBAPI()  # a private in-memory database: Splink's work tables stay out of the warehouse
    return predict_pairs(Linker(db_api.register(candidates[columns]), email_model_settings(prior)), threshold)


def compared_attributes(declared: pd.DataFrame) -> list[str]:
    """Attributes of the attribute model: declared by enough active sources, in ATTRIBUTES order."""
    counts = dict(zip(declared["identifier_type"], declared["source_count"].astype(int), strict=True))
    return [a for a in ATTRIBUTES if counts.get(a, 0) >= MIN_SOURCES_PER_ATTRIBUTE]


def _comparison(attribute: str, expert: bool):
    import splink.comparison_library as cl

    kind, thresholds, tf, m, u = ATTRIBUTES[attribute]
    if kind == "jw":
        comparison = cl.JaroWinklerAtThresholds(attribute, thresholds)
    elif kind == "date":
        comparison = cl.AbsoluteDateDifferenceAtThresholds(
            attribute, input_is_string=False, metrics=["day", "month", "year"], thresholds=[1, 1, 1]
        )
    else:
        comparison = cl.ExactMatch(attribute)
    options = {"term_frequency_adjustments": tf}
    if expert:
        options.update(m_probabilities=m, u_probabilities=u)
    return comparison.configure(**options)


def attribute_model_settings(attributes: list[str], prior: float, expert: bool):
    """The attribute model over the compared attributes (expert m / u, or left for training)."""
    from splink import SettingsCreator, block_on

    rules = [rule for rule in BLOCKING_RULES if set(rule) <= set(attributes)]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="deterministic_cluster_id",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in rules],
        comparisons=[_comparison(a, expert) for a in attributes],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _fill_untrained(model: dict, attributes: list[str]) -> dict:
    """Expert m / u for every level the training left without an estimate; m and u floored.

    A small training set can see no true match in a level (m = 0) or no random pair in it
    (u = 0); either would make one field's agreement or disagreement decide a pair alone.
    """
    for attribute, comparison in zip(attributes, model["comparisons"], strict=True):
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        _, _, _, m, u = ATTRIBUTES[attribute]
        for level, m_expert, u_expert in zip(levels, m, u, strict=True):
            for key, expert_value, floor in (
                ("m_probability", m_expert, M_FLOOR),
                ("u_probability", u_expert, U_FLOOR),
            ):
                value = level.get(key)
                level[key] = max(float(value), floor) if isinstance(value, int | float) else expert_value
    return model


def trained_attribute_model(profiles: pd.DataFrame, attributes: list[str], prior: float) -> dict:
    """Splink settings with u from random sampling, m from EM and the prior from exact agreement."""
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI

    linker = Linker(DuckDBAPI().register(profiles), attribute_model_settings(attributes, prior, expert=False))
    exact = [a for a in ("first_name", "last_name", "birth_date") if a in attributes]
    if len(exact) >= 2:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*exact)], recall=EXACT_RULE_RECALL
        )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    for rule in TRAINING_RULES:
        if set(rule) <= set(attributes) and len(attributes) > len(rule):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
            except ValueError:
                # EM over a block of almost only matches can drive a level's m to 0, which
                # Splink refuses; the comparisons of that session keep the other estimates
                # or the expert values (documented rule).
                continue
    return _fill_untrained(linker.misc.save_model_to_json(), attributes)
