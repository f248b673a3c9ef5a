"""The kept attribute model of probabilistic matching (customer_platform.identity_match_model).

One build trains it; later builds keep their previous table unless the model no longer fits
(other compared attributes, or enough profiles now to replace expert values) or a retrain is
asked for (var `identity_retrain`). Holds attribute values (term frequencies): restricted.
"""

from customer_platform.identity_increment import config_flag, read_previous
from customer_platform.identity_match_model import MatchModel, attribute_candidates, train_match_model
from customer_platform.identity_matching import compared_attributes

COLUMNS = ("record_type", "column_name", "term", "term_frequency", "payload")


def model(dbt, session):
    dbt.config(materialized="table")
    profiles = dbt.ref("int_identity_clusters_profiled").df()
    attributes = compared_attributes(dbt.ref("int_identity_attributes_declared").df())
    prior = float(dbt.config.get("prior"))
    previous = None if config_flag(dbt.config.get("retrain")) else read_previous(session, dbt.this, COLUMNS)
    kept = MatchModel.from_frame(previous) if previous is not None else None
    candidates = len(attribute_candidates(profiles, attributes)) if attributes else 0
    if kept is not None and not kept.needs_training(attributes, candidates):
        return previous
    return train_match_model(profiles, attributes, prior).to_frame()
