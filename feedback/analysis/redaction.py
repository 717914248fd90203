"""Replacing personal data in free text with labels such as [NAME] or [NHS NUMBER]."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from .text import PatternScreen

NHS_NUMBER = "NHS NUMBER"
PHONE = "PHONE"
EMAIL = "EMAIL"
POSTCODE = "POSTCODE"
DATE_OF_BIRTH = "DATE OF BIRTH"
NAME = "NAME"

# When matches overlap the earlier label here wins, so labels never nest.
_PRIORITY = (EMAIL, NHS_NUMBER, DATE_OF_BIRTH, PHONE, POSTCODE, NAME)

Span = tuple[str, int, int]


@dataclass(frozen=True)
class Redacted:
    text: str
    found: tuple[Span, ...]  # (label, start, end) in the ORIGINAL text, in order


_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_NHS = re.compile(r"(?<![\d+])(?<!\d[ -])\d{3}([ -]?)\d{3}\1\d{4}(?![ -]?\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+44[ -]?(?:\(0\)[ -]?)?|\(?0)\d{1,5}\)?(?:[ -]?\d{2,6}){0,3}(?!\d)"
)
_POSTCODE = re.compile(
    r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})(?!\d)"
)
_BIRTH_CUE = (
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth|\bbirth\s?date|\bborn(?:\s+on)?"
    r"|\bdyddiad\s+geni|\bdata\s+urodzenia|\burodzon[yaem]+|\bdata\s+na[șş]terii"
    r"|\bn[ăa]scut[ăa]?(?:\s+[îi]n)?)"
)
_DOB = re.compile(rf"{_BIRTH_CUE}\s*(?:[:=,-]\s*)?(?:(?:is|was|of)\s+)?(?P<date>{_DATE})",
                  re.IGNORECASE)

# Titles always followed by a name, so a lower-case "dr patel" still counts.
_STRONG_TITLE = r"(?:dr|mr|mrs|ms|mx|prof|professor)\.?"
# Words that are also common nouns or verbs: only a capitalised name after them counts.
_WEAK_TITLE = r"(?:doctor|nurse|sister|miss|matron|midwife)"
_TITLE_CUE = re.compile(rf"\b{_STRONG_TITLE}(?=\s)", re.IGNORECASE)
_INTRO_CUE = re.compile(
    r"(?:\bmy\s+name\s+is|\bmy\s+name's|\bfy\s+enw\s+(?:i\s+)?yw"
    r"|\bnazywam\s+się|\bmam\s+na\s+imię|\bmă\s+numesc|\bnumele\s+meu\s+este)(?=\s)",
    re.IGNORECASE,
)
_WEAK_CUE = re.compile(
    rf"(?:\b{_WEAK_TITLE}|\b(?:i\s+am\s+|i'm\s+)?called|\bnamed)(?=\s)", re.IGNORECASE
)
_THANKS_CUE = re.compile(r"\bthank(?:s|\s+you)\s+to(?=\s)", re.IGNORECASE)
# Every pattern above the names needs a digit (\d, so any script's digits), the email an @.
_DIGIT = re.compile(r"\d")
_NAME_WORD = re.compile(r"\s+([^\W\d_][^\W\d_'’]*(?:[-'’][^\W\d_]+)*)")
_URDU_NAME = re.compile(r"میرا\s+نام\s+(?P<name>[\u0600-\u06ff]+)")
_URDU_NOT_NAME = {"ہے", "ہیں", "تھا", "کیا"}

# Capitalised words after a cue that are not names (sentence starts, places, services).
_NOT_NAMES = {
    "a", "an", "and", "the", "was", "were", "is", "are", "be", "been", "had", "has", "have",
    "who", "which", "that", "this", "she", "he", "they", "it", "i", "we", "you", "in", "on",
    "at", "to", "for", "of", "from", "with", "but", "or", "so", "not", "very", "really",
    "also", "there", "said", "told", "did", "didn't", "wasn't", "came", "gave", "saw",
    "nhs", "gp", "a&e", "ward", "team", "staff", "surgery", "practice", "clinic", "hospital",
    "reception", "service", "unit", "department", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "today", "yesterday", "tomorrow", "everyone",
    "all", "about", "back", "me", "him", "her", "them", "us", "my", "our", "your", "their",
    "nurse", "doctor", "sister", "consultant", "midwife", "on-call", "out-of-hours",
    "jest", "este", "yw", "ydy", "nie", "nu",
}


def nhs_number_is_valid(digits: str) -> bool:
    """The modulus-11 check on a 10-digit NHS number (spaces and dashes ignored)."""
    digits = re.sub(r"[ -]", "", digits)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _phone_digits_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip("(").startswith("+44"):
        digits = "0" + digits[2:].removeprefix("0")
    if digits.startswith("07"):
        return len(digits) == 11
    return digits[:2] in ("01", "02", "03") and len(digits) in (10, 11)


def _phones(text: str) -> Iterator[Span]:
    for match in _PHONE.finditer(text):
        candidate = match.group(0)
        # Greedy matching may swallow a following number ("07700 900123 20 times"): drop
        # trailing groups until the digits fit.
        while candidate and not _phone_digits_ok(candidate):
            shorter = re.sub(r"[ -]?\d+\)?$", "", candidate)
            candidate = "" if shorter == candidate else shorter
        if candidate:
            yield PHONE, match.start(), match.start() + len(candidate)


def _nhs_numbers(text: str) -> Iterator[Span]:
    for match in _NHS.finditer(text):
        if nhs_number_is_valid(match.group(0)):
            yield NHS_NUMBER, match.start(), match.end()


def _simple(text: str, label: str, pattern: re.Pattern[str]) -> Iterator[Span]:
    for match in pattern.finditer(text):
        yield label, match.start(), match.end()


def _dates_of_birth(text: str) -> Iterator[Span]:
    for match in _DOB.finditer(text):
        yield DATE_OF_BIRTH, match.start("date"), match.end("date")


def _is_name(word: str, need_capital: bool) -> bool:
    if not word:
        return False
    if word.lower().replace("’", "'") in _NOT_NAMES:
        return False
    return word[0].isupper() or not need_capital


def _name_after(text: str, position: int, capitals: tuple[bool, bool], words: int) -> Span | None:
    """Up to two name-like words right after a cue; None if `words` of them aren't there.

    `capitals` says whether the first and the second word must be capitalised.
    """
    start = end = None
    for need_capital in capitals:
        match = _NAME_WORD.match(text, end if end is not None else position)
        if not match or not _is_name(match.group(1), need_capital):
            break
        start = match.start(1) if start is None else start
        end = match.end(1)
        words -= 1
    if start is None or end is None or words > 0:
        return None
    return NAME, start, end


# (cue, whether the first and second name words must be capitalised, how many there must be)
_CUES = (
    (_INTRO_CUE, (False, False), 1),
    (_TITLE_CUE, (False, True), 1),
    (_WEAK_CUE, (True, True), 1),
    (_THANKS_CUE, (True, True), 2),
)


@cache
def _cue_screen() -> PatternScreen:
    return PatternScreen([cue.pattern for cue, _, _ in _CUES], ignore_case=True)


def _names(text: str) -> Iterator[Span]:
    # Most comments have no cue at all; one search says which cues could be there.
    possible = _cue_screen().possible(text)
    for index, (pattern, capitals, words) in enumerate(_CUES):
        if possible is not None and index not in possible:
            continue
        for cue in pattern.finditer(text):
            span = _name_after(text, cue.end(), capitals, words)
            if span:
                yield span
    for match in _URDU_NAME.finditer(text):
        if match.group("name") not in _URDU_NOT_NAME:
            yield NAME, match.start("name"), match.end("name")


def find_personal_data(text: str) -> tuple[Span, ...]:
    """Non-overlapping (label, start, end) spans of personal data, in text order."""
    digits = _DIGIT.search(text) is not None
    candidates = [
        *(_simple(text, EMAIL, _EMAIL) if "@" in text else ()),
        *(_nhs_numbers(text) if digits else ()),
        *(_dates_of_birth(text) if digits else ()),
        *(_phones(text) if digits else ()),
        *(_simple(text, POSTCODE, _POSTCODE) if digits else ()),
        *_names(text),
    ]
    candidates.sort(key=lambda s: (_PRIORITY.index(s[0]), -(s[2] - s[1]), s[1]))
    chosen: list[Span] = []
    for label, start, end in candidates:
        if all(end <= s or start >= e for _, s, e in chosen):
            chosen.append((label, start, end))
    return tuple(sorted(chosen, key=lambda s: s[1]))


def redact(text: str) -> Redacted:
    """Replace names, NHS numbers, phones, emails, postcodes and birth dates with [LABEL]s."""
    found = find_personal_data(text)
    pieces, last = [], 0
    for label, start, end in found:
        pieces.append(text[last:start])
        pieces.append(f"[{label}]")
        last = end
    pieces.append(text[last:])
    return Redacted("".join(pieces), found)
