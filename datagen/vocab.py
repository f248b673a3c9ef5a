"""Fixed vocabularies of the synthetic data: names, places, stores, product catalogue.

No entry may contain a comma, a double quote or a newline: the writers join fields
with commas without quoting (see `writers.py`), and a test guards this invariant.
"""

from __future__ import annotations

import unicodedata

import numpy as np

GB_FIRST = (
    "Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Henry "
    "Leo Alfie Joshua Freddie Archie Ethan Isaac Alexander Joseph Edward Samuel Max Daniel "
    "Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Ivy "
    "Freya Harper Willow Charlotte Jessica Chloe Ruby Daisy Alice Lucy Sarah Emma Hannah"
).split()
GB_LAST = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb "
    "Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes "
    "Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey O'Brien"
).split()
FR_FIRST = (
    "Gabriel Léo Raphaël Arthur Louis Lucas Adam Jules Hugo Maël Nathan Paul Théo Noé "
    "Jade Louise Emma Alice Ambre Lina Rose Chloé Léa Mila Anna Inès Julia Léna Zoé Hélène"
).split()
FR_LAST = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre "
    "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc"
).split()

#: All first / last names; persons index into these with country-specific ranges.
FIRST_NAMES: tuple[str, ...] = tuple(GB_FIRST + FR_FIRST)
LAST_NAMES: tuple[str, ...] = tuple(GB_LAST + FR_LAST)
FIRST_RANGES = ((0, len(GB_FIRST)), (len(GB_FIRST), len(FIRST_NAMES)))
LAST_RANGES = ((0, len(GB_LAST)), (len(GB_LAST), len(LAST_NAMES)))


def ascii_slug(name: str) -> str:
    """Lower-case ASCII form of a name for email local parts (Hélène -> helene)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalpha())


FIRST_SLUGS: tuple[str, ...] = tuple(ascii_slug(n) for n in FIRST_NAMES)
LAST_SLUGS: tuple[str, ...] = tuple(ascii_slug(n) for n in LAST_NAMES)

#: Reserved example domains (RFC 2606 / 6761): never a real mailbox.
EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com",
    "example.net",
    "example.org",
    "mail.example",
    "inbox.test",
    "post.example",
)
SECOND_EMAIL_DOMAINS: tuple[str, ...] = ("webmail.example", "home.test", "example.org")

#: GB postcode areas with their post town; FR cities with their postcode prefix.
GB_PLACES: tuple[tuple[str, str], ...] = (
    ("SW", "London"),
    ("N", "London"),
    ("E", "London"),
    ("M", "Manchester"),
    ("B", "Birmingham"),
    ("LS", "Leeds"),
    ("L", "Liverpool"),
    ("BS", "Bristol"),
    ("NE", "Newcastle upon Tyne"),
    ("EH", "Edinburgh"),
    ("G", "Glasgow"),
    ("CF", "Cardiff"),
    ("NG", "Nottingham"),
    ("S", "Sheffield"),
    ("BN", "Brighton"),
    ("OX", "Oxford"),
)
FR_PLACES: tuple[tuple[str, str], ...] = (
    ("750", "Paris"),
    ("690", "Lyon"),
    ("130", "Marseille"),
    ("310", "Toulouse"),
    ("590", "Lille"),
    ("330", "Bordeaux"),
    ("440", "Nantes"),
    ("420", "Saint-Étienne"),
)
PLACES: tuple[tuple[str, str], ...] = GB_PLACES + FR_PLACES
PLACE_RANGES = ((0, len(GB_PLACES)), (len(GB_PLACES), len(PLACES)))
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

#: Stores (all in Great Britain: POS times are Europe/London local time).
N_STORES = 24

#: Country spellings: index 0 is the ISO code; the rest are planted variants.
COUNTRY_CODES = ("GB", "FR")
COUNTRY_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("GB", "UK", "United Kingdom", "gb", "uk", "Great Britain"),
    ("FR", "France", "fr", "FRANCE"),
)
CONSENT_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("false", "no", "0", "N"),
    ("true", "yes", "1", "Y"),
)

CATEGORIES: tuple[str, ...] = ("apparel", "footwear", "beauty", "home", "electronics", "outlet")
CATEGORY_CODES: tuple[str, ...] = ("APP", "FTW", "BTY", "HOM", "ELC", "OUT")
#: (low, high) list price in GBP per category, in CATEGORIES order.
PRICE_RANGES: tuple[tuple[float, float], ...] = (
    (12.0, 140.0),
    (30.0, 190.0),
    (5.0, 65.0),
    (8.0, 160.0),
    (25.0, 950.0),
    (3.0, 35.0),
)
SKUS_PER_CATEGORY = 200
#: GBP -> currency, used only to price the synthetic lines (ingestion has its own table).
FX_FROM_GBP = {"GBP": 1.0, "EUR": 1.17, "USD": 1.27}
CURRENCIES: tuple[str, ...] = ("GBP", "EUR", "USD")

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
INCOME_BANDS = ("low", "medium", "high")
REGION_TYPES = ("urban", "suburban", "rural")


def build_catalog(rng: np.random.Generator) -> tuple[np.ndarray, list[list[str]]]:
    """Return (prices GBP shape [category, sku] sorted ascending, sku codes per category)."""
    prices = np.empty((len(CATEGORIES), SKUS_PER_CATEGORY))
    for c, (low, high) in enumerate(PRICE_RANGES):
        # Log-uniform list prices, rounded to .99 / .49 / .00 endings as shops do.
        raw = np.exp(rng.uniform(np.log(low), np.log(high), SKUS_PER_CATEGORY))
        endings = rng.choice(np.array([0.99, 0.49, 0.0]), SKUS_PER_CATEGORY)
        prices[c] = np.sort(np.floor(raw) + endings)
    skus = [[f"{code}-{i:04d}" for i in range(SKUS_PER_CATEGORY)] for code in CATEGORY_CODES]
    return prices, skus


#: Street names of the member file's addresses (the CRM holds no street).
STREET_NAMES: tuple[str, ...] = (
    "High Street", "Station Road", "Church Lane", "Park Avenue", "Victoria Road", "Mill Lane",
    "Green Lane", "Manor Road", "Kings Road", "Queens Road", "Rue de la Paix", "Avenue Foch",
    "Rue Victor Hugo", "Boulevard Voltaire", "Chemin des Vignes", "Rue du Moulin",
)  # fmt: skip
