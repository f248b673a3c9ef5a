"""Archetype behaviour and the configurable rates of planted messiness."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

ARCHETYPES: tuple[str, ...] = (
    "champion",
    "discount_hunter",
    "lapsing",
    "new_customer",
    "window_shopper",
    # Appended later, drawn only in a world that asks for them (datagen/worlds.py).
    "big_ticket",
    "store_loyalist",
)
CHAMPION, DISCOUNT_HUNTER, LAPSING, NEW_CUSTOMER, WINDOW_SHOPPER, BIG_TICKET, STORE_LOYALIST = range(7)
#: Default share of persons per archetype (ARCHETYPES order). The appended archetypes get
#: 0: trailing zeros leave `Generator.choice` drawing exactly what the five-archetype mix drew.
ARCHETYPE_MIX = np.array([0.15, 0.25, 0.25, 0.15, 0.20, 0.0, 0.0])

#: Days of order history carried by the first daily drop.
HISTORY_DAYS = 365
#: New customers are first seen within this many days before the end date.
NEW_CUSTOMER_DAYS = 30
#: Oldest first-seen day for established persons, in days before the start date.
MAX_TENURE_DAYS = 1500
#: Days after the end date simulated for `_truth/future.csv`, and its windows (end, end + w].
FUTURE_DAYS = 365
FUTURE_WINDOWS = (90, 365)


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


# Per-archetype behaviour, indexed by archetype code -----------------------------------
ORDER_RATE = _a(0.050, 0.045, 0.030, 0.060, 0.004, 0.008, 0.060)  # orders per active day
WEB_SHARE = _a(0.60, 0.50, 0.50, 0.60, 0.85, 0.80, 0.05)  # share of a CRM person's orders online
EXTRA_LINES = _a(2.0, 0.3, 1.0, 0.8, 0.3, 0.2, 1.2)  # order lines = 1 + Poisson(this)
EXTRA_QUANTITY = _a(0.25, 0.10, 0.15, 0.15, 0.05, 0.05, 0.20)  # quantity = 1 + Poisson(this)
SKU_SKEW = _a(0.50, 3.0, 1.0, 1.0, 1.3, 0.25, 1.0)  # u**skew picks the SKU: < 1 = pricier
RETURN_FACTOR = _a(0.8, 1.5, 1.0, 0.8, 1.5, 1.2, 0.6)  # multiplies the return/cancel base rates
#: Daily dropout hazard per active day ("buy till you die"): a person stops buying for good
#: after an exponential time drawn from their first order day. Yearly churn 1 - exp(-365 h):
#: champions ~6% (loyal, 1/6000), store loyalists ~7% (habit, 1/4800), big_ticket ~10%
#: (rare purchases, 1/3600), window shoppers ~12% (weak intent, 1/2800), discount hunters ~17%
#: (loyal to the deal, not the shop, 1/2000), new customers ~20% (one-time buyers who never
#: return, 1/1600). Lapsing persons keep their planted stop 150..300 days before the end (0 here).
#: Four times these rates left the archetypes no longer describing what people do at the end
#: date (the demo's segmentation ARI against them fell from 0.82 to 0.65), and at twice these,
#: with leavers still browsing, unlinkable cookie fragments weighed a larger share of every
#: person's record pairs (identity recall on the demo 0.948). A person who has left stops
#: visiting the shop too (`events.py`). At these rates: ARI 0.80, recall 0.953.
DROPOUT_RATE = _a(1 / 6000, 1 / 2000, 0.0, 1 / 1600, 1 / 2800, 1 / 3600, 1 / 4800)
#: Category mix, rows = archetypes, columns = vocab.CATEGORIES.
CATEGORY_MIX = np.array(
    [
        [0.35, 0.20, 0.08, 0.07, 0.28, 0.02],
        [0.07, 0.04, 0.08, 0.05, 0.02, 0.74],
        [0.30, 0.15, 0.15, 0.20, 0.10, 0.10],
        [0.30, 0.15, 0.20, 0.15, 0.10, 0.10],
        [0.30, 0.15, 0.20, 0.20, 0.10, 0.05],
        [0.10, 0.08, 0.02, 0.30, 0.48, 0.02],
        [0.30, 0.15, 0.25, 0.20, 0.05, 0.05],
    ]
)
CATEGORY_CUM = np.cumsum(CATEGORY_MIX, axis=1)
SESSION_RATE = _a(0.12, 0.10, 0.01, 0.12, 0.40, 0.04, 0.01)  # web sessions per active day
EXTRA_EVENTS = _a(4.0, 3.0, 1.5, 3.0, 7.0, 4.0, 2.0)  # events per session = 1 + Poisson(this)
#: Event type mix after the landing page view: page_view, product_view, add_to_cart, checkout.
EVENT_MIX = np.array(
    [
        [0.25, 0.50, 0.15, 0.10],
        [0.30, 0.45, 0.17, 0.08],
        [0.50, 0.40, 0.08, 0.02],
        [0.30, 0.50, 0.13, 0.07],
        [0.20, 0.70, 0.09, 0.01],
        [0.20, 0.65, 0.10, 0.05],
        [0.40, 0.45, 0.10, 0.05],
    ]
)
EVENT_CUM = np.cumsum(EVENT_MIX, axis=1)
OPEN_RATE = _a(0.50, 0.55, 0.04, 0.35, 0.25, 0.30, 0.10)  # per email sent
CLICK_RATE = _a(0.40, 0.55, 0.10, 0.25, 0.12, 0.20, 0.15)  # per email opened
UNSUBSCRIBE_RATE = _a(0.001, 0.001, 0.010, 0.002, 0.003, 0.002, 0.004)  # per email sent
#: Planted campaign uplift (datagen/campaigns.py): the probability that a treated member of an
#: email campaign places one extra completed order within the attribution window because of
#: it, whatever they would have done anyway. Champions buy regardless (0); lapsing customers
#: answer a win-back best (+5 points); new customers take a second-purchase nudge (+4);
#: discount hunters follow an offer (+3); window shoppers need a push (+2); big-ticket buyers
#: and store loyalists hardly move for an email (+1).
CAMPAIGN_UPLIFT = _a(0.00, 0.03, 0.05, 0.04, 0.02, 0.01, 0.01)
BOUNCE_RATE = 0.01
SECOND_EMAIL_BOUNCE_RATE = 0.04
#: Income band probabilities (low, medium, high) per archetype.
INCOME_MIX = np.array(
    [
        [0.10, 0.40, 0.50],
        [0.45, 0.45, 0.10],
        [0.30, 0.50, 0.20],
        [0.30, 0.50, 0.20],
        [0.35, 0.45, 0.20],
        [0.05, 0.35, 0.60],
        [0.30, 0.55, 0.15],
    ]
)


@dataclass(frozen=True)
class MessRates:
    """Rates (each within 0..1) of planted messiness and identity fragmentation.

    Shares of rows unless noted; `planted.json` records these and the counts planted.
    """

    email_messy: float = 0.15  # email values with mixed case and/or stray whitespace
    phone_nonstandard: float = 0.60  # phones not written as E.164
    name_typo: float = 0.03  # CRM rows with a one-character edit in a name
    crm_exact_duplicate: float = 0.01  # CRM rows followed by an identical line
    crm_daily_update: float = 0.002  # existing contacts re-sent each later day (later updated_at)
    missing_phone: float = 0.08
    missing_city: float = 0.05
    missing_birth_date: float = 0.10
    postcode_variant: float = 0.10  # postcode lower case or without its space
    city_case_variant: float = 0.10  # city upper or lower case
    country_variant: float = 0.40  # country not written as the ISO code
    malformed_line: float = 0.005  # CSV data lines malformed (see writers.SourceSpec.malformed_kinds)
    broken_json: float = 0.005  # web event lines with truncated JSON
    non_positive_price: float = 0.002  # order lines with unit_price 0 or negative
    web_return: float = 0.06  # web orders returned (times an archetype factor)
    web_cancel: float = 0.03  # web orders cancelled (times an archetype factor)
    pos_return: float = 0.04  # POS transactions that are returns (negative quantity)
    foreign_currency: float = 0.03  # GB web orders in USD/EUR (FR customers always pay EUR)
    crm_member: float = 0.85  # persons who are CRM contacts; the rest are POS-only
    france: float = 0.10  # CRM persons living in France
    loyalty_card: float = 0.60  # CRM persons with a loyalty card (POS-only: 0.8 fixed)
    marketing_consent: float = 0.70
    second_crm_account: float = 0.02  # persons registered twice in the CRM
    second_email: float = 0.08  # persons also subscribed under an email not in the CRM
    anonymous_only: float = 0.10  # CRM persons who never log in on the web
    logged_in_session: float = 0.50  # sessions of the other CRM persons that are logged in
    demographics_coverage: float = 0.60  # persons the vendor knows
    demographics_non_customers: float = 0.15  # extra vendor rows, as a share of persons

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"rate {f.name} must be within 0..1, got {value!r}")

    def with_overrides(self, **overrides: float) -> MessRates:
        """Return a copy with some rates replaced; unknown names raise ValueError."""
        unknown = sorted(set(overrides) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"unknown rate(s): {', '.join(unknown)}")
        return replace(self, **overrides)

    def as_dict(self) -> dict[str, float]:
        """All rates by name."""
        return asdict(self)


def rate_names() -> tuple[str, ...]:
    """Names of every configurable rate."""
    return tuple(f.name for f in fields(MessRates))
