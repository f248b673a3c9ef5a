"""The kept attribute model: trained once, then used by every night until it is trained again.

`MatchModel` holds the Splink settings and the term-frequency table of each column, so every
night scores a pair with the same model, and a profile that did not change keeps its links
(customer_platform.identity_increment). It is trained again when there is none, when the
compared attributes change, when an expert-valued model now has enough profiles to train on
(MIN_PROFILES_TO_TRAIN), or on request (dbt var `identity_retrain`). Term frequencies hold attribute values (names, postcodes, cities), so
the model lives in the restricted database only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pandas as pd

from customer_platform.identity_matching import (
    ATTRIBUTES,
    BLOCKING_RULES,
    EMPTY,
    MIN_PROFILES_TO_TRAIN,
    attribute_model_settings,
    predict_pairs,
    trained_attribute_model,
)


def attribute_candidates(profiles: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    """Profiles the attribute model compares: at least two of the compared attributes known."""
    return profiles[profiles[attributes].notna().sum(axis=1) >= 2][["deterministic_cluster_id", *attributes]]


def _term_frequency_columns(attributes: list[str]) -> list[str]:
    return [a for a in attributes if ATTRIBUTES[a][2]]


@dataclass(frozen=True)
class MatchModel:
    """The attribute model as trained: Splink settings and the term-frequency table of each column.

    `trained_on` is the number of candidate profiles it was built from; `trained` is False when
    there were too few and the expert values stand.
    """

    attributes: list[str]
    settings: dict | None
    trained_on: int = 0
    trained: bool = False
    term_frequencies: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        """Digest of everything that decides a score: pairs scored by equal ids score the same."""
        digest = hashlib.sha256(json.dumps([self.attributes, self.settings], sort_keys=True).encode())
        for column in sorted(self.term_frequencies):
            frame = self.term_frequencies[column].sort_values(column)
            digest.update(column.encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()[:16]

    def needs_training(self, attributes: list[str], candidate_count: int) -> bool:
        """Whether this model no longer fits the data: other attributes, or now enough profiles to train."""
        return attributes != self.attributes or (
            not self.trained and candidate_count >= MIN_PROFILES_TO_TRAIN
        )

    def to_frame(self) -> pd.DataFrame:
        """One `settings` row (JSON payload), then one row per term of each term-frequency table."""
        payload = {
            "attributes": self.attributes,
            "settings": self.settings,
            "trained_on": self.trained_on,
            "trained": self.trained,
        }
        rows = [("settings", None, None, None, json.dumps(payload, sort_keys=True))]
        for column, frame in sorted(self.term_frequencies.items()):
            rows += [
                ("term_frequency", column, str(term), float(tf), None)
                for term, tf in zip(frame[column], frame[f"tf_{column}"], strict=True)
            ]
        return pd.DataFrame(rows, columns=["record_type", "column_name", "term", "term_frequency", "payload"])

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> MatchModel | None:
        """The model stored by `to_frame`, or None when the frame holds none."""
        settings = frame[frame["record_type"] == "settings"]
        if len(settings) != 1:
            return None
        payload = json.loads(settings["payload"].iloc[0])
        tables = {
            column: pd.DataFrame(
                {column: rows["term"].to_numpy(), f"tf_{column}": rows["term_frequency"].to_numpy()}
            )
            for column, rows in frame[frame["record_type"] == "term_frequency"].groupby("column_name")
        }
        return cls(
            payload["attributes"], payload["settings"], payload["trained_on"], payload["trained"], tables
        )


def train_match_model(profiles: pd.DataFrame, attributes: list[str], prior: float) -> MatchModel:
    """Train the attribute model on the profiles (expert values below MIN_PROFILES_TO_TRAIN)."""
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    if not attributes or not any(set(rule) <= set(attributes) for rule in BLOCKING_RULES):
        return MatchModel(attributes, None)
    candidates = attribute_candidates(profiles, attributes)
    trained = len(candidates) >= MIN_PROFILES_TO_TRAIN
    if trained:
        settings = trained_attribute_model(candidates, attributes, prior)
    else:
        expert = Linker(
            DuckDBAPI().register(candidates), attribute_model_settings(attributes, prior, expert=True)
        )
        settings = expert.misc.save_model_to_json()
    linker = Linker(DuckDBAPI().register(candidates), settings)
    tables = {
        column: linker.table_management.compute_tf_table(column).as_pandas_dataframe()[
            [column, f"tf_{column}"]
        ]
        for column in _term_frequency_columns(attributes)
    }
    return MatchModel(attributes, settings, len(candidates), trained, tables)


def score_attribute_pairs(profiles: pd.DataFrame, model: MatchModel, threshold: float) -> pd.DataFrame:
    """Pairs (left, right, match_probability) of the kept attribute model at or above the threshold.

    Term frequencies come from the model, not from the profiles scored, so a pair scores the
    same whichever other profiles are scored with it.
    """
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    if model.settings is None:
        return EMPTY
    candidates = attribute_candidates(profiles, model.attributes)
    if len(candidates) < 2:
        return EMPTY
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(candidates), model.settings)
    for column, table in model.term_frequencies.items():
        linker.table_management.register_term_frequency_lookup(db_api.register(table), column)
    return predict_pairs(linker, threshold)
