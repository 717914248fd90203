"""Splitting feedback comments into sentences and words, in any of the service's languages."""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

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
#
# The strings are looked for in the text with every run of non-word characters made one space
# and a space at each end. Then a separator such as \W+ is one known character, and so is the
# edge of a word: (?<!\w)no\W+one(?!\w) needs " no one ", which is much rarer than "one".

_CAP = 256  # the most strings a group may spell out before it counts as free text
_SHORTEST_USEFUL = 3  # shorter needles match almost every comment, so are kept only if alone
_WORD_CLASS_ESCAPES = frozenset("wSdD")
_ZERO_WIDTH_ESCAPES = frozenset("BAZ")
_CONTROL_ESCAPES = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")
_QUANTIFIER = re.compile(r"[*+?]|\{(\d*)(,?)(\d*)\}")
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_WORD_EDGES = (r"(?<!\w)", r"(?!\w)")  # a non-word character or the end of the text
_NON_WORD_RUN = re.compile(r"\W+")
_NON_WORD = re.compile(r"\W")
_ASCII_NON_WORD_TO_SPACE = str.maketrans(
    {chr(code): " " for code in range(128) if _NON_WORD.match(chr(code))}
)
_ANY: tuple = ("any",)
_EMPTY: tuple = ("empty",)
_BOUNDARY: tuple = ("empty", "\\b")  # \b: empty, unless a letter beside it says more
_SPACE: tuple = ("lit", " ")  # any non-word character, or a run of them
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


class _Unsupported(ValueError):
    pass


def _collapse(text: str) -> str:
    return _NON_WORD_RUN.sub(" ", text)


def _screened(text: str) -> str:
    """The text as the screen reads it: each run of non-word characters one space, and a space
    at each end (so that " no one " is found at the start of "No-one called")."""
    if text.isascii():
        # The same, faster: split() finds the runs once every non-word character is a space.
        words = text.translate(_ASCII_NON_WORD_TO_SPACE).split()
        return f" {' '.join(words)} " if words else " "
    return _collapse(f" {text} ")


def _parse_alternation(source: str, index: int) -> tuple[tuple, int]:
    branches = []
    while True:
        items = []
        while index < len(source) and source[index] not in "|)":
            atom, index = _parse_atom(source, index)
            item, index = _quantified(source, index, atom)
            items.append(item)
        branches.append(("seq", _with_boundaries(items)))
        if not source.startswith("|", index):
            return ("alt", tuple(branches)), index
        index += 1


def _with_boundaries(items: list[tuple]) -> tuple:
    """Read each \\b beside a word character as a non-word character on its other side."""
    for index, item in enumerate(items):
        if item == _BOUNDARY:
            after = _spelled(("seq", tuple(items[index + 1 :])))
            before = _spelled(("seq", tuple(items[:index])))
            beside_word = (after and all(s[:1] not in ("", " ") for s in after)) or (
                before and all(s[-1:] not in ("", " ") for s in before)
            )
            items[index] = _SPACE if beside_word else _EMPTY
    return tuple(items)


def _parse_escape(source: str, index: int) -> tuple[tuple, int]:
    letter = source[index + 1 : index + 2]
    if letter in ("W", "s"):
        return _SPACE, index + 2
    if letter in _WORD_CLASS_ESCAPES:
        return _ANY, index + 2
    if letter == "b":
        return _BOUNDARY, index + 2
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
    end = index + 1
    if source.startswith("^", end):
        end += 1
    if source.startswith("]", end):
        end += 1
    while end < len(source) and source[end] != "]":
        end += 2 if source[end] == "\\" else 1
    if end >= len(source):
        raise _Unsupported(source)
    members = source[index + 1 : end]
    # [^\w\n] and the like match only non-word characters; so does a list of them ([.,]).
    negated_words = members.startswith("^") and "\\w" in members
    listed = re.fullmatch(r"(?:\\[Ws]|\\[^\w]|[^\w\\^\-\[])+", members)
    if negated_words or (listed and all(_NON_WORD.match(c) for c in _class_literals(members))):
        return _SPACE, end + 1
    return _ANY, end + 1


def _class_literals(members: str) -> list[str]:
    return [c for c in re.sub(r"\\[Ws]", "", members).replace("\\", "")]


def _parse_group(source: str, index: int) -> tuple[tuple, int]:
    if source.startswith(_WORD_EDGES, index):
        return _SPACE, index + len(next(e for e in _WORD_EDGES if source.startswith(e, index)))
    positive = source.startswith(("(?=", "(?<="), index)
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
    if not lookaround:
        return node, index + 1
    # (?=\s) says that a non-word character is there, like (?!\w); any other lookaround
    # matches no characters, so for what a match contains it is empty.
    spaced = positive and all(branch[1] == (_SPACE,) for branch in node[1])
    return (_SPACE if spaced else _EMPTY), index + 1


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
    return {_collapse(a + b) for a in left for b in right}


def _spelled(node: tuple) -> set[str] | None:
    """Every string the node matches (collapsed), when there are at most _CAP; else None."""
    kind = node[0]
    if kind == "lit":
        return {_collapse(node[1])}
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
    one = _spelled(atom)
    if one == {" "}:
        # However many non-word characters, collapsed they are one space.
        return {" "} if low else {"", " "}
    if high is None or high > 3:
        return None
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
        return [frozenset((_collapse(node[1]),))]
    if kind == "repeat":
        return _requirements(node[1]) if node[2] >= 1 else []
    if kind == "seq":
        return _sequence_requirements(node[1], {""})
    if kind == "alt":
        return _alternation_requirements(node[1], {""}, None)
    return []


def _alternation_requirements(
    branches: tuple, before: set[str], after: tuple | None
) -> list[frozenset[str]]:
    # Each branch is read with what comes just before and after it ("(?<!\w)(?:he|she) "
    # needs " he " or " she "), and the alternation needs one of the branches' best sets.
    union: set[str] = set()
    for branch in branches:
        items = branch[1] if after is None else (*branch[1], after)
        needs = _sequence_requirements(items, before)
        if len(branches) == 1 or not needs:
            return needs
        union |= max(needs, key=_strength)
    return [_minimal(union)]


def _flattened(items: tuple) -> list[tuple]:
    # A group with one branch only groups: its items belong to the sequence around it.
    flat: list[tuple] = []
    for item in items:
        if item[0] == "alt" and len(item[1]) == 1:
            flat.extend(_flattened(item[1][0][1]))
        else:
            flat.append(item)
    return flat


def _sequence_requirements(items: tuple, run: set[str]) -> list[frozenset[str]]:
    # Neighbouring items with few spellings make one run of literal text ("kill(s|ed)?" gives
    # "kill", "kills", "killed"); anything else ends the run and adds needs of its own.
    found: list[frozenset[str]] = []
    flat = [*_flattened(items), _ANY]
    apart = bool(run) and all(string.endswith(" ") for string in run)
    for position, item in enumerate(flat):
        spelled = _spelled(item)
        apart_before, apart = apart, _ends_apart(item, apart)
        joined = _join(run, spelled)
        if joined is not None:
            run = joined
            continue
        if "" not in run:
            found.append(_minimal(run))
        if spelled is not None:
            # Too many spellings to join: start again, keeping the word start if there is one.
            run = (_join({" "}, spelled) if apart_before else None) or spelled
            continue
        if item[0] == "alt":
            following = flat[position + 1]
            after = following if _spelled(following) is not None else None
            found.extend(_alternation_requirements(item[1], run, after))
        else:
            found.extend(_requirements(item))
        # After a gap such as \W+(?:\w+\W+){0,3}, what follows starts a word.
        run = {" "} if apart else {""}
    return found


def _ends_apart(node: tuple, apart: bool) -> bool:
    """Whether, after the node matches, the next character starts a word (the last one
    matched, or the next, is a non-word character); `apart` says whether that held before."""
    kind = node[0]
    if kind == "lit":
        return _collapse(node[1]) == " "
    if kind == "empty":
        return apart
    if kind == "seq":
        for item in node[1]:
            apart = _ends_apart(item, apart)
        return apart
    if kind == "alt":
        return all(_ends_apart(branch, apart) for branch in node[1])
    if kind == "repeat":
        # Zero times leaves things as they were; once or more, as the last time leaves them.
        once = _ends_apart(node[1], False)
        return once and (node[2] >= 1 or apart)
    return False


def required_strings(pattern: str, ignore_case: bool = False) -> tuple[frozenset[str], ...]:
    """Sets of strings such that, where the pattern matches a text, the text screened as
    PatternScreen screens it (non-word runs made one space, a space added at each end)
    contains one string from each set.

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
        # A needle with, say, dotless ı (which IGNORECASE matches to i) is left out.
        needs = [
            frozenset(s.lower() for s in strings)
            for strings in needs
            if all(_lowers_exactly_in_needle(c) for string in strings for c in string)
        ]
    # A space alone is in every text of more than one word, so it tells nothing.
    needs = [strings for strings in needs if " " not in strings]
    useful = [strings for strings in needs if _strength(strings)[0] >= _SHORTEST_USEFUL]
    if not useful and needs:
        useful = [max(needs, key=_strength)]
    return tuple(_minimal(set(strings)) for strings in dict.fromkeys(useful))


@lru_cache(maxsize=1024)
def _lowers_exactly_in_needle(char: str) -> bool:
    """Whether a lower-cased needle finds this character of a pattern compiled with
    IGNORECASE in any text the screen reads (see _lowers_exactly).

    ASCII and caseless letters match themselves; a cased letter such as ę matches nothing
    in such a text, nor does its needle, unless re pairs it with an ASCII letter (ı with i,
    ſ with s, İ with i) or its lower case is odd (two characters, or itself caseless).
    """
    if char.isascii() or char.lower() == char == char.upper():
        return True
    lower = char.lower()
    if len(lower) != 1 or lower == lower.upper():
        return False
    twin = re.compile(re.escape(char), re.IGNORECASE)
    return not any(twin.fullmatch(chr(code)) for code in range(128))


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
        needs = [required_strings(pattern, ignore_case) for pattern in patterns]
        self._always = frozenset(i for i, sets in enumerate(needs) if not sets)
        # A pattern that needs one set of strings could match wherever one of them is; for a
        # pattern that needs several, each set gets a number, and the text must meet them all.
        sure: dict[str, set[int]] = {}
        meets: dict[str, set[int]] = {}
        self._owner: list[int] = []
        self._numbers: dict[int, frozenset[int]] = {}
        for index, sets in enumerate(needs):
            if len(sets) == 1:
                for needle in sets[0]:
                    sure.setdefault(needle, set()).add(index)
                continue
            for strings in sets:
                for needle in strings:
                    meets.setdefault(needle, set()).add(len(self._owner))
                self._owner.append(index)
            self._numbers[index] = frozenset(range(len(self._owner) - len(sets),
                                                   len(self._owner)))
        needles = sure.keys() | meets.keys()
        # At each position (the lookahead lets matches overlap) a search captures the longest
        # needle there; the shorter needles it begins with are there as well. Most needles
        # begin a word, so start with a space, and those are looked for only after a space,
        # which re finds quickly because it is a literal.
        starts_word = sorted(needle[1:] for needle in needles if needle.startswith(" "))
        elsewhere = sorted(needle for needle in needles if not needle.startswith(" "))
        self._after_space = re.compile(f" (?=({_trie(starts_word)}))") if starts_word else None
        self._anywhere = re.compile(f"(?=({_trie(elsewhere)}))") if elsewhere else None
        self._sure = {needle: _with_prefixes(needle, sure) for needle in needles}
        self._meets = {needle: _with_prefixes(needle, meets) for needle in needles}

    def possible(self, text: str) -> tuple[int, ...] | None:
        """Indexes, in order, of the patterns that could match `text`; None when the screen
        cannot tell (lower-casing would not be exact), so that every pattern must be tried."""
        if self.ignore_case:
            if not _lowers_exactly(text):
                return None
            text = text.lower()
        text = _screened(text)
        found: set[str] = set()
        if self._after_space is not None:
            found.update(" " + rest for rest in self._after_space.findall(text))
        if self._anywhere is not None:
            found.update(self._anywhere.findall(text))
        passed = set(self._always)
        met: set[int] = set()
        for needle in found:
            passed |= self._sure[needle]
            met |= self._meets[needle]
        if met:
            owners = {self._owner[number] for number in met}
            passed.update(index for index in owners if self._numbers[index] <= met)
        return tuple(sorted(passed))


def _with_prefixes(needle: str, table: dict[str, set[int]]) -> frozenset[int]:
    return frozenset().union(
        *(table.get(needle[:end], ()) for end in range(1, len(needle) + 1))
    )
