"""Planted messiness: how clean values get written the way real exports write them."""

from __future__ import annotations

from collections import Counter

import numpy as np

from datagen import vocab

#: Phone formats per country; index 0 is E.164, the others are planted variants.
PHONE_FORMATS = {
    0: ("e164", "spaced_intl", "national", "paren_zero_dashed", "intl_no_plus"),
    1: ("e164", "spaced_intl", "national_spaced", "double_zero_intl", "intl_no_plus"),
}
EMAIL_STYLES = ("upper", "capitalized", "leading_space", "trailing_space", "padded")


def messy_email(clean: str, style: int) -> str:
    """Write `clean` in a planted style (1..5); style 0 returns it unchanged.

    Every non-zero style adds upper case or whitespace, so a reader can count them.
    """
    if style == 0:
        return clean
    local, _, domain = clean.partition("@")
    cap = f"{local[:1].upper()}{local[1:]}@{domain[:1].upper()}{domain[1:]}"
    return (clean.upper(), cap, f" {cap}", f"{clean}  ", f"  {clean} ")[style - 1]


def email_styles(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """0 (clean) or a planted style 1..5 per value."""
    styles = rng.integers(1, len(EMAIL_STYLES) + 1, n)
    return np.where(rng.random(n) < rate, styles, 0)


def typo(name: str, u: float, v: float) -> str:
    """One-character edit (substitute, delete, insert or transpose) that changes `name`."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    pos = 1 + int(u * (len(name) - 1)) if len(name) > 1 else 0
    pos = min(pos, len(name) - 1)
    kind = int(v * 4)
    fresh = letters[int(v * 997) % 26]
    if kind == 1 and len(name) > 2:
        out = name[:pos] + name[pos + 1 :]
    elif kind == 2:
        out = name[:pos] + fresh + name[pos:]
    elif kind == 3 and pos + 1 < len(name) and name[pos] != name[pos + 1]:
        out = name[:pos] + name[pos + 1] + name[pos] + name[pos + 2 :]
    else:
        if fresh == name[pos].lower():
            fresh = letters[(letters.index(fresh) + 1) % 26]
        out = name[:pos] + fresh + name[pos + 1 :]
    return out


def format_phone(country: int, nsn: int, fmt: int) -> str:
    """Write a national significant number in format `fmt` (see PHONE_FORMATS)."""
    s = str(nsn)
    if country == 0:  # GB, nsn = 7xxxxxxxxx
        return (f"+44{s}", f"+44 {s[:4]} {s[4:]}", f"0{s}", f"(0){s[:4]}-{s[4:7]}-{s[7:]}", f"44{s}")[fmt]
    pairs = " ".join(s[i : i + 2] for i in range(1, 9, 2))  # FR, nsn = 6xxxxxxxx
    return (f"+33{s}", f"+33 {s[0]} {pairs}", f"0{s[0]} {pairs}", f"0033{s}", f"33{s}")[fmt]


def postcode_variant(canonical: str, u: float) -> str:
    """Lower-cased or space-less postcode (GB); FR postcodes get a leading space."""
    if " " not in canonical:
        return f" {canonical}"
    return canonical.lower() if u < 0.5 else canonical.replace(" ", "")


class Tally(Counter):
    """Counts of everything planted, keyed `what` or `what:detail`."""

    def add(self, key: str, count: int = 1) -> None:
        """Add `count` to `key` (zero counts are not recorded)."""
        if count:
            self[key] += int(count)


def apply_email_mess(
    clean: list[str], rng: np.random.Generator, rate: float, tally: Tally, key: str
) -> list[str]:
    """Messy-write each email at `rate`, counting `key` (e.g. `email_messy:crm_customers`)."""
    styles = email_styles(rng, len(clean), rate)
    tally.add(key, int((styles > 0).sum()))
    return [messy_email(e, s) if s else e for e, s in zip(clean, styles.tolist(), strict=True)]


def apply_typos(names: list[str], mask: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Copy of `names` with a one-character typo where `mask` is True."""
    out = list(names)
    hits = np.flatnonzero(mask)
    u, v = rng.random(len(hits)), rng.random(len(hits))
    for k, i in enumerate(hits.tolist()):
        out[i] = typo(out[i], float(u[k]), float(v[k]))
    return out


def country_spellings(codes: np.ndarray, rng: np.random.Generator, rate: float, tally: Tally) -> list[str]:
    """ISO code, or a planted spelling (`UK`, `United Kingdom`, `gb`, `France`, ...) at `rate`."""
    n = len(codes)
    variant = rng.random(n) < rate
    pick = rng.random(n)
    out = []
    for c, is_variant, u in zip(codes.tolist(), variant.tolist(), pick.tolist(), strict=True):
        spellings = vocab.COUNTRY_SPELLINGS[c]
        text = spellings[1 + int(u * (len(spellings) - 1))] if is_variant else spellings[0]
        out.append(text)
        if is_variant:
            tally.add(f"country_variant:{text}")
    return out
