"""Public names that de-identification leaves in place, read from data files at run time.

The lists live in coding/deidentify/data/*.txt (one entry a line, '#' comments): general world knowledge
for research on the Tajik civil war, the inter-Tajik peace process and Afghanistan (countries, capitals,
regions, districts, rivers, public figures, international bodies, peoples and languages), completed by
the countries, regions, capitals and large cities of a maintained gazetteer (gazetteer.py). Villages,
mahallas, small employers and private persons are never listed: a name that is not public is removed
by default. Researchers extend the list per study with --keep FILE.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from .gazetteer import public_places

# Why a name was kept, as the audit and the review file name it.
KEEP_FILE = "keep-file"
BUILT_IN = "keep-list"
GAZETTEER = "gazetteer"
GROUP = "group-name"
COMMON = "common-term"
PUBLIC_OFFICE = "public-office"
INTERNATIONAL = "international-or-political"
# UN bodies and missions by their acronyms (UNMIN, UNAMA, UNMOT) or names ("UN Development Programme"),
# and political groups named as such ("the Maoist Party", "Popular Front"): public actors.
UN_BODY = re.compile(r"^(?:UN[A-Z]{2,6}|(?:UN|United Nations|U\.N\.)\s+[A-Z][\w\s'-]+)$")
POLITICAL = re.compile(r"^(?:[A-Z][\w'-]+\s+){1,4}(?:[Pp]arty|Front|Movement|Alliance|Coalition|League)$")


def is_international_or_political(text: str) -> bool:
    text = " ".join(text.split())
    return bool(UN_BODY.match(text) or POLITICAL.match(text))


@cache
def data_list(name: str) -> tuple[str, ...]:
    """The entries of coding/deidentify/data/NAME.txt, comments and blank lines left out."""
    text = resources.files(__package__).joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(entry for entry in entries if entry)


PUBLIC_INSTITUTION_WORDS = frozenset(data_list("institution_words"))
HONORIFICS = frozenset(data_list("honorifics"))


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Comparison form: case-folded, accents and possessives removed, hyphens and spaces unified."""
    folded = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"'s$|^the\s+", "", folded.strip())
    return re.sub(r"[\s\-\u2010-\u2015]+", " ", folded).strip(" .,;:'\"")


class KeepList:
    """Public names that survive de-identification, compared in normalised form."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.listed = {normalise(name) for name in (*data_list("places"), *data_list("public_figures"))}
        self.listed |= {normalise(name) for name in data_list("organisations")}
        self.gazetteer = _normalised_gazetteer() - self.listed
        self.extra = {normalise(name) for name in extra if name.strip()}
        self.names = self.listed | self.gazetteer | self.extra
        self.groups = {normalise(word) for word in data_list("groups")}
        self.common = {normalise(word) for word in data_list("common_terms")}
        self.found_public: set[str] = set()
        self._memo: dict[str, bool] = {}

    def add(self, names: Iterable[str]) -> None:
        """Names found public in this corpus (a person named with a public office)."""
        for name in names:
            self.names.add(normalise(name))
            self.found_public.add(normalise(name))
        self._memo.clear()

    def rule(self, text: str) -> str:
        """Which list keeps `text` (for the audit): keep-file, keep-list, gazetteer, public-office, group-name
        or common-term."""
        key = normalise(text)
        named = (KEEP_FILE, self.extra), (BUILT_IN, self.listed), (GAZETTEER, self.gazetteer)
        for rule, names in (*named, (PUBLIC_OFFICE, self.found_public)):
            if key in names:
                return rule
        if key in self.groups or self._is_derived_group(key):
            return GROUP
        if key in self.common:
            return COMMON
        if is_international_or_political(text):
            return INTERNATIONAL
        return BUILT_IN

    def is_public(self, text: str) -> bool:
        """True when the whole name, or each capitalised word of it, is a known public name."""
        known = self._memo.get(text)
        if known is None:
            known = self._memo[text] = self._is_public(text)
        return known

    def _is_public(self, text: str) -> bool:
        key = normalise(text)
        if not key:
            return False
        if key in self.names or key in self.groups or key in self.common or key in self.extra:
            return True
        if self._is_derived_group(key) or is_international_or_political(text):
            return True
        return self._all_words_public(text)

    def is_common_word(self, word: str) -> bool:
        key = normalise(word)
        return key in self.common or key in self.groups

    def _is_derived_group(self, key: str) -> bool:
        """'Kulobis', 'Pamiri': people named after a listed place are a large group, not a person."""
        for suffix in ("is", "i", "s", "ians", "ian", "ers", "er", "tsy", "lik"):
            if key.endswith(suffix) and key[: -len(suffix)] in self.names:
                return True
        return False

    def _all_words_public(self, text: str) -> bool:
        words = [w for w in re.split(r"[\s\-]+", text.strip()) if w]
        capitalised = [w for w in words if w[:1].isupper()]
        if len(words) < 2 or not capitalised:
            return False
        named = 0
        for word in capitalised:
            key = normalise(word)
            if key in self.names or key in self.groups or self._is_derived_group(key):
                named += 1
            elif key not in PUBLIC_INSTITUTION_WORDS and key not in self.common:
                return False
        return named > 0 or all(normalise(w) in PUBLIC_INSTITUTION_WORDS for w in capitalised)


@lru_cache(maxsize=1)
def _normalised_gazetteer() -> frozenset[str]:
    return frozenset(normalise(name) for name in public_places())
