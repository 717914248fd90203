"""Cleaning text typed by people before it is stored."""

import re
import unicodedata

# Control characters other than tab and newline; NUL in particular is refused by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_free_text(value: str) -> str:
    """NFC-normalise, unify newlines, drop control characters and trim the ends."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    # Lone surrogates cannot be stored as UTF-8.
    value = value.encode("utf-8", "replace").decode("utf-8")
    # Normalised last: a control character dropped from between a letter and its accent
    # would otherwise leave the two apart, and the text not NFC.
    return unicodedata.normalize("NFC", _CONTROL.sub("", value)).strip()
