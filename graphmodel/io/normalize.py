"""Normalisation of free-text codes: countries (ISO 3166-1 alpha-2)."""
from __future__ import annotations

from functools import lru_cache

import pycountry

#: Names in common use that ISO 3166 spells differently (USGS, trade statistics, press).
COUNTRY_ALIASES: dict[str, str] = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states of america": "US", "america": "US",
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "burma": "MM", "myanmar (burma)": "MM",
    "south korea": "KR", "korea": "KR", "republic of korea": "KR", "korea, republic of": "KR",
    "north korea": "KP", "dprk": "KP",
    "russia": "RU", "laos": "LA", "lao pdr": "LA", "vietnam": "VN", "viet nam": "VN",
    "iran": "IR", "taiwan": "TW", "syria": "SY", "bolivia": "BO", "tanzania": "TZ",
    "venezuela": "VE", "moldova": "MD", "czech republic": "CZ", "turkey": "TR",
    "ivory coast": "CI", "cote d'ivoire": "CI", "congo (kinshasa)": "CD", "drc": "CD",
    "dr congo": "CD", "congo (brazzaville)": "CG", "mainland china": "CN", "prc": "CN",
    "hong kong": "HK", "macau": "MO", "palestine": "PS", "brunei": "BN", "cape verde": "CV",
}


@lru_cache(maxsize=4096)
def normalize_country(value: str) -> str | None:
    """ISO 3166-1 alpha-2 code for a country given as alpha-2, alpha-3 or a common name.

    Returns ``None`` for anything not recognised; never guesses fuzzily.

    >>> normalize_country("Burma"), normalize_country("DEU"), normalize_country("cn")
    ('MM', 'DE', 'CN')
    """
    text = str(value).strip()
    if not text:
        return None
    alias = COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


def country_name(code: str) -> str:
    """Short English name of an alpha-2 code (the code itself if unknown)."""
    country = pycountry.countries.get(alpha_2=str(code))
    if country is None:
        return str(code)
    return getattr(country, "common_name", None) or country.name
