"""SMS encoding: GSM-7 or UCS-2, segment counting, and GOV.UK Notify style sanitising."""

from dataclasses import dataclass
from typing import Literal

# Twilio refuses a longer body (error 21617) and recommends 320 characters or fewer.
MAX_BODY_CHARACTERS = 1600
RECOMMENDED_MAX_CHARACTERS = 320

# The GSM 03.38 default alphabet, less ESC (0x1B), which only introduces the extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these is sent as ESC plus a character, so it costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

Encoding = Literal["GSM-7", "UCS-2"]
_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}  # one message alone, each part of several

_REPLACEMENTS = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"),
        "\u2026": "...",
        # No-break, en/em/thin/hair and other fixed-width spaces, and tab.
        **dict.fromkeys("\t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                        "\u2009\u200a\u202f\u205f\u3000", " "),
        # Zero width space, word joiner, byte order mark, Mongolian vowel separator, soft hyphen.
        **dict.fromkeys("\u200b\u2060\ufeff\u180e\u00ad", None),
    }
)
# Zero width (non-)joiners change how Urdu letters join and how emoji combine, so they are
# dropped only when nothing else keeps the message in UCS-2, where they cannot show.
_JOINERS = str.maketrans(dict.fromkeys("\u200c\u200d", None))


@dataclass(frozen=True)
class SegmentInfo:
    """How a message will be sent: its encoding, size in units and billed segments."""

    encoding: Encoding
    units: int  # GSM-7 septets or UTF-16 code units
    segments: int  # 0 for an empty message
    per_segment: int  # units that fit in each segment at this length


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM-7 basic set or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def segments(text: str) -> SegmentInfo:
    """Count the units and segments Twilio will bill for ``text``."""
    if is_gsm7(text):
        encoding: Encoding = "GSM-7"
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
    else:
        encoding = "UCS-2"
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]  # surrogate pairs, e.g. emoji
    single, multi = _LIMITS[encoding]
    units = sum(costs)
    if units <= single:
        return SegmentInfo(encoding, units, 1 if units else 0, single)
    return SegmentInfo(encoding, units, _pack(costs, multi), multi)


def _pack(costs: list[int], capacity: int) -> int:
    """Fill segments in order; a two-unit character never straddles two segments."""
    count, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            count, used = count + 1, 0
        used += cost
    return count


def sanitise(text: str) -> str:
    """Replace characters a reader would not notice changing, so more messages fit GSM-7.

    Curly quotes become straight, dashes and minus become "-", the ellipsis becomes "...",
    unusual spaces become a space and invisible characters go. Everything else (Welsh ŵ and ŷ,
    Urdu, accented letters, emoji) is left as it is.
    """
    cleaned = text.translate(_REPLACEMENTS)
    without_joiners = cleaned.translate(_JOINERS)
    return without_joiners if is_gsm7(without_joiners) else cleaned
