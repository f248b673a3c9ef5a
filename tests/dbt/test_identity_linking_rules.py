"""The pure rules of the probabilistic step (customer_platform.identity_matching), without Splink runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_platform import identity_increment, identity_matching


@pytest.fixture(scope="module")
def linking():
    class Rules:
        merge_guarded = staticmethod(identity_increment.merge_guarded)

    for name in ("compared_attributes", "_fill_untrained", "ATTRIBUTES", "U_FLOOR", "M_FLOOR"):
        setattr(Rules, name, getattr(identity_matching, name))
    return Rules


def test_guard_never_joins_two_records_of_one_customer_record_source(linking):
    # 0 and 2 are CRM contacts, 1 a scheme member, 3 an email subscriber (no customer record).
    sources = {0: ["crm"], 1: ["members"], 2: ["crm"], 3: []}
    pairs = pd.DataFrame({"left": [0, 1, 2], "right": [1, 2, 3], "match_probability": [0.99, 0.98, 0.97]})
    labels, best = linking.merge_guarded(np.arange(5), pairs, sources)
    # 1 joins 0 (strongest); 1-2 would put two CRM contacts together: refused; 2-3 joins.
    assert labels.tolist() == [0, 0, 2, 2, 4]
    assert best.to_dict() == {0: 0.99, 1: 0.99, 2: 0.97, 3: 0.97}


def test_attributes_are_compared_when_two_sources_declare_them(linking):
    declared = pd.DataFrame(
        {
            "identifier_type": ["email", "first_name", "last_name", "birth_date", "street_address"],
            "source_count": [1, 2, 2, 3, 1],
            "sources": ["crm", "crm,m", "crm,m", "crm,m,s", "m"],
        }
    )
    assert linking.compared_attributes(declared) == ["first_name", "last_name", "birth_date"]


def test_expert_values_fill_untrained_levels_and_floors_hold(linking):
    model = {
        "comparisons": [
            {
                "comparison_levels": [
                    {"is_null_level": True},
                    {"m_probability": 0.9, "u_probability": 0.0},
                    {"m_probability": None},
                    {"m_probability": 0.0, "u_probability": 0.5},
                    {"m_probability": 0.05, "u_probability": 0.4},
                ]
            }
        ]
    }
    filled = linking._fill_untrained(model, ["first_name"])["comparisons"][0]["comparison_levels"]
    _, _, _, m, u = linking.ATTRIBUTES["first_name"]
    assert filled[1] == {"m_probability": 0.9, "u_probability": linking.U_FLOOR}
    assert filled[2] == {"m_probability": m[1], "u_probability": u[1]}
    assert filled[3]["m_probability"] == linking.M_FLOOR
