"""How people type French addresses: accents, case, abbreviations, small words."""

import re
import unicodedata

# The abbreviations the BAN and people use for street types and saints.
ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "bvd": "boulevard",
    "r": "rue",
    "pl": "place",
    "imp": "impasse",
    "all": "allee",
    "ch": "chemin",
    "che": "chemin",
    "chem": "chemin",
    "rte": "route",
    "fg": "faubourg",
    "fbg": "faubourg",
    "sq": "square",
    "crs": "cours",
    "qu": "quai",
    "qua": "quai",
    "pass": "passage",
    "prom": "promenade",
    "res": "residence",
    "st": "saint",
    "ste": "sainte",
    "gal": "general",
    "gen": "general",
    "mal": "marechal",
    "pdt": "president",
    "prof": "professeur",
    "dr": "docteur",
}
# Words that carry no place: "rue de la Liberté" is found by "rue liberte".
SMALL_WORDS = {"de", "la", "le", "les", "du", "des", "d", "l", "et", "a", "au", "aux", "en"}
REPETITIONS = {"bis", "ter", "quater", "b", "t", "q", "a", "c"}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, no accents, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", plain.replace("œ", "oe").replace("æ", "ae")).strip()


def words(text: str) -> list[str]:
    """The words that identify a place, abbreviations spelt out."""
    return [ABBREVIATIONS.get(word, word) for word in fold(text).split() if word not in SMALL_WORDS]


def normalised(text: str) -> str:
    return " ".join(words(text))
