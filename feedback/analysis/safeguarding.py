"""Flag free text that may disclose risk (self-harm, abuse or neglect, urgent medical need)."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .text import PatternScreen

CATEGORIES = ("self_harm", "abuse_or_neglect", "urgent_medical")
EXCLUSION = "exclusion"
DEFAULT_PATH = Path(__file__).parent / "data" / "safeguarding.toml"

# People mix languages, so English patterns are applied to every comment.
ALWAYS = "en"

# Pattern shorthand: a space is a required separator; {gap} allows up to three filler words.
_SEPARATOR = r"\W+"
_GAP = r"\W+(?:\w+\W+){0,3}?"

# Letters that NFD does not decompose but people type without, and Arabic-keyboard variants of
# Urdu letters that look identical; tatweel only stretches a word, so it is dropped.
_FOLD = {
    "ł": "l",
    "Ł": "L",
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u064a": "\u06cc",
    "\u0649": "\u06cc",
    "\u0643": "\u06a9",
    "\u0647": "\u06c1",
    "\u0640": "",
}


# (category or EXCLUSION, compiled pattern)
_Entries = tuple[tuple[str, re.Pattern[str]], ...]


class SafeguardingRulesError(ValueError):
    """The safeguarding data file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class Match:
    """One passage that may disclose risk, with offsets into the original text."""

    category: str
    phrase: str
    start: int
    end: int


@dataclass(frozen=True)
class SafeguardingResult:
    """Whether a comment should go to a named person to review, and why."""

    flagged: bool
    categories: tuple[str, ...]
    matches: tuple[Match, ...]
    version: str


@dataclass(frozen=True)
class SafeguardingRules:
    """Compiled patterns from the data file, by category and language."""

    version: str
    languages: tuple[str, ...]
    patterns: dict[str, dict[str, tuple[re.Pattern[str], ...]]]
    exclusions: dict[str, tuple[re.Pattern[str], ...]]
    # Per set of languages: every (category or EXCLUSION, pattern) and a screen over them.
    _screened: dict[tuple[str, ...], tuple[_Entries, PatternScreen]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def load(cls, path: Path | str | None = None) -> SafeguardingRules:
        """Read and validate the data file; raise SafeguardingRulesError if it is unusable."""
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise SafeguardingRulesError(f"cannot read {path}: {error}") from error
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SafeguardingRules:
        """Validate already-parsed data: every category needs patterns in every language."""
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise SafeguardingRulesError("`version` must be a non-empty string")
        languages = _string_list(data.get("languages"), "languages")
        if ALWAYS not in languages:
            raise SafeguardingRulesError(f"`languages` must include {ALWAYS!r}")
        categories = data.get("categories")
        if not isinstance(categories, dict) or set(categories) != set(CATEGORIES):
            raise SafeguardingRulesError(f"`categories` must be exactly {', '.join(CATEGORIES)}")
        patterns = {
            category: {
                language: _compile_all(categories[category], language, f"categories.{category}")
                for language in languages
            }
            for category in CATEGORIES
        }
        exclusions_data = data.get("exclusions", {})
        if not isinstance(exclusions_data, dict) or set(exclusions_data) - set(languages):
            raise SafeguardingRulesError("`exclusions` must be keyed by the listed languages")
        exclusions = {
            language: _compile_all(exclusions_data, language, "exclusions", required=False)
            for language in languages
        }
        return cls(version, tuple(languages), patterns, exclusions)

    def languages_for(self, language: str | None) -> tuple[str, ...]:
        """English plus the comment's language; every language when that is unknown."""
        if not language:
            return self.languages
        primary = language.strip().lower().replace("_", "-").split("-")[0]
        if primary not in self.languages:
            # Erring on the side of flagging: an unrecognised language gets every pattern.
            return self.languages
        return (ALWAYS,) if primary == ALWAYS else (ALWAYS, primary)

    def screened(self, languages: tuple[str, ...]) -> tuple[_Entries, PatternScreen]:
        """The patterns for these languages as (category or EXCLUSION, pattern), with a screen
        that says which of them could match a folded text; built on first use."""
        cached = self._screened.get(languages)
        if cached is None:
            entries = tuple(
                (EXCLUSION, pattern) for lang in languages for pattern in self.exclusions[lang]
            ) + tuple(
                (category, pattern)
                for category in CATEGORIES
                for lang in languages
                for pattern in self.patterns[category][lang]
            )
            screen = PatternScreen([pattern.pattern for _, pattern in entries], ignore_case=True)
            cached = self._screened[languages] = (entries, screen)
        return cached


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SafeguardingRulesError(f"`{where}` must be a list of strings")
    return value


def _compile_all(
    table: dict[str, Any], language: str, where: str, required: bool = True
) -> tuple[re.Pattern[str], ...]:
    sources = table.get(language, [] if not required else None)
    sources = _string_list(sources, f"{where}.{language}")
    if required and not sources:
        raise SafeguardingRulesError(f"`{where}.{language}` has no patterns")
    return tuple(_compile(source, f"{where}.{language}") for source in sources)


def _compile(source: str, where: str) -> re.Pattern[str]:
    if not source.strip():
        raise SafeguardingRulesError(f"`{where}` has an empty pattern")
    body = fold(source)[0].replace("{gap}", _GAP).replace(" ", _SEPARATOR)
    try:
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
    except re.error as error:
        raise SafeguardingRulesError(f"`{where}` pattern {source!r}: {error}") from error


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


@lru_cache(maxsize=4096)
def _fold_char(char: str, after_latin: bool) -> tuple[str, bool]:
    # A combining mark belongs to the letter before it: drop it only from Latin letters, since
    # Urdu marks (madda, hamza) change the letter rather than decorate it.
    if unicodedata.combining(char):
        return ("" if after_latin else char), after_latin
    char = _FOLD.get(char, char)
    decomposed = unicodedata.normalize("NFD", char)
    if decomposed and _is_latin(decomposed[0]):
        return "".join(c for c in decomposed if not unicodedata.combining(c)), True
    return char, False


def fold(text: str) -> tuple[str, Sequence[int]]:
    """Fold text for matching; also return, per folded character, its index in the original."""
    if text.isascii():
        # Nothing to fold (the table maps only non-ASCII characters): the common case, fast.
        return text, range(len(text))
    pieces: list[str] = []
    origin: list[int] = []
    after_latin = False
    for index, char in enumerate(text):
        piece, after_latin = _fold_char(char, after_latin)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), tuple(origin)


@lru_cache(maxsize=1)
def default_rules() -> SafeguardingRules:
    """The rules shipped with the service, loaded once."""
    return SafeguardingRules.load()


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _original_span(text: str, origin: Sequence[int], span: tuple[int, int]) -> tuple[int, int]:
    start, end = origin[span[0]], origin[span[1] - 1] + 1
    # Keep accents typed as separate combining marks with the letter they belong to.
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return start, end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # Several patterns often hit one passage ("I have chest pain" and "chest pain now");
    # a reviewer needs one highlighted passage, not a pile of fragments.
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _category_matches(
    text: str, origin: Sequence[int], spans: list[tuple[int, int]], category: str
) -> list[Match]:
    found = [_original_span(text, origin, span) for span in _merge(spans) if span[1] > span[0]]
    return [Match(category, text[start:end], start, end) for start, end in found]


def check(
    text: str, language: str | None = None, *, rules: SafeguardingRules | None = None
) -> SafeguardingResult:
    """Flag text that may disclose risk; negation is ignored because missing a disclosure costs
    more than a needless review."""
    rules = rules or default_rules()
    text = text or ""
    folded, origin = fold(text)
    entries, screen = rules.screened(rules.languages_for(language))
    # Most comments match nothing, and the screen says so with one search; a pattern it lets
    # through is then run as written, so what is found is what the patterns alone would find.
    possible = screen.possible(folded)
    if possible is not None:
        entries = tuple(entries[index] for index in possible)
    if all(kind == EXCLUSION for kind, _ in entries):
        return SafeguardingResult(False, (), (), rules.version)
    excluded = [
        found.span()
        for kind, pattern in entries
        if kind == EXCLUSION
        for found in pattern.finditer(folded)
    ]
    matches: list[Match] = []
    for category in CATEGORIES:
        spans = [
            found.span()
            for kind, pattern in entries
            if kind == category
            for found in pattern.finditer(folded)
            if not _overlaps(found.span(), excluded)
        ]
        matches.extend(_category_matches(text, origin, spans, category))
    matches.sort(key=lambda match: (match.start, match.end, CATEGORIES.index(match.category)))
    categories = tuple(c for c in CATEGORIES if any(m.category == c for m in matches))
    return SafeguardingResult(bool(matches), categories, tuple(matches), rules.version)
