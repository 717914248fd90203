"""Offline guessing of a comment's language among en, cy, pl, ro and ur."""

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from feedback.analysis.text import word_tokens

LANGUAGES = ("en", "cy", "pl", "ro", "ur")

_ARABIC_BLOCK = re.compile("[\u0600-\u06ff]")
_URDU_ONLY = set("ٹڈڑںےہھۓ")
_POLISH = set("łśżźćńąę")
_ROMANIAN = set("șță")
# Circumflexed â and î are Romanian but also Welsh, so they hint at both.
_SHARED_RO_CY = set("âî")
_WELSH = set("ŵŷ")

_MIN_WORDS = 2
_MIN_SCORE = 2.0
_MIN_RATIO = 2.0  # the winner must score at least twice the runner-up


@dataclass(frozen=True)
class DetectedLanguage:
    code: str
    confidence: float  # winner's share of all evidence, 0..1


@cache
def _common_words() -> dict[str, frozenset[str]]:
    raw = resources.files("feedback.analysis").joinpath("data/common_words.json").read_text(
        encoding="utf-8"
    )
    return {code: frozenset(words) for code, words in json.loads(raw).items()}


@cache
def _evidence() -> dict[str, tuple[tuple[str, float], ...]]:
    """For each common word, the languages listing it (in the order of _common_words()) and
    what it adds to each: a word shared by several languages is weak evidence for each."""
    owners: dict[str, tuple[str, ...]] = {}
    for code, words in _common_words().items():
        for word in words:
            owners[word] = (*owners.get(word, ()), code)
    return {word: tuple((code, 1 / len(codes)) for code in codes) for word, codes in owners.items()}


def _fold(token: str) -> str:
    # Cedilla forms (ş ţ) are common stand-ins for the comma-below letters.
    return token.lower().replace("ş", "ș").replace("ţ", "ț")


def _is_arabic_letter(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" and char.isalpha()


def _detect_urdu(tokens: list[str]) -> DetectedLanguage | None:
    if not _ARABIC_BLOCK.search("".join(tokens)):
        return None  # no Arabic letters at all: the common case, answered without a loop
    letters = [c for t in tokens for c in t if c.isalpha()]
    arabic = [c for c in letters if _is_arabic_letter(c)]
    if len(arabic) < 4 or len(arabic) < 0.6 * len(letters):
        return None
    # Arabic or Persian without Urdu's own letters is not a language this service offers.
    if not _URDU_ONLY.intersection(arabic):
        return None
    return DetectedLanguage("ur", round(len(arabic) / len(letters), 2))


def _letter_scores(token: str) -> dict[str, float]:
    scores = {"pl": 0.0, "ro": 0.0, "cy": 0.0}
    chars = set(token)
    if chars & _POLISH:
        scores["pl"] += 1
    if chars & _ROMANIAN:
        scores["ro"] += 1
    if chars & _SHARED_RO_CY:
        scores["ro"] += 0.5
        scores["cy"] += 0.5
    if chars & _WELSH or token.startswith(("ll", "dd")):
        scores["cy"] += 1
    elif "dd" in token or "wy" in token:
        scores["cy"] += 0.5
    return scores


def _scores(tokens: list[str]) -> dict[str, float]:
    scores = dict.fromkeys(_common_words(), 0.0)
    joined = " ".join(tokens)
    if joined.isascii():
        return _ascii_scores(tokens, joined.lower().split(" "), scores)
    evidence = _evidence()
    for index, token in enumerate(tokens):
        folded = _fold(token)
        for code, value in evidence.get(folded, ()):
            scores[code] += value
        # Capitalised words mid-text are mostly names and places ("Gwynedd", "Wójcik").
        if index > 0 and token[:1].isupper():
            continue
        for code, value in _letter_scores(folded).items():
            scores[code] += value
    return scores


def _ascii_scores(
    tokens: list[str], folded_tokens: list[str], scores: dict[str, float]
) -> dict[str, float]:
    """_scores for most comments, adding the same values in the same order: folding ASCII is
    only lower-casing, done at once, and as the letters of _POLISH, _ROMANIAN and the rest
    are not ASCII only the Welsh spellings of _letter_scores can score."""
    evidence = _evidence()
    for index, folded in enumerate(folded_tokens):
        for code, value in evidence.get(folded, ()):
            scores[code] += value
        if index and tokens[index][:1].isupper():
            continue
        if folded.startswith(("ll", "dd")):
            scores["cy"] += 1
        elif "dd" in folded or "wy" in folded:
            scores["cy"] += 0.5
    return scores


def detect(text: str) -> DetectedLanguage | None:
    """The language of a comment with a confidence, or None when too short or unclear."""
    tokens = [t for t in word_tokens(text) if not t.isdigit()]
    urdu = _detect_urdu(tokens)
    if urdu:
        return urdu
    if len(tokens) < _MIN_WORDS:
        return None
    ranked = sorted(_scores(tokens).items(), key=lambda item: (-item[1], item[0]))
    (best, top), (_, runner_up) = ranked[0], ranked[1]
    if top < _MIN_SCORE or top < _MIN_RATIO * runner_up:
        return None
    return DetectedLanguage(best, round(top / sum(score for _, score in ranked), 2))


def detect_language(text: str) -> str | None:
    """Just the code ("en", "cy", "pl", "ro", "ur") of detect()."""
    found = detect(text)
    return found.code if found else None
