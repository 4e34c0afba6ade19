"""Match events to a network: which facilities, countries, materials and elements an event
names, and what kind of event it is, each with its evidence and a confidence.

Words
-----
An event's title and text are cut into words (runs of letters and digits; ``rare-earth`` is
two words, ``U.S.`` is ``U`` ``S``), compared case-insensitively and without accents. A term
matches only a whole run of words, so "Lynx" never matches "Lynas", "Chinatown" never
matches "China" and "Indiana" never matches "India". Within facilities and within
countries the longest term wins: "Golden US separator" is not also "Golden US" (the mine's
name without "mine"), "Papua New Guinea" is not also "Guinea", "Lynas Malaysia" is not also
every facility of "Lynas".

Terms and their confidence
--------------------------
=========================================  ===========  ========================================
what the event says                        confidence   matches
=========================================  ===========  ========================================
the ``facility`` column: an id or a name   1.00         that facility
the ``country`` column                     1.00         that country (``NA`` is Namibia)
the ``kind`` column                        1.00         that kind
an alias (``--aliases``: alias,            0.90         the canonical facility
canonical_id, as for ``tiern ingest
merge``)
a facility's name up to its first ``(``,   0.90         that facility
``,`` or `` - ``, as written or without
trailing common words (``Mountain Pass
mine`` -> "mountain pass"), two words or
more
an owner's name (``Lynas Rare Earths``)    0.80         every facility of that owner
a country's name (ISO 3166 name, common    0.80         that country
name or an alias such as "Burma")
the owner's name without common words,     0.70         every facility of that owner
if still distinctive (``Lynas``; one word
needs at least 4 letters)
a demonym ("Chinese", "Burmese")           0.70         that country
a distinctive word of a facility's name    0.60         the facilities whose name has it
(not a common word, not a country, 4+
letters, in the names of at most 6
facilities: ``Kalgoorlie``, ``Kachin``)
the same in the part of the name after     0.50         the facilities whose name has it
its head (a place in brackets: ``Pangwa``,
``Indiana``)
an alpha-3 code in capitals (``CHN``)      0.60         that country (codes that are English
                                                        words, such as CAN, are left out)
a material or element keyword of the       0.80         that material / element
rules, or a network material's name
kind keywords (``halt*``, ``export         0.60 + 0.10  the kind with most keyword hits (ties:
control*``)                                per extra    the more words matched, "licence
                                           hit          suspended" over "suspended"; then the
                                                        earlier kind in the rules), at most 0.95
=========================================  ===========  ========================================

One-word names (a distinctive word, an owner's one-word name such as ``Lynas``) match only
where the event writes them with a capital: "users" in running text is not a name. Words of
the rules' keywords (element and material names, "export", "fire") are never names.
A facility (or country) matched by several different terms takes the highest confidence
plus 0.05 for each further distinct term, at most 0.99 (only an explicit column gives 1).
Two-letter ISO codes are never read from free text (``IN``, ``NO``, ``NA`` are English or
"not available"); only ``US`` written in capitals is. "Unknown" is explicit: an event that
names nothing of the network gets an :attr:`EventMatch.reason` saying what was looked for.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
import pycountry

from ..errors import Problem, ValidationError
from ..io.normalize import COUNTRY_ALIASES
from ..network import Network
from .rules import Rules

__all__ = ["Match", "EventMatch", "Gazetteer", "build_gazetteer", "match_events", "words",
           "DEMONYMS", "LEGAL_SUFFIXES"]

#: Demonyms of the countries of the chain and its customers (the press writes "Chinese
#: export controls", "Burmese mines").
DEMONYMS = {
    "chinese": "CN", "burmese": "MM", "myanmarese": "MM", "australian": "AU", "malaysian": "MY",
    "american": "US", "japanese": "JP", "korean": "KR", "vietnamese": "VN", "laotian": "LA",
    "thai": "TH", "indian": "IN", "russian": "RU", "brazilian": "BR", "canadian": "CA",
    "german": "DE", "french": "FR", "british": "GB", "estonian": "EE", "swiss": "CH",
    "spanish": "ES", "danish": "DK", "mexican": "MX", "greenlandic": "GL", "tanzanian": "TZ",
    "angolan": "AO", "nigerian": "NG", "malagasy": "MG", "taiwanese": "TW", "namibian": "NA",
}
#: Trailing legal forms dropped from owner names (as :func:`ingest.merge.normalize_name` does).
LEGAL_SUFFIXES = frozenset({
    "ltd", "limited", "inc", "incorporated", "co", "corp", "corporation", "company", "gmbh",
    "ag", "kg", "sa", "sas", "sarl", "plc", "llc", "llp", "lp", "kk", "bv", "nv", "spa", "srl",
    "pty", "sdn", "bhd", "jsc", "pjsc", "oy", "oyj", "ab", "as", "asa", "tbk", "pte", "pvt",
})
#: Alpha-3 codes that are English words in capitals (headlines), never read as countries.
_ALPHA3_WORDS = frozenset({"CAN", "AND", "ARE", "PER", "BEN", "TON", "MAR", "COD", "GUM",
                           "FIN", "DOM", "MAC", "SUN", "NOR", "ITA", "AUT"})

EXPLICIT, ALIAS, FULL_NAME, OWNER, COUNTRY_NAME, OWNER_HEAD, DEMONYM, NAME_WORD, CODE = (
    1.0, 0.9, 0.9, 0.8, 0.8, 0.7, 0.7, 0.6, 0.6)
PLACE_WORD = 0.5
KEYWORD = 0.8
KIND_BASE, KIND_STEP, KIND_MAX = 0.6, 0.1, 0.95
EXTRA_TERM, TEXT_MAX = 0.05, 0.99
MAX_NAME_WORD_FACILITIES = 6


@dataclass(frozen=True)
class Match:
    """One thing an event names: ``target`` (facility, country, material, element or kind),
    its ``value`` (facility id, ISO code, material, symbol, kind name), the ``evidence``
    (the words as written in the event, with how they matched) and the ``confidence``."""

    target: str
    value: str
    evidence: tuple[str, ...]
    confidence: float
    position: int = -1      # the word where the event first names it (-1: a column)


@dataclass
class EventMatch:
    """What one event names; ``reason`` is "" when it names a facility or a country."""

    event: str
    facilities: list[Match] = field(default_factory=list)
    countries: list[Match] = field(default_factory=list)
    materials: list[Match] = field(default_factory=list)
    elements: list[Match] = field(default_factory=list)
    kind: Match | None = None
    reason: str = ""

    def all(self) -> list[Match]:
        return self.facilities + self.countries + self.materials + self.elements + \
            ([self.kind] if self.kind else [])


# --- words ---------------------------------------------------------------------------------------

def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().casefold()


def words(text: str) -> list[tuple[str, str]]:
    """``(folded, as written)`` for each word of ``text``.

    >>> [w for w, _ in words("Lynas' Kalgoorlie rare-earth plant, U.S.")]
    ['lynas', 'kalgoorlie', 'rare', 'earth', 'plant', 'u', 's']
    """
    out = []
    for found in re.finditer(r"[^\W_]+", str(text)):
        folded = _fold(found.group())
        if folded:
            out.append((folded, found.group()))
    return out


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]        # folded (or as written when case-sensitive)
    prefix: bool                  # the last word matches any ending
    case: bool                    # compare as written
    target: str
    values: tuple[str, ...]
    confidence: float
    how: str
    proper: bool = False          # only where written with a capital (a name, not a word)


def _term(phrase: str, target: str, values, confidence: float, how: str,
          proper: bool = False) -> _Term | None:
    case = phrase.startswith("=")
    prefix = phrase.endswith("*")
    body = phrase.lstrip("=").rstrip("*")
    tokens = tuple(written if case else folded for folded, written in words(body))
    if not tokens:
        return None
    return _Term(tokens, prefix, case, target, tuple(values), confidence, how, proper)


@dataclass
class Gazetteer:
    """Every term of a network and of the rules, indexed by first word."""

    exact: dict[str, list[_Term]]
    prefixed: list[_Term]
    rules: Rules
    facility_keys: dict[str, str]      # id and normalised name -> facility id
    names: dict[str, str]              # facility id -> name

    def scan(self, tokens: list[tuple[str, str]]) -> list[tuple[_Term, int, int]]:
        """Every ``(term, start, end)`` found in ``tokens`` (end exclusive)."""
        found = []
        folded = [f for f, _ in tokens]
        written = [w for _, w in tokens]
        for i in range(len(tokens)):
            candidates = self.exact.get(folded[i], []) + self.exact.get("=" + written[i], [])
            for term in candidates:
                if _matches(term, folded, written, i):
                    found.append((term, i, i + len(term.words)))
        for term in self.prefixed:
            for i in range(len(tokens)):
                if _matches(term, folded, written, i):
                    found.append((term, i, i + len(term.words)))
        return found


def _matches(term: _Term, folded: list[str], written: list[str], i: int) -> bool:
    seq = written if term.case else folded
    n = len(term.words)
    if i + n > len(seq) or (term.proper and not written[i][:1].isupper()):
        return False
    for k, word in enumerate(term.words):
        if k == n - 1 and term.prefix:
            if not seq[i + k].startswith(word):
                return False
        elif seq[i + k] != word:
            return False
    return True


def _name_key(text: str) -> str:
    tokens = [f for f, _ in words(str(text).replace(".", ""))]
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def _country_words() -> set[str]:
    out = set(DEMONYMS)
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", "")):
            out |= {f for f, _ in words(name)}
    for alias in COUNTRY_ALIASES:
        out |= {f for f, _ in words(alias)}
    return out


def build_gazetteer(net: Network, rules: Rules, aliases: pd.DataFrame | None = None) -> Gazetteer:
    """The terms of ``net`` (facility names, owners, aliases), of every country and of
    ``rules`` (see the module docstring for each term's confidence)."""
    terms: list[_Term] = []

    def add(phrase: str, target: str, values, confidence: float, how: str,
            proper: bool = False) -> None:
        term = _term(phrase, target, values, confidence, how, proper)
        if term is not None:
            terms.append(term)

    # words of the rules' keywords (element and material names, "export", "fire") are
    # never the name of a facility
    keyword_words = {f for keywords in (*rules.materials.values(), *rules.elements.values(),
                                        *(k.keywords for k in rules.kinds.values()))
                     for keyword in keywords for f, _ in words(keyword.lstrip("=").rstrip("*"))}
    common = rules.common_words | LEGAL_SUFFIXES | keyword_words
    country_words = _country_words()
    facilities = net.facilities
    names = facilities["name"].astype(str).to_dict()
    # facility names: the head, and the distinctive words
    word_facilities: dict[str, set[str]] = defaultdict(set)
    for fid, name in names.items():
        head = re.split(r"\s*(?:\(|,|\s-\s)", name, maxsplit=1)[0]
        tokens = [f for f, _ in words(head)]
        if len(tokens) >= 2:   # the head as written ("Golden US separator")
            add(" ".join(tokens), "facility", [fid], FULL_NAME, "facility name")
        while tokens and (tokens[-1] in common or tokens[-1] in LEGAL_SUFFIXES):
            tokens.pop()
        if len(tokens) >= 2:   # without its trailing common words ("Mountain Pass")
            add(" ".join(tokens), "facility", [fid], FULL_NAME, "facility name")
        for folded, _ in words(name):
            if len(folded) >= 4 and not folded.isdigit() and folded not in common \
                    and folded not in country_words:
                in_head = folded in {f for f, _ in words(head)}
                word_facilities[folded].add((fid, in_head))
    for word, members in word_facilities.items():
        fids = {fid for fid, _ in members}
        if len(fids) > MAX_NAME_WORD_FACILITIES:
            continue
        for in_head in (True, False):
            chosen = sorted({fid for fid, head_word in members if head_word == in_head}
                            - (set() if in_head else {f for f, h in members if h}))
            if chosen:
                add(word, "facility", chosen, NAME_WORD if in_head else PLACE_WORD,
                    "word of its name" if in_head else "place in its name", proper=True)
    # owners: full name and distinctive head
    owners = facilities["owner"].dropna().astype(str)
    for owner, fids in owners.groupby(owners).groups.items():
        fids = sorted(map(str, fids))
        key = _name_key(owner)
        if key and (" " in key or (len(key) >= 4 and key not in common | country_words)):
            add(key, "facility", fids, OWNER, f"owner {owner}", proper=" " not in key)
        head = [t for t in key.split() if t not in common]
        distinctive = [t for t in head if t not in country_words]
        if distinctive and " ".join(head) != key and (len(head) > 1 or len(head[0]) >= 4):
            add(" ".join(head), "facility", fids, OWNER_HEAD, f"owner {owner}",
                proper=len(head) == 1)
    # aliases (alias,canonical_id as for `tiern ingest merge`)
    keys = {str(fid): str(fid) for fid in facilities.index}
    keys.update({_name_key(name): str(fid) for fid, name in names.items()})
    if aliases is not None:
        for row in aliases.to_dict("records"):
            canonical = keys.get(str(row["canonical_id"]))
            if canonical is None:
                raise ValidationError([Problem(row["_file"], int(row["_row"]), "canonical_id",
                                               f"unknown facility id '{row['canonical_id']}'")])
            add(str(row["alias"]), "facility", [canonical], ALIAS, "alias")
    # countries
    for country in pycountry.countries:
        for name in {country.name, getattr(country, "common_name", country.name),
                     getattr(country, "official_name", country.name)}:
            add(name, "country", [country.alpha_2], COUNTRY_NAME, "country name")
        if country.alpha_3 not in _ALPHA3_WORDS:
            add("=" + country.alpha_3, "country", [country.alpha_2], CODE, "ISO code")
    for alias, code in COUNTRY_ALIASES.items():
        add(alias, "country", [code], COUNTRY_NAME, "country name")
    add("=US", "country", ["US"], CODE, "ISO code")
    for demonym, code in DEMONYMS.items():
        add(demonym, "country", [code], DEMONYM, "demonym")
    # materials, elements, kinds
    for material in sorted(set(net.links["material"].astype(str))):
        add(material, "material", [material], KEYWORD, "material name")
    for material, keywords in rules.materials.items():
        for keyword in keywords:
            add(keyword, "material", [material], KEYWORD, "material keyword")
    for symbol, keywords in rules.elements.items():
        for keyword in keywords:
            add(keyword, "element", [symbol], KEYWORD, "element keyword")
    for kind in rules.kinds.values():
        for keyword in kind.keywords:
            add(keyword, "kind", [kind.name], KIND_BASE, "kind keyword")
    exact: dict[str, list[_Term]] = defaultdict(list)
    prefixed = []
    for term in terms:
        if term.prefix and len(term.words) == 1:
            prefixed.append(term)
        else:
            exact[("=" if term.case else "") + term.words[0]].append(term)
    return Gazetteer(dict(exact), prefixed, rules, keys, {str(k): v for k, v in names.items()})


# --- matching --------------------------------------------------------------------------------

def _quote(tokens, start: int, end: int) -> str:
    return " ".join(w for _, w in tokens[start:end])


def _longest_only(found: list[tuple[_Term, int, int]]) -> list[tuple[_Term, int, int]]:
    """Drop a hit whose span lies inside a longer hit's span."""
    return [hit for hit in found
            if not any(o is not hit and o[1] <= hit[1] and hit[2] <= o[2] and (o[2] - o[1]) > (hit[2] - hit[1])
                       for o in found)]


def _combine(target: str, hits: dict[str, list[tuple[str, float, int]]]) -> list[Match]:
    out = []
    for value, evidence in hits.items():
        best = max(c for _, c, _ in evidence)
        distinct, folded = [], set()
        for text, _, _ in evidence:      # 'KACHIN' and 'Kachin' are one piece of evidence
            if text.casefold() not in folded:
                folded.add(text.casefold())
                distinct.append(text)
        confidence = best if best >= EXPLICIT else min(TEXT_MAX, best + EXTRA_TERM * (len(distinct) - 1))
        out.append(Match(target, value, tuple(distinct), round(confidence, 2),
                         min(p for _, _, p in evidence)))
    return sorted(out, key=lambda m: (-m.confidence, m.value))


def match_event(event: dict, gazetteer: Gazetteer) -> EventMatch:
    """What one event (a row of the event table, as a dict) names."""
    result = EventMatch(event=str(event["id"]))
    tokens = words(f"{event['title']}\n{event.get('text', '')}")
    found = gazetteer.scan(tokens)
    # within facilities and within countries the longest name wins: "Golden US separator"
    # is not also "Golden US" (the mine), "Papua New Guinea" not also "Guinea"
    found = [h for h in found if h[0].target not in ("country", "facility")] + \
        _longest_only([h for h in found if h[0].target == "facility"]) + \
        _longest_only([h for h in found if h[0].target == "country"])
    by_target: dict[str, dict[str, list[tuple[str, float, int]]]] = defaultdict(lambda: defaultdict(list))
    kind_hits: dict[str, list[str]] = defaultdict(list)
    kind_words: dict[str, int] = defaultdict(int)
    for term, start, end in found:
        quoted = _quote(tokens, start, end)
        if term.target == "kind":
            kind_hits[term.values[0]].append(quoted)
            kind_words[term.values[0]] += end - start
            continue
        for value in term.values:
            by_target[term.target][value].append((f"'{quoted}' ({term.how})", term.confidence,
                                                   start))
    named = str(event.get("facility", "") or "")
    if named:
        fid = gazetteer.facility_keys.get(named) or gazetteer.facility_keys.get(_name_key(named))
        if fid is None:
            result.reason = f"its facility '{named}' is not a facility of the network"
            return result
        by_target["facility"][fid].append((f"'{named}' (facility column)", EXPLICIT, -1))
    if event.get("country"):
        by_target["country"][event["country"]].append((f"'{event['country']}' (country column)",
                                                       EXPLICIT, -1))
    material = str(event.get("material", "") or "")
    if material:
        symbol = material if material in gazetteer.rules.elements else None
        target = "element" if symbol else "material"
        by_target[target][material].append((f"'{material}' (material column)", EXPLICIT, -1))
    result.facilities = _combine("facility", by_target["facility"])
    result.countries = _combine("country", by_target["country"])
    result.materials = _combine("material", by_target["material"])
    result.elements = _combine("element", by_target["element"])
    kinds = gazetteer.rules.kinds
    if event.get("kind"):
        result.kind = Match("kind", event["kind"], (f"'{event['kind']}' (kind column)",), EXPLICIT)
    elif kind_hits:
        order = list(kinds)
        name = max(kind_hits, key=lambda k: (len(kind_hits[k]), kind_words[k], -order.index(k)))
        hits = list(dict.fromkeys(kind_hits[name]))
        confidence = min(KIND_MAX, KIND_BASE + KIND_STEP * (len(kind_hits[name]) - 1))
        result.kind = Match("kind", name, tuple(f"'{h}' (keyword)" for h in hits), round(confidence, 2))
    if not result.facilities and not result.countries:
        result.reason = (f"names no facility, owner or country of the network (read {len(tokens)} "
                         "words of its title and text; no facility name, owner, alias, country "
                         "name or code among them)")
    return result


def match_events(events: pd.DataFrame, net: Network, rules: Rules,
                 aliases: pd.DataFrame | None = None) -> list[EventMatch]:
    """:func:`match_event` for every event, in order.

    Raises :class:`~graphmodel.errors.ValidationError` when an event's ``kind`` column names
    a kind the rules do not define (``file:row:kind``).
    """
    unknown = [Problem(r.file, int(r.row), "kind", f"unknown kind '{r.kind}' (the rules define: "
                       f"{', '.join(rules.kinds)}; add it with --rules)")
               for r in events.itertuples() if r.kind and r.kind not in rules.kinds]
    if unknown:
        raise ValidationError(unknown)
    gazetteer = build_gazetteer(net, rules, aliases)
    return [match_event(row, gazetteer) for row in events.to_dict("records")]
