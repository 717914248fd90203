"""Splitting feedback comments into sentences and words, in any of the service's languages."""

import re
import unicodedata

# Combining marks and joiners count as part of a word (Urdu vowel marks, decomposed accents).
_MARK = r"\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d"
_LETTER = rf"[^\W_]|[{_MARK}]"
# Apostrophes and hyphens only join letters: "don't", "s-a", "i'r", "well-being".
_WORD = re.compile(rf"(?:{_LETTER})+(?:['’\-](?:{_LETTER})+)*")

_BULLET = re.compile(r"^\s*(?:[-*•·‣◦–—>]+|\d{1,2}[.)])\s+")
# A run of terminators plus closing quotes/brackets; Urdu marks end a sentence even unspaced.
_END = re.compile(r"(?:\.{2,}|…|[.!?]+)[\"'”’)\]]*(?=\s|$)|[۔؟]+")
_PREV_TOKEN = re.compile(r"(\S+)$")

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


def _is_abbreviation(before: str, after: str, mark: str) -> bool:
    if not mark.startswith(".") or len(mark) > 1:
        return False
    found = _PREV_TOKEN.search(before)
    token = found.group(1).lower().lstrip("([\"'") if found else ""
    token = token.rstrip(".")
    if token in _ALWAYS_ABBREVIATED:
        return True
    # Initials: "J. Smith", "A.B. Jones".
    if re.fullmatch(r"(?:[^\W\d_]\.)*[^\W\d_]", token) and token[-1:].isalpha():
        if len(token.replace(".", "")) <= 3 and before.rstrip()[-1:].isupper():
            return True
    next_char = after.lstrip()[:1]
    return token in _SOMETIMES_ABBREVIATED and not next_char.isupper()


def _split_line(line: str) -> list[str]:
    parts, start = [], 0
    for end in _END.finditer(line):
        mark = end.group(0)
        before, after = line[start:end.start()], line[end.end():]
        if _is_abbreviation(line[:end.start()], after, mark):
            continue
        # An ellipsis followed by lower case is a pause, not an end ("I waited... and waited").
        # So is a quotation that ends in "!" or "?" ("she said "great!" and left").
        is_ellipsis = mark.startswith("..") or mark.startswith("…")
        is_quoted = mark[-1] in "\"'”’)]"
        if (is_ellipsis or is_quoted) and after.lstrip()[:1].islower():
            continue
        if before.strip():
            parts.append(line[start:end.end()].strip())
            start = end.end()
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
    return [m.group(0).replace("’", "'") for m in _WORD.finditer(_normalise(text))]


def words(text: str) -> list[str]:
    """Lower-cased word tokens; digits count as word characters, punctuation never does."""
    return [token.lower() for token in word_tokens(text)]
