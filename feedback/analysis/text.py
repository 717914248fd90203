"""Splitting feedback comments into sentences and words, in any of the service's languages."""

import re
import unicodedata
from collections.abc import Iterator, Sequence

# Combining marks and joiners count as part of a word (Urdu vowel marks, decomposed accents).
_MARK = r"\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d"
_LETTER = rf"[^\W_]|[{_MARK}]"
# Apostrophes and hyphens only join letters: "don't", "s-a", "i'r", "well-being".
_WORD = re.compile(rf"(?:{_LETTER})+(?:['’\-](?:{_LETTER})+)*")
# _WORD for ASCII text, where a letter is [A-Za-z0-9] and ’ cannot occur; twice as fast.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*")

_BULLET = re.compile(r"^\s*(?:[-*•·‣◦–—>]+|\d{1,2}[.)])\s+")
# A run of terminators plus closing quotes/brackets; Urdu marks end a sentence even unspaced.
_END = re.compile(r"(?:\.{2,}|…|[.!?]+)[\"'”’)\]]*(?=\s|$)|[۔؟]+")
# Every match of _END begins with one of these; re skips ahead to a character class quickly,
# but tries an alternation at every position.
_END_START = re.compile(r"[.!?…۔؟]")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")

# Never end a sentence: they are followed by a name or a phrase.
_ALWAYS_ABBREVIATED = {
    "dr", "mr", "mrs", "ms", "prof", "st", "e.g", "i.e", "eg", "ie", "no", "nos", "tel", "ref",
    "vs", "cf", "approx", "inc", "incl", "dept", "wk", "hr", "hrs", "min", "mins",
}
# End a sentence only when the next word is capitalised ("etc. The nurse...").
_SOMETIMES_ABBREVIATED = {"etc", "ca", "esp", "sept", "oct", "nov", "dec", "jan", "feb", "aug"}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_abbreviation(line: str, mark_start: int, mark_end: int) -> bool:
    """Whether the full stop at line[mark_start:mark_end] ends an abbreviation, not a sentence."""
    before = line[:mark_start]
    # The run of non-space characters that ends `before`, if it ends in one; rsplit finds it
    # from the right, where a regex search would try every position of the line.
    token = before.rsplit(None, 1)[-1] if before[-1:] and not before[-1].isspace() else ""
    token = token.lower().lstrip("([\"'").rstrip(".")
    if token in _ALWAYS_ABBREVIATED:
        return True
    # Initials: "J. Smith", "A.B. Jones".
    if _INITIALS.fullmatch(token) and token[-1:].isalpha():
        if len(token.replace(".", "")) <= 3 and before.rstrip()[-1:].isupper():
            return True
    next_char = line[mark_end:].lstrip()[:1]
    return token in _SOMETIMES_ABBREVIATED and not next_char.isupper()


def _ends(line: str) -> Iterator[re.Match[str]]:
    """What _END.finditer(line) finds, tried only where a terminator is."""
    position = 0
    while (candidate := _END_START.search(line, position)) is not None:
        found = _END.match(line, candidate.start())
        if found is None:
            position = candidate.start() + 1
        else:
            yield found
            position = found.end()


def _split_line(line: str) -> list[str]:
    parts, start = [], 0
    for end in _ends(line):
        mark = end.group()
        mark_start, mark_end = end.span()
        # Only a lone full stop can end an abbreviation.
        if mark == "." and _is_abbreviation(line, mark_start, mark_end):
            continue
        # An ellipsis followed by lower case is a pause, not an end ("I waited... and waited").
        # So is a quotation that ends in "!" or "?" ("she said "great!" and left").
        is_ellipsis = mark.startswith("..") or mark.startswith("…")
        is_quoted = mark[-1] in "\"'”’)]"
        if (is_ellipsis or is_quoted) and line[mark_end:].lstrip()[:1].islower():
            continue
        if line[start:mark_start].strip():
            parts.append(line[start:mark_end].strip())
            start = mark_end
    if line[start:].strip():
        parts.append(line[start:].strip())
    return parts


def _blocks(text: str) -> list[str]:
    """Join wrapped lines; a blank line, a bullet or a capitalised line starts a new block."""
    blocks: list[str] = []
    joinable = False
    for raw in text.split("\n"):
        bullet = _BULLET.match(raw)
        line = raw[bullet.end():] if bullet else raw
        line = line.strip()
        if not line:
            joinable = False
            continue
        if joinable and not bullet and line[0].islower():
            blocks[-1] = f"{blocks[-1]} {line}"
        else:
            blocks.append(line)
        # A bullet is a whole item, so the next line never continues it.
        joinable = not bullet
    return blocks


def sentences(text: str) -> list[str]:
    """Split a comment into trimmed sentences, keeping the words as written."""
    result: list[str] = []
    for block in _blocks(_normalise(text)):
        result.extend(_split_line(block))
    return result


def word_tokens(text: str) -> list[str]:
    """Word tokens as written (case kept), apostrophes normalised to "'"."""
    if text.isascii():
        return _ASCII_WORD.findall(text)  # NFC and line endings change no ASCII word
    text = _normalise(text)
    tokens = _WORD.findall(text)  # _WORD has no capturing group: findall gives whole matches
    if "’" in text:
        return [token.replace("’", "'") for token in tokens]
    return tokens


def words(text: str) -> list[str]:
    """Lower-cased word tokens; digits count as word characters, punctuation never does."""
    return [token.lower() for token in word_tokens(text)]


# Screening patterns by the literal strings they need. Most comments match none of the
# safeguarding and theme patterns, and Python's re tries every alternative at every position,
# so it pays to ask first, in one search, which patterns could match at all. The screen reads
# the strings a pattern cannot match without ("suicid" in "suicid\w*", one of "hit", "kick", ...
# in "(hits?|kick\w*)"); it only ever answers "maybe", never "no" to a text the pattern matches.
# Syntax it does not read (backreferences, inline flags, VERBOSE) leaves a pattern always tried.

_CAP = 256  # the most strings a group may spell out before it counts as free text
_SHORTEST_USEFUL = 3  # shorter needles match almost every comment, so are kept only if alone
_CLASS_ESCAPES = frozenset("wWsSdD")
_ZERO_WIDTH_ESCAPES = frozenset("bBAZ")
_CONTROL_ESCAPES = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")
_QUANTIFIER = re.compile(r"[*+?]|\{(\d*)(,?)(\d*)\}")
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_ANY: tuple = ("any",)
_EMPTY: tuple = ("empty",)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


class _Unsupported(ValueError):
    pass


def _parse_alternation(source: str, index: int) -> tuple[tuple, int]:
    branches = []
    while True:
        items = []
        while index < len(source) and source[index] not in "|)":
            atom, index = _parse_atom(source, index)
            item, index = _quantified(source, index, atom)
            items.append(item)
        branches.append(("seq", tuple(items)))
        if not source.startswith("|", index):
            return ("alt", tuple(branches)), index
        index += 1


def _parse_escape(source: str, index: int) -> tuple[tuple, int]:
    letter = source[index + 1 : index + 2]
    if letter in _CLASS_ESCAPES:
        return _ANY, index + 2
    if letter in _ZERO_WIDTH_ESCAPES:
        return _EMPTY, index + 2
    if letter in _CONTROL_ESCAPES:
        return ("lit", _CONTROL_ESCAPES[letter]), index + 2
    found = _HEX_ESCAPE.match(source, index)
    if found:
        return ("lit", chr(int(found.group(found.lastindex), 16))), found.end()
    if not letter or letter.isalnum():
        raise _Unsupported(source)
    return ("lit", letter), index + 2


def _parse_class(source: str, index: int) -> tuple[tuple, int]:
    index += 1
    if source.startswith("^", index):
        index += 1
    if source.startswith("]", index):
        index += 1
    while index < len(source) and source[index] != "]":
        index += 2 if source[index] == "\\" else 1
    if index >= len(source):
        raise _Unsupported(source)
    return _ANY, index + 1


def _parse_group(source: str, index: int) -> tuple[tuple, int]:
    lookaround = source.startswith(_LOOKAROUND, index)
    if lookaround:
        index += 4 if source.startswith("(?<", index) else 3
    elif source.startswith("(?:", index):
        index += 3
    elif source.startswith("(?P<", index):
        index = source.index(">", index) + 1
    elif source.startswith("(?", index):
        raise _Unsupported(source)
    else:
        index += 1
    node, index = _parse_alternation(source, index)
    if not source.startswith(")", index):
        raise _Unsupported(source)
    # A lookaround matches no characters, so for what a match contains it is empty.
    return (_EMPTY if lookaround else node), index + 1


def _parse_atom(source: str, index: int) -> tuple[tuple, int]:
    char = source[index]
    if char == "\\":
        return _parse_escape(source, index)
    if char == "[":
        return _parse_class(source, index)
    if char == "(":
        return _parse_group(source, index)
    if char == ".":
        return _ANY, index + 1
    if char in "^$":
        return _EMPTY, index + 1
    if char in "*+?" or (char == "{" and _is_quantifier(source, index)):
        raise _Unsupported(source)
    return ("lit", char), index + 1


def _is_quantifier(source: str, index: int) -> bool:
    found = _QUANTIFIER.match(source, index)
    return found is not None and found.group() != "{}"


def _quantified(source: str, index: int, atom: tuple) -> tuple[tuple, int]:
    found = _QUANTIFIER.match(source, index)
    if found is None or found.group() == "{}":
        return atom, index
    symbol, index = found.group(), found.end()
    if symbol in ("?", "*", "+"):
        low, high = (1 if symbol == "+" else 0), (1 if symbol == "?" else None)
    else:
        low = int(found.group(1) or 0)
        if not found.group(2):
            high = low
        else:
            high = int(found.group(3)) if found.group(3) else None
    if source.startswith(("?", "+"), index):  # lazy or possessive: matches no more strings
        index += 1
    if _is_quantifier(source, index):
        raise _Unsupported(source)
    return ("repeat", atom, low, high), index


def _join(left: set[str] | None, right: set[str] | None) -> set[str] | None:
    if left is None or right is None or len(left) * len(right) > _CAP:
        return None
    return {a + b for a in left for b in right}


def _spelled(node: tuple) -> set[str] | None:
    """Every string the node matches, when there are at most _CAP of them; else None."""
    kind = node[0]
    if kind == "lit":
        return {node[1]}
    if kind == "empty":
        return {""}
    if kind == "seq":
        result: set[str] | None = {""}
        for item in node[1]:
            result = _join(result, _spelled(item))
        return result
    if kind == "alt":
        parts = [_spelled(branch) for branch in node[1]]
        if any(part is None for part in parts):
            return None
        union = set().union(*parts)
        return union if len(union) <= _CAP else None
    if kind == "repeat":
        return _spelled_repeat(*node[1:])
    return None


def _spelled_repeat(atom: tuple, low: int, high: int | None) -> set[str] | None:
    if high is None or high > 3:
        return None
    one = _spelled(atom)
    total: set[str] = set()
    result: set[str] | None = {""}
    for count in range(high + 1):
        if result is None:
            return None
        if count >= low:
            total |= result
        result = _join(result, one)
    return total if len(total) <= _CAP else None


def _minimal(strings: set[str]) -> frozenset[str]:
    """Drop strings that contain a shorter one: where the longer is, the shorter is too."""
    kept: list[str] = []
    for string in sorted(strings, key=len):
        if not any(short in string for short in kept):
            kept.append(string)
    return frozenset(kept)


def _strength(needs: frozenset[str]) -> tuple[int, int]:
    return min(map(len, needs)), -len(needs)


def _requirements(node: tuple) -> list[frozenset[str]]:
    """Sets of strings such that every match of the node contains one string of each set."""
    kind = node[0]
    if kind == "lit":
        return [frozenset((node[1],))]
    if kind == "repeat":
        return _requirements(node[1]) if node[2] >= 1 else []
    if kind == "seq":
        return _sequence_requirements(node[1])
    if kind == "alt" and len(node[1]) == 1:
        return _requirements(node[1][0])
    if kind == "alt":
        union: set[str] = set()
        for branch in node[1]:
            needs = _requirements(branch)
            if not needs:
                return []
            union |= max(needs, key=_strength)
        return [_minimal(union)]
    return []


def _sequence_requirements(items: tuple) -> list[frozenset[str]]:
    # Neighbouring items with few spellings make one run of literal text ("kill(s|ed)?" gives
    # "kill", "kills", "killed"); anything else ends the run and adds needs of its own.
    found: list[frozenset[str]] = []
    run: set[str] = {""}
    for item in (*items, _ANY):
        spelled = _spelled(item)
        joined = _join(run, spelled)
        if joined is not None:
            run = joined
            continue
        if "" not in run:
            found.append(_minimal(run))
        if spelled is None:
            found.extend(_requirements(item))
            run = {""}
        else:
            run = spelled
    return found


def required_strings(pattern: str, ignore_case: bool = False) -> tuple[frozenset[str], ...]:
    """Sets of strings such that text the pattern matches contains one string from each set.

    :param pattern: a regular expression as given to re.compile, without re.VERBOSE.
    :param ignore_case: whether it is compiled with re.IGNORECASE; the strings are then
        lower-cased, for searching lower-cased text.
    :return: the sets, or an empty tuple when nothing is known and the pattern must be tried.
    """
    try:
        node, end = _parse_alternation(pattern, 0)
        if end != len(pattern):
            raise _Unsupported(pattern)
        needs = _requirements(node)
    except (IndexError, ValueError):  # _Unsupported, or a pattern that does not compile
        return ()
    if ignore_case:
        # Lower-casing is exact only for ASCII and for letters with no case (Urdu): a needle
        # with, say, dotless ı (which IGNORECASE matches to i) is left out.
        needs = [
            frozenset(s.lower() for s in strings)
            for strings in needs
            if all(_lowers_exactly(s) for s in strings)
        ]
    useful = [strings for strings in needs if _strength(strings)[0] >= _SHORTEST_USEFUL]
    if not useful and needs:
        useful = [max(needs, key=_strength)]
    return tuple(_minimal(set(strings)) for strings in dict.fromkeys(useful))


def _lowers_exactly(text: str) -> bool:
    """Whether text.lower() finds what re.IGNORECASE would: true when every character is
    ASCII or has no case at all, since the characters IGNORECASE treats specially (ı, ſ, µ, İ,
    final sigma) all have case."""
    if text.isascii():
        return True
    rest = "".join(_NON_ASCII.findall(text))
    return rest.lower() == rest == rest.upper()


def _trie(needles: Sequence[str]) -> str:
    """One regex for many strings, sharing their beginnings ("ab(?:c|d)"), longest first.

    Python's re tries alternatives one by one, so a flat list of two hundred strings is
    tried two hundred times at every position; this way each position costs a few steps.
    """
    tree: dict[str, dict] = {}
    for needle in needles:
        node = tree
        for char in needle:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if "" in node:
            branches.append("")  # the string may end here, if nothing longer matches
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return emit(tree)


class PatternScreen:
    """Which of several patterns could match a text, found with one search for the literal
    strings they need (see required_strings)."""

    def __init__(self, patterns: Sequence[str], ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        # Each set of strings a pattern needs gets a number; a pattern could match only when
        # the text holds a string from every one of its sets.
        self._needs: list[frozenset[int]] = []
        satisfies: dict[str, set[int]] = {}
        self._owner: list[int] = []
        for index, pattern in enumerate(patterns):
            numbers = []
            for strings in required_strings(pattern, ignore_case):
                numbers.append(len(self._owner))
                self._owner.append(index)
                for needle in strings:
                    satisfies.setdefault(needle, set()).add(numbers[-1])
            self._needs.append(frozenset(numbers))
        self._always = tuple(i for i, numbers in enumerate(self._needs) if not numbers)
        # At every position (the lookahead lets matches overlap) the search captures the
        # longest needle there; the shorter needles it begins with are there as well.
        self._search = (
            re.compile(f"(?=({_trie(list(satisfies))}))") if satisfies else None
        )
        self._satisfies = {
            needle: frozenset().union(
                *(satisfies[needle[:end]] for end in range(1, len(needle) + 1)
                  if needle[:end] in satisfies)
            )
            for needle in satisfies
        }

    def possible(self, text: str) -> tuple[int, ...] | None:
        """Indexes, in order, of the patterns that could match `text`; None when the screen
        cannot tell (lower-casing would not be exact), so that every pattern must be tried."""
        if self.ignore_case:
            if not _lowers_exactly(text):
                return None
            text = text.lower()
        found = self._search.findall(text) if self._search is not None else ()
        if not found:
            return self._always
        met = frozenset().union(*(self._satisfies[needle] for needle in set(found)))
        candidates = {self._owner[number] for number in met}
        passed = [index for index in candidates if self._needs[index] <= met]
        return tuple(sorted((*passed, *self._always)))
