"""Sentence splitting and word tokens for comments in every service language."""

import re

import pytest

from feedback.analysis.text import PatternScreen, required_strings, sentences, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great staff. Long wait! Why?", ["Great staff.", "Long wait!", "Why?"]),
        ("Waited 2.5 hours. Then left.", ["Waited 2.5 hours.", "Then left."]),
        ("Seen at 10.30. Fine.", ["Seen at 10.30.", "Fine."]),
        ("Dr. Patel and Mrs. Jones helped. Thanks", ["Dr. Patel and Mrs. Jones helped.", "Thanks"]),
        ("Bloods e.g. FBC, i.e. routine. Ok", ["Bloods e.g. FBC, i.e. routine.", "Ok"]),
        ("Took approx. 3 hours. Bad", ["Took approx. 3 hours.", "Bad"]),
        ("Forms, letters etc. were lost. Sad", ["Forms, letters etc. were lost.", "Sad"]),
        ("Seen by J. Smith today. Good", ["Seen by J. Smith today.", "Good"]),
        ("I waited... and waited. Then... Nothing.", ["I waited... and waited.", "Then...",
                                                     "Nothing."]),
        ("Slow… Rude staff", ["Slow…", "Rude staff"]),
        ("She said \"Great!\" and left.", ["She said \"Great!\" and left."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("بہت اچھا۔ شکریہ؟ ٹھیک", ["بہت اچھا۔", "شکریہ؟", "ٹھیک"]),
        ("Parking\nWaiting room", ["Parking", "Waiting room"]),
        ("the nurse was\nvery kind", ["the nurse was very kind"]),
        ("- good staff\n* long wait\n• rude", ["good staff", "long wait", "rude"]),
        ("1. Parking\n2) Signs\n\nOverall fine", ["Parking", "Signs", "Overall fine"]),
        ("  padded.   ", ["padded."]),
        ("Wait . Then more", ["Wait .", "Then more"]),
        ("Seen by Dr.\u00a0Patel. Good", ["Seen by Dr.\u00a0Patel.", "Good"]),
        ("(Dr. Who) came. Fine", ["(Dr. Who) came.", "Fine"]),
        ("Jan. the 5th. Ok", ["Jan. the 5th.", "Ok"]),
        ("etc. The end", ["etc.", "The end"]),
        ("A.B. Jones came. Fine", ["A.B. Jones came.", "Fine"]),
        ("waited... then! Yes?? ok.", ["waited... then!", "Yes??", "ok."]),
        ("", []),
        ("   \n\n ", []),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't know, couldn't wait", ["i", "don't", "know", "couldn't", "wait"]),
        ("Curly don’t", ["curly", "don't"]),
        ("A well-being check-up", ["a", "well-being", "check-up"]),
        ("Roedd y nyrs yn garedig iawn, i'r ŵyr", ["roedd", "y", "nyrs", "yn", "garedig",
                                                  "iawn", "i'r", "ŵyr"]),
        ("Ŷd a dŵr", ["ŷd", "a", "dŵr"]),
        ("Dziękuję, ŁÓDŹ żółć", ["dziękuję", "łódź", "żółć"]),
        ("Mulțumesc, s-a făcut într-o zi", ["mulțumesc", "s-a", "făcut", "într-o", "zi"]),
        ("میرا نام احمد ہے", ["میرا", "نام", "احمد", "ہے"]),
        ("NHS 111 - call", ["nhs", "111", "call"]),
        ("'quoted' -dash- !!!", ["quoted", "dash"]),
        ("🙂👍", []),
        ("snake_case it", ["snake", "case", "it"]),
        ("rock'n'roll -- don't", ["rock'n'roll", "don't"]),
        ("A-1 b2b 3-", ["a-1", "b2b", "3"]),
        ("tab\there", ["tab", "here"]),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_words_compose_decomposed_accents():
    assert words("dw\u0302r") == ["dŵr"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"suicid\w*", [{"suicid"}]),
        (r"kill(s|ed|ing)?\W+(my\W*self)", [{"kill my self", "kill myself", "kills my self",
                                              "kills myself", "killed my self", "killed myself",
                                              "killing my self", "killing myself"}]),
        (r"(hits?|kick\w*|slap)", [{"hit", "kick", "slap"}]),
        (r"colou?r", [{"color", "colour"}]),
        (r"(?<!\w)(?:over\W*dos\w*)(?!\w)", [{" overdos", " over dos"}]),
        (r"(?<!\w)(?:apps?|nhs\W+app)(?!\w)", [{" app ", " apps "}]),
        (r"(?<!\w)(?:(he|she)[^\w\n]+(?:\w+\W+){0,3}?(kind|nice))(?!\w)",
         [{" he ", " she "}, {" kind ", " nice "}]),
        (r"(?P<who>he|she) said", [{"he said"}]),
        (r"a{2,3}bc", [{"aabc"}]),
        (r"x{}y", [{"x y"}]),
        (r"\u0651abc", [{" abc"}]),  # a combining mark is no word character
        (r"ab[.,]cd", [{"ab cd"}]),
        (r"\b(?:dr|mrs?)\.?(?=\s)", [{" dr ", " mr ", " mrs "}]),
        (r"\b(?:i\s+am\s+)?called", [{" called"}]),
        (r"no\bone", [{"no one"}]),  # never matches, so anything goes
        (r"(?<=\s)ab(?=\s|$)", [{" ab"}]),
        (r"[abc]def", [{"def"}]),
        (r"(no|go) (a|b)", [{"no a", "no b", "go a", "go b"}]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_required_strings_are_what_every_match_must_contain(pattern, expected):
    assert [set(strings) for strings in required_strings(pattern)] == expected


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", r"(?i)abc", r"(?x) a b c", r"(?>abc)", r"\w+", r"x|\d", "(ab", r"\N{DASH}"],
)
def test_a_pattern_the_screen_cannot_read_needs_nothing_so_is_always_tried(pattern):
    assert required_strings(pattern) == ()


def test_required_strings_with_ignore_case_are_lower_case_and_skip_dotless_i():
    assert required_strings(r"Chest\W+PAIN", ignore_case=True) == (frozenset({"chest pain"}),)
    # IGNORECASE matches dotless ı to i, which lower-casing would not find.
    assert required_strings("kıll", ignore_case=True) == ()
    # A cased letter with no ASCII twin can stay: neither it nor its needle is in a text the
    # screen reads, since a text with cased letters outside ASCII is not screened at all.
    assert required_strings("MĂ NUMESC", ignore_case=True) == (frozenset({"mă numesc"}),)


SCREENED = [
    r"suicid\w*",
    r"kill(s|ed|ing)?\W+(my\W*self|himself)",
    r"(he|she)\W+(?:\w+\W+){0,3}?(hits?|kicks?)\W+me",
    r"no\W+(insulin|meds)",
    r"(?<!\w)خود\W*کشی(?!\w)",
    r"\w+",
]


@pytest.mark.parametrize(
    "text",
    [
        "", "nothing here", "he sometimes hits me", "She kicks me", "I want to kill myself",
        "suicidal", "killed himself", "no insulin", "no meds left", "خود کشی", "hitting kill",
        "ſuicidal", "KİLL MYSELF", "Σ kill myself", "\u212aill myself", "ab\u0301c suicide",
    ],
)
@pytest.mark.parametrize("ignore_case", [False, True])
def test_the_screen_lets_through_every_pattern_that_matches(text, ignore_case):
    flags = re.IGNORECASE if ignore_case else 0
    screen = PatternScreen(SCREENED, ignore_case=ignore_case)
    possible = screen.possible(text)
    matching = {i for i, pattern in enumerate(SCREENED) if re.search(pattern, text, flags)}
    assert possible is None or matching <= set(possible)


def test_the_screen_rules_out_patterns_whose_strings_are_missing():
    screen = PatternScreen(SCREENED, ignore_case=True)
    assert screen.possible("The nurse was kind") == (5,)
    assert screen.possible("He KICKS me") == (2, 5)
    assert screen.possible("kill the pain, not myself") == (5,)
    assert screen.possible("killed   himself") == (1, 5)


def test_the_screen_reads_any_run_of_non_word_characters_as_one_space_and_words_as_whole():
    screen = PatternScreen([r"(?<!\w)(?:no\W+one)(?!\w)", r"(?<!\w)(?:wi\W*fi)(?!\w)"])
    assert screen.possible("no-one called, no\n one came") == (0,)
    assert screen.possible("wifis... nobody, no  oneness") == ()
    assert screen.possible("(wi-fi) down") == (1,)
    assert screen.possible("with fine") == ()


def test_the_screen_cannot_tell_when_lower_casing_differs_from_ignore_case():
    screen = PatternScreen(SCREENED, ignore_case=True)
    # re.IGNORECASE matches long s to s and dotted İ to i; str.lower() does not.
    assert screen.possible("ſuicidal") is None
    assert screen.possible("KİLL MYSELF") is None
    assert screen.possible("خود کشی") == (4, 5)
