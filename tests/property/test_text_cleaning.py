"""The cleaning every channel applies to typed text keeps its promises for any text at all.

feedback/text.py's clean_free_text says it NFC-normalises, unifies newlines, drops control
characters and trims the ends. Whatever goes in, what comes out must be NFC, free of control
characters, carriage returns and lone surrogates, trimmed, and left as it is when cleaned again
(a corrected response is cleaned a second time, and must not change by being saved).
"""

import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from feedback.text import clean_free_text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # carriage return included
# Characters that interact under cleaning: letters that take accents, combining accents,
# controls that may stand between the two, every kind of line end and space, surrogates;
# then any code point at all.
INTERACTING = st.sampled_from(list("aeoAEOn ") + [
    "\u0301", "\u0308", "\u0327", "\u0303", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f",
    "\r", "\n", "\r\n", "\t", "\u2028", "\u3000", "\ufeff", "\ud800", "\udc00", "\u212b",
    "\u1100", "\u1161", "\u11a8",  # Hangul jamo, which NFC composes into one syllable
])
texts = st.one_of(st.lists(INTERACTING, max_size=30).map("".join),
                  st.text(st.characters(exclude_categories=())))
# A control character between a letter and its accent: dropped after NFC, it left the two
# apart, so the stored text was not NFC and changed when cleaned again.
SPLIT_ACCENT = "e\x07\u0301"


@given(texts)
@example(SPLIT_ACCENT)
def test_cleaned_text_is_nfc_trimmed_and_free_of_controls_whatever_was_typed(typed):
    cleaned = clean_free_text(typed)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not _CONTROL.search(cleaned)
    assert not any(unicodedata.category(c) == "Cs" for c in cleaned)
    assert cleaned == cleaned.strip()


@given(texts)
@example(SPLIT_ACCENT)
def test_cleaning_twice_changes_nothing_more(typed):
    cleaned = clean_free_text(typed)
    assert clean_free_text(cleaned) == cleaned
