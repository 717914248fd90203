"""Tag the sentences of a comment with themes from a taxonomy for digital health services."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .text import PatternScreen

THEME_KEYS: tuple[str, ...] = (
    "access_login",
    "technical",
    "ease_of_use",
    "accessibility",
    "communication",
    "waiting_appointments",
    "staff_attitude",
    "privacy_trust",
    "cost",
    "language",
    "prefer_in_person",
)
DEFAULT_PATH = Path(__file__).parent / "data" / "themes.toml"

# People mix English into other languages, so English patterns apply to every comment.
ALWAYS = "en"

# Pattern shorthand, as in safeguarding.toml: a space is a required separator and {gap} allows up
# to three words in between. Neither crosses a newline, which is what joins the sentences of a
# comment into one string, so a match never straddles two sentences.
_SEPARATOR = r"[^\w\n]+"
_GAP = r"[^\w\n]+(?:\w+[^\w\n]+){0,3}?"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# An escape, a character class, an opening capturing group, or a run of other characters.
_PATTERN_TOKEN = re.compile(r"\\.|\[(?:\\.|[^\]\\])*\]|(?P<open>\((?!\?))|[^\\\[(]+|\(", re.DOTALL)
_THEME_FIELDS = {"labels", "descriptions", "patterns", "exclusions"}

# Letters folded as safeguarding.fold folds them, done by str.translate because this runs on
# every comment and must not loop over characters in Python: the combining accents of Latin
# letters go, ł (which has no decomposition) becomes l and curly apostrophes straight ones;
# then Arabic-keyboard variants of Urdu letters, which look identical, become the Urdu letters
# and tatweel, which only stretches a word, goes.
_LATIN_MARKS = str.maketrans(
    {
        **{chr(mark): None for mark in range(0x0300, 0x0370)},
        "ł": "l",
        "Ł": "L",
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
    }
)
_URDU_LETTERS = str.maketrans(
    {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0647": "\u06c1", "\u0640": None}
)


class ThemeRulesError(ValueError):
    """The themes data file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class Theme:
    """One theme of the taxonomy, with what service leads read about it in each language."""

    key: str
    labels: Mapping[str, str]
    descriptions: Mapping[str, str]

    def label(self, locale: str) -> str:
        return self.labels.get(_primary(locale), self.labels[ALWAYS])

    def description(self, locale: str) -> str:
        return self.descriptions.get(_primary(locale), self.descriptions[ALWAYS])


@dataclass(frozen=True)
class ThemeHit:
    """A theme found in a comment, and which of its sentences (0-based) carry it."""

    key: str
    sentence_indexes: tuple[int, ...]


@dataclass(frozen=True)
class _Patterns:
    """Every theme's patterns for one set of languages, as they are matched."""

    screen: PatternScreen
    themes: tuple[int, ...]  # the index in THEME_KEYS of each pattern's theme
    sources: tuple[str, ...]  # in taxonomy order, lower-cased with groups non-capturing
    excluding: tuple[bool, ...]  # whether each is an exclusion rather than a pattern


@dataclass(frozen=True)
class ThemeRules:
    """The taxonomy and its patterns, checked and compiled, by theme and language."""

    version: str
    languages: tuple[str, ...]
    themes: tuple[Theme, ...]
    # theme -> language -> pattern sources, with placeholders expanded and accents folded
    sources: Mapping[str, Mapping[str, tuple[str, ...]]]
    exclusion_sources: Mapping[str, Mapping[str, tuple[str, ...]]]
    # The patterns for each set of languages, prepared on first use.
    _patterns: dict[tuple[str, ...], _Patterns] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def load(cls, path: Path | str | None = None) -> ThemeRules:
        """Read and validate the data file; raise ThemeRulesError if it is unusable."""
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ThemeRulesError(f"cannot read {path}: {error}") from error
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThemeRules:
        """Validate parsed data: every theme needs a label, a description and patterns in every
        language; a bad pattern is named by its place in the file."""
        unknown = set(data) - {"version", "languages", "vocabulary", "themes"}
        if unknown:
            raise ThemeRulesError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise ThemeRulesError("`version` must be a non-empty string")
        languages = _string_list(data.get("languages"), "languages")
        if ALWAYS not in languages or len(set(languages)) != len(languages):
            raise ThemeRulesError(f"`languages` must list each language once, including {ALWAYS!r}")
        vocabulary = _vocabulary(data.get("vocabulary", {}), languages)
        themes_data = data.get("themes")
        if not isinstance(themes_data, dict):
            raise ThemeRulesError("`themes` must be a table")
        unknown = set(themes_data) - set(THEME_KEYS)
        if unknown:
            raise ThemeRulesError(f"unknown themes: {', '.join(sorted(unknown))}")
        missing = [key for key in THEME_KEYS if key not in themes_data]
        if missing:
            raise ThemeRulesError(f"missing themes: {', '.join(missing)}")
        themes, sources, exclusion_sources = [], {}, {}
        for key in THEME_KEYS:
            where = f"themes.{key}"
            table = themes_data[key]
            if not isinstance(table, dict):
                raise ThemeRulesError(f"`{where}` must be a table")
            unknown = set(table) - _THEME_FIELDS
            if unknown:
                raise ThemeRulesError(f"`{where}` has unknown keys: {', '.join(sorted(unknown))}")
            labels = _texts(table.get("labels"), languages, f"{where}.labels")
            descriptions = _texts(table.get("descriptions"), languages, f"{where}.descriptions")
            themes.append(Theme(key, labels, descriptions))
            sources[key] = _patterns(table.get("patterns"), languages, vocabulary, where, True)
            exclusion_sources[key] = _patterns(
                table.get("exclusions", {}), languages, vocabulary, where, False
            )
        return cls(
            version,
            tuple(languages),
            tuple(themes),
            MappingProxyType(sources),
            MappingProxyType(exclusion_sources),
        )

    def languages_for(self, language: str | None) -> tuple[str, ...]:
        """English plus the comment's language; every language when that is unknown."""
        primary = _primary(language or "")
        if primary not in self.languages:
            return self.languages
        return (ALWAYS,) if primary == ALWAYS else (ALWAYS, primary)

    def patterns(self, languages: tuple[str, ...]) -> _Patterns:
        """Every theme's patterns for these languages, with a screen over them."""
        cached = self._patterns.get(languages)
        if cached is None:
            owned = [
                (index, excluding, _for_speed(source))
                for index, key in enumerate(THEME_KEYS)
                for excluding, table in ((False, self.sources), (True, self.exclusion_sources))
                for lang in languages
                for source in table[key][lang]
            ]
            cached = self._patterns[languages] = _Patterns(
                PatternScreen([_whole_words(source) for _, _, source in owned]),
                tuple(index for index, _, _ in owned),
                tuple(source for _, _, source in owned),
                tuple(excluding for _, excluding, _ in owned),
            )
        return cached


def _primary(locale: str) -> str:
    return locale.strip().lower().replace("_", "-").split("-")[0]


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ThemeRulesError(f"`{where}` must be a list of strings")
    return value


def _texts(value: Any, languages: list[str], where: str) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise ThemeRulesError(f"`{where}` must be a table keyed by language")
    unknown = set(value) - set(languages)
    if unknown:
        raise ThemeRulesError(f"`{where}` has unknown languages: {', '.join(sorted(unknown))}")
    for language in languages:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            raise ThemeRulesError(f"`{where}.{language}` must be a non-empty string")
    return MappingProxyType({language: value[language].strip() for language in languages})


def _vocabulary(value: Any, languages: list[str]) -> dict[str, dict[str, str]]:
    """Named word lists, written {name} in patterns, so that e.g. the words for staff are kept
    in one place per language."""
    if not isinstance(value, dict) or set(value) - set(languages):
        raise ThemeRulesError("`vocabulary` must be a table keyed by the listed languages")
    result: dict[str, dict[str, str]] = {}
    for language in languages:
        entries = value.get(language, {})
        if not isinstance(entries, dict):
            raise ThemeRulesError(f"`vocabulary.{language}` must be a table")
        for name, source in entries.items():
            where = f"vocabulary.{language}.{name}"
            if name == "gap" or not re.fullmatch(r"[a-z_]+", name):
                raise ThemeRulesError(f"`{where}`: names are lower-case words other than `gap`")
            if not isinstance(source, str) or not source.strip():
                raise ThemeRulesError(f"`{where}` must be a non-empty string")
            _check_compiles(_unaccent(source), where, source)
            if _PLACEHOLDER.search(source):
                raise ThemeRulesError(f"`{where}` may not use placeholders")
        result[language] = {
            name: _unaccent(source).replace(" ", _SEPARATOR) for name, source in entries.items()
        }
    return result


def _patterns(
    value: Any,
    languages: list[str],
    vocabulary: dict[str, dict[str, str]],
    theme: str,
    required: bool,
) -> Mapping[str, tuple[str, ...]]:
    kind = "patterns" if required else "exclusions"
    if not isinstance(value, dict):
        raise ThemeRulesError(f"`{theme}.{kind}` must be a table keyed by language")
    unknown = set(value) - set(languages)
    if unknown:
        raise ThemeRulesError(
            f"`{theme}.{kind}` has unknown languages: {', '.join(sorted(unknown))}"
        )
    result = {}
    for language in languages:
        where = f"{theme}.{kind}.{language}"
        sources = _string_list(value.get(language, None if required else []), where)
        if required and not sources:
            raise ThemeRulesError(f"`{where}` has no patterns")
        result[language] = tuple(
            _expand(source, vocabulary[language], f"{where}[{index}]")
            for index, source in enumerate(sources)
        )
    return MappingProxyType(result)


def _expand(source: str, words: dict[str, str], where: str) -> str:
    if not source.strip():
        raise ThemeRulesError(f"`{where}` is an empty pattern")

    def substitute(found: re.Match[str]) -> str:
        name = found.group(1)
        if name == "gap":
            return _GAP
        if name not in words:
            raise ThemeRulesError(f"`{where}` pattern {source!r} uses unknown {{{name}}}")
        return f"(?:{words[name]})"

    # Spaces become separators before placeholders are expanded: the separator itself has none.
    body = _PLACEHOLDER.sub(substitute, _unaccent(source).replace(" ", _SEPARATOR))
    _check_compiles(body, where, source)
    return body


def _check_compiles(body: str, where: str, source: str) -> None:
    try:
        re.compile(body)
    except re.error as error:
        raise ThemeRulesError(f"`{where}` pattern {source!r}: {error}") from error


def _whole_words(source: str) -> str:
    return rf"(?<!\w)(?:{source})(?!\w)"


@lru_cache(maxsize=4096)
def _compiled(source: str) -> re.Pattern[str]:
    """One pattern (already through _for_speed), whole words only; compiled on first use,
    since the screen lets few of them through."""
    return re.compile(_whole_words(source))


@lru_cache(maxsize=1024)
def _alternation(sources: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of the patterns, whole words only, for finding every exclusion."""
    return re.compile(_whole_words("|".join(f"(?:{source})" for source in sources)))


def _for_speed(source: str) -> str:
    """Lower-case a pattern's letters (text is lower-cased when folded, which spares the cost of
    IGNORECASE) and make its groups non-capturing (nothing reads them, and capturing groups at
    the start of an alternative make the whole alternation much slower); escapes such as \\W
    and character classes are left alone."""

    def rewrite(found: re.Match[str]) -> str:
        token = found.group()
        if found.group("open"):
            return "(?:"
        if token.startswith(("\\", "[")):
            return token
        return token.lower()

    return _PATTERN_TOKEN.sub(rewrite, source)


def fold(text: str) -> str:
    """Fold text for matching: lower case, no accents on Latin letters, ł as l, and one form of
    each Urdu letter.

    Unlike safeguarding.fold it keeps no offsets, so it runs in C at the speed tagging needs.
    """
    return _unaccent(text.lower())


def _unaccent(text: str) -> str:
    if text.isascii():
        return text
    # Latin accents are removed between decomposing and composing again, so Urdu letters such
    # as آ and ئ come out whole; the Urdu variants are unified after that, because ي inside a
    # decomposed ئ must stay as it is to compose back.
    decomposed = unicodedata.normalize("NFD", text).translate(_LATIN_MARKS)
    return unicodedata.normalize("NFC", decomposed).translate(_URDU_LETTERS)


@lru_cache(maxsize=1)
def default_rules() -> ThemeRules:
    """The taxonomy shipped with the service, loaded once."""
    return ThemeRules.load()


def taxonomy() -> tuple[Theme, ...]:
    """The themes shipped with the service, in taxonomy order."""
    return default_rules().themes


def _first_match(
    patterns: Sequence[re.Pattern[str]], text: str, position: int
) -> re.Match[str] | None:
    """What one alternation of the patterns would find: the leftmost match, and of those
    starting together, the match of the pattern listed first."""
    first = None
    for pattern in patterns:
        found = pattern.search(text, position)
        if found is not None and (first is None or found.start() < first.start()):
            first = found
    return first


def _sentence_indexes(
    patterns: Sequence[re.Pattern[str]],
    exclusion: re.Pattern[str] | None,
    text: str,
    starts: list[int],
) -> tuple[int, ...]:
    found: list[int] = []
    excluded: list[tuple[int, int]] | None = None
    position = 0
    while (match := _first_match(patterns, text, position)) is not None:
        start, end = match.span()
        if "\n" in text[start:end]:
            # Only a pattern written with \W or \s can get here: it spans two sentences.
            position = start + 1
            continue
        if exclusion is not None:
            if excluded is None:
                excluded = [m.span() for m in exclusion.finditer(text)]
            if any(start < ex_end and ex_start < end for ex_start, ex_end in excluded):
                # A later match in the same sentence may still count.
                position = start + 1
                continue
        index = bisect_right(starts, start) - 1
        found.append(index)
        if index + 1 >= len(starts):
            break
        # One hit is enough for a sentence: go straight on to the next.
        position = starts[index + 1]
    return tuple(found)


def tag_themes(
    sentences: Sequence[str], language: str | None = None, *, rules: ThemeRules | None = None
) -> tuple[ThemeHit, ...]:
    """Themes found in a comment's sentences, in taxonomy order; a sentence may carry several.

    :param sentences: the comment split by ``feedback.analysis.text.sentences``.
    :param language: the comment's language; ``None`` (or one the taxonomy lacks) tries every
        language's patterns. English patterns always apply, since people mix English in.
    """
    rules = rules or default_rules()
    folded = [fold(sentence.replace("\n", " ")) for sentence in sentences]
    starts, offset = [], 0
    for sentence in folded:
        starts.append(offset)
        offset += len(sentence) + 1
    text = "\n".join(folded)
    patterns = rules.patterns(rules.languages_for(language))
    # Of a thousand patterns and exclusions a comment matches a few, so only those the screen
    # lets through are run, in the order the taxonomy lists them: what the others would find
    # is nothing.
    candidates: dict[int, tuple[list[str], list[str]]] = {}
    for index in patterns.screen.possible(text) or ():
        found = candidates.setdefault(patterns.themes[index], ([], []))
        found[patterns.excluding[index]].append(patterns.sources[index])
    hits = []
    for theme, key in enumerate(THEME_KEYS):
        sources, exclusions = candidates.get(theme, ((), ()))
        if sources:
            indexes = _sentence_indexes(
                [_compiled(source) for source in sources],
                _alternation(tuple(exclusions)) if exclusions else None,
                text,
                starts,
            )
            if indexes:
                hits.append(ThemeHit(key, indexes))
    return tuple(hits)
