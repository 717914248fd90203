"""Tests for the safeguarding detector: what it flags, what it leaves alone, and its data file."""

import time
import tomllib

import pytest

from feedback.analysis.safeguarding import (
    CATEGORIES,
    DEFAULT_PATH,
    Match,
    SafeguardingRules,
    SafeguardingRulesError,
    check,
    fold,
)

SELF, ABUSE, URGENT = CATEGORIES

# (language, text, category): natural phrasing, several per category per language.
FLAGGED = [
    # English
    ("en", "Since my carer stopped coming nobody has helped me wash or eat for days", ABUSE),
    ("en", "Nobody helps me get dressed in the morning", ABUSE),
    ("en", "My carers haven't turned up all week", ABUSE),
    ("en", "Some days I just want to end it all", SELF),
    ("en", "I don't want to be here anymore", SELF),
    ("en", "I have thought about how to kill myself", SELF),
    ("en", "I've been feeling suicidal since my diagnosis", SELF),
    ("en", "I took an overdose last week and nobody followed up", SELF),
    ("en", "I self harm and the GP didn't ask", SELF),
    ("en", "my self-harm has got worse", SELF),
    ("en", "I've started cutting myself again", SELF),
    ("en", "he hits me when he's been drinking", ABUSE),
    ("en", "My partner hurts me", ABUSE),
    ("en", "my husband sometimes hits me", ABUSE),
    ("en", "I'm afraid to go home", ABUSE),
    ("en", "I am being abused", ABUSE),
    ("en", "no one feeds her at lunchtime on the ward", ABUSE),
    ("en", "Dad was left in soiled sheets all night", ABUSE),
    ("en", "she has bruises on her arms again", ABUSE),
    ("en", "I'm having chest pain right now", URGENT),
    ("en", "chest pain again today", URGENT),
    ("en", "I can't breathe properly", URGENT),
    ("en", "my mum collapsed in the waiting room", URGENT),
    ("en", "she has stroke symptoms and can't get through to 111", URGENT),
    ("en", "my wound is bleeding heavily", URGENT),
    ("en", "I have no insulin until Monday", URGENT),
    ("en", "I ran out of my medication on Friday", URGENT),
    # Welsh
    ("cy", "Dw i eisiau lladd fy hun", SELF),
    ("cy", "dw i wedi meddwl am hunanladdiad", SELF),
    ("cy", "dw i ddim eisiau byw", SELF),
    ("cy", "rwy'n hunan-niweidio", SELF),
    ("cy", "mae e'n fy nharo i", ABUSE),
    ("cy", "mae ofn mynd adre arna i", ABUSE),
    ("cy", "dw i'n cael fy ngham-drin", ABUSE),
    ("cy", "does neb yn ei bwydo hi", ABUSE),
    ("cy", "mae gen i boen yn fy mrest", URGENT),
    ("cy", "dw i'n methu anadlu", URGENT),
    ("cy", "mae mam wedi llewygu", URGENT),
    ("cy", "dw i heb inswlin", URGENT),
    # Polish
    ("pl", "chcę się zabić", SELF),
    ("pl", "mam myśli samobójcze", SELF),
    ("pl", "nie chcę już żyć", SELF),
    ("pl", "znowu się tnę", SELF),
    ("pl", "Mąż mnie bije", ABUSE),
    ("pl", "boję się wrócić do domu", ABUSE),
    ("pl", "nikt jej nie karmi", ABUSE),
    ("pl", "ma siniaki na rękach", ABUSE),
    ("pl", "mam ból w klatce piersiowej", URGENT),
    ("pl", "nie mogę oddychać", URGENT),
    ("pl", "tata zemdlał w poczekalni", URGENT),
    ("pl", "nie mam insuliny", URGENT),
    # Romanian
    ("ro", "vreau să mă sinucid", SELF),
    ("ro", "am gânduri sinucigașe", SELF),
    ("ro", "nu mai vreau să trăiesc", SELF),
    ("ro", "vreau să-mi iau viața", SELF),
    ("ro", "soțul mă bate", ABUSE),
    ("ro", "mi-e frică să merg acasă", ABUSE),
    ("ro", "nimeni nu o hrănește", ABUSE),
    ("ro", "are vânătăi pe brațe", ABUSE),
    ("ro", "am durere în piept acum", URGENT),
    ("ro", "nu pot respira", URGENT),
    ("ro", "bunica a leșinat", URGENT),
    ("ro", "am rămas fără insulină", URGENT),
    # Urdu
    ("ur", "میں خودکشی کرنا چاہتا ہوں", SELF),
    ("ur", "میں خود کو مار دینا چاہتی ہوں", SELF),
    ("ur", "میں جینا نہیں چاہتا", SELF),
    ("ur", "میرا شوہر مجھے مارتا ہے", ABUSE),
    ("ur", "مجھے گھر جانے سے ڈر لگتا ہے", ABUSE),
    ("ur", "اس کے جسم پر نیل کے نشان ہیں", ABUSE),
    ("ur", "مجھے سانس نہیں آ رہا", URGENT),
    ("ur", "میرے سینے میں درد ہے", URGENT),
    ("ur", "میری انسولین ختم ہو گئی ہے", URGENT),
]


@pytest.mark.parametrize(
    ("language", "text", "category"),
    [pytest.param(*case, id=f"{case[0]}: {case[1]}") for case in FLAGGED],
)
def test_a_disclosure_is_flagged_under_its_category(language, text, category):
    result = check(text, language)
    assert result.flagged
    assert category in result.categories


@pytest.mark.parametrize(
    ("language", "category"),
    [(lang, cat) for lang in ("en", "cy", "pl", "ro", "ur") for cat in CATEGORIES],
)
def test_every_language_has_at_least_three_flagged_examples_per_category(language, category):
    examples = [c for c in FLAGGED if c[0] == language and c[2] == category]
    assert len(examples) >= 3


@pytest.mark.parametrize(
    ("text", "language", "category"),
    [
        pytest.param("Dziękuję, ale I want to kill myself", "pl", SELF, id="english inside polish"),
        pytest.param("Diolch. I can't breathe at night", "cy", URGENT, id="english inside welsh"),
        pytest.param("Mulțumesc, mă bate", None, ABUSE, id="no language tag tries every one"),
        pytest.param("chcę się zabić", "fr", SELF, id="unknown language tries every one"),
        pytest.param("chcę się zabić", "pl-PL", SELF, id="region subtags are ignored"),
    ],
)
def test_mixed_language_comments_are_flagged(text, language, category):
    assert category in check(text, language).categories


@pytest.mark.parametrize(
    ("text", "language"),
    [
        pytest.param("chce sie zabic", "pl", id="polish typed without accents"),
        pytest.param("vreau sa ma sinucid", "ro", id="romanian typed without accents"),
        pytest.param("soțul mă bate", "ro", id="romanian comma-below letters"),
        pytest.param("soţul mă bate", "ro", id="romanian cedilla letters"),
        pytest.param("CHCĘ SIĘ ZABIĆ", "pl", id="capitals"),
        pytest.param("I don’t want to be here anymore", "en", id="curly apostrophe"),
        pytest.param("he, sometimes, hits me", "en", id="punctuation in the gap"),
        pytest.param("میں خودکشی کرنا چاہتا ہوں".replace("ی", "ي"), "ur", id="arabic yeh in urdu"),
    ],
)
def test_spelling_variants_still_flag(text, language):
    assert check(text, language).flagged



# Borderline phrases, decided: erring on flagging, except for clear idioms and service names.
NOT_FLAGGED = [
    "The carer was lovely and helped me log in",
    "The wait killed me",
    "I nearly died laughing at the receptionist's joke",
    "I nearly killed myself laughing",
    "I'm dying to get an appointment",
    "The app is killing me",
    "Please kill the app and bring back the phone line",
    "The nurse stopped the bleeding quickly",
    "The chest pain clinic was great",
    "The suicide prevention leaflet was helpful",
    "The stroke unit staff were lovely",
    "My bruised ego will recover",
    "I left in the wet weather",
    "Mă bate gândul să schimb medicul",
    "Am murit de râs, mă omor de râs",
    "Clinig poen yn y frest was very good",
    "Skill my self-assessment form",
    "I have chest pain clinic appointments",
    "Excellent care, thank you",
]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_everyday_phrases_and_service_names_are_not_flagged(text):
    assert check(text, None).matches == ()


# Borderline phrases, decided the other way: a reviewer reading a few extra is the safer error.
FLAGGED_ON_PURPOSE = [
    ("I was not abused by staff", ABUSE),
    ("I don't want to kill myself, but the wait was long", SELF),
    ("The receptionist was abusive", ABUSE),
    ("I had bruises after the blood test", ABUSE),
    ("My brother died by suicide last year", SELF),
]


@pytest.mark.parametrize(("text", "category"), FLAGGED_ON_PURPOSE)
def test_negated_or_ambiguous_disclosures_are_flagged_anyway(text, category):
    assert category in check(text, "en").categories


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I feel \u017fuicidal", id="long s, which IGNORECASE reads as s"),
        pytest.param("I want to \u212aILL MYSELF", id="kelvin sign, which reads as K"),
        pytest.param("I want to KİLL MYSELF", id="turkish dotted capital I"),
        pytest.param("Σ I want to kill myself", id="greek capital sigma"),
    ],
)
def test_letters_that_lower_casing_treats_unlike_the_patterns_still_flag(text):
    assert check(text, "en").categories == (SELF,)


@pytest.mark.parametrize("language", [None, "en", "cy", "pl", "ro", "ur"])
def test_the_screen_lets_through_every_pattern_that_matches_an_example(language):
    rules = SafeguardingRules.load()
    entries, screen = rules.screened(rules.languages_for(language))
    texts = [text for _, text, _ in FLAGGED] + NOT_FLAGGED + [t for t, _ in FLAGGED_ON_PURPOSE]
    for text in texts:
        folded = fold(text)[0]
        possible = screen.possible(folded)
        matching = {i for i, (_, pattern) in enumerate(entries) if pattern.search(folded)}
        assert possible is None or matching <= set(possible), text


def test_the_chest_pain_clinic_exclusion_does_not_hide_a_separate_disclosure():
    result = check("The chest pain clinic said to wait, but I have chest pain now", "en")
    assert result.categories == (URGENT,)
    assert [m.phrase for m in result.matches] == ["I have chest pain now"]


def test_a_comment_tagged_english_gets_only_english_patterns_so_callers_unsure_pass_none():
    # The brief: English plus the comment's language. A tag that is only the survey's language
    # can hide another language, so callers without a detected language should pass None.
    text = "The staff were kind. Mąż mnie bije."
    assert not check(text, "en").flagged
    assert check(text, None).categories == (ABUSE,)


def test_overlapping_matches_in_one_category_are_merged_into_one_passage():
    (match,) = check("I have chest pain now", "en").matches
    assert (match.phrase, match.start, match.end) == ("I have chest pain now", 0, 21)


def test_a_comment_with_several_risks_lists_each_category_once_in_fixed_order():
    result = check("I can't breathe, he hits me and I want to end it all", "en")
    assert result.categories == CATEGORIES


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀👍🙏", "\n\t", "5/5 ⭐⭐⭐⭐⭐"],
    ids=["empty", "spaces", "emoji", "ws", "stars"],
)
def test_empty_or_emoji_only_text_is_not_flagged(text):
    result = check(text, "en")
    assert result == result.__class__(False, (), (), result.version)


def test_none_text_is_treated_as_empty():
    assert not check(None).flagged  # type: ignore[arg-type]


def test_a_five_thousand_character_comment_is_checked_quickly():
    text = ("The staff were kind and the wait was long. " * 120)[:4980] + " kill myself"
    assert len(text) > 4990
    started = time.perf_counter()
    result = check(text, None)
    assert time.perf_counter() - started < 1.0
    assert result.matches[-1].phrase == "kill myself"


def test_a_long_run_of_words_without_a_match_is_checked_quickly():
    text = "no one " * 800
    started = time.perf_counter()
    assert not check(text, None).flagged
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("text", "language", "phrase"),
    [
        ("Thanks. I want to kill myself.", "en", "kill myself"),
        ("Dziękuję. Chcę się zabić!", "pl", "się zabić"),
        ("Dzie\u0328kuje\u0328. Chce\u0328 sie\u0328 zabic\u0301", "pl", "sie\u0328 zabic\u0301"),
        ("😀😀 soțul mă bate", "ro", "mă bate"),
        ("شکریہ، مجھے سانس نہیں آ رہا", "ur", "سانس نہیں آ"),
    ],
    ids=["english", "polish", "polish decomposed accents", "after emoji", "urdu"],
)
def test_match_offsets_point_at_the_phrase_in_the_original_text(text, language, phrase):
    (match,) = check(text, language).matches
    assert text[match.start : match.end] == match.phrase == phrase


def test_a_match_records_its_category_and_position():
    assert check("he hits me", "en").matches == (Match(ABUSE, "he hits me", 0, 10),)


def test_results_carry_the_version_of_the_rules_that_produced_them():
    version = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))["version"]
    assert check("hello").version == version == "safeguarding-1"


def test_the_same_text_always_gives_the_same_result():
    text = "my partner hurts me and I can't breathe"
    assert check(text, "en") == check(text, "en")


# --- the data file ---


def test_the_shipped_data_file_loads_with_patterns_for_every_category_and_language():
    rules = SafeguardingRules.load()
    assert rules.languages == ("en", "cy", "pl", "ro", "ur")
    for category in CATEGORIES:
        for language in rules.languages:
            assert len(rules.patterns[category][language]) >= 3, (category, language)


def _valid_data():
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def _without_welsh_urgent(data):
    del data["categories"]["urgent_medical"]["cy"]


def _empty_polish_abuse(data):
    data["categories"]["abuse_or_neglect"]["pl"] = []


def _bad_regex(data):
    data["categories"]["self_harm"]["ro"].append("(unclosed")


def _unknown_category(data):
    data["categories"]["other"] = {lang: ["x"] for lang in data["languages"]}


def _no_version(data):
    del data["version"]


def _exclusions_for_unlisted_language(data):
    data["exclusions"]["fr"] = ["bonjour"]


@pytest.mark.parametrize(
    "break_it",
    [
        _without_welsh_urgent,
        _empty_polish_abuse,
        _bad_regex,
        _unknown_category,
        _no_version,
        _exclusions_for_unlisted_language,
    ],
)
def test_an_incomplete_or_invalid_data_file_is_rejected(break_it):
    data = _valid_data()
    break_it(data)
    with pytest.raises(SafeguardingRulesError):
        SafeguardingRules.from_dict(data)


def test_loading_a_missing_or_malformed_file_is_rejected(tmp_path):
    with pytest.raises(SafeguardingRulesError):
        SafeguardingRules.load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("version = ", encoding="utf-8")
    with pytest.raises(SafeguardingRulesError):
        SafeguardingRules.load(broken)


def test_rules_loaded_from_another_file_are_used_when_given(tmp_path):
    custom = tmp_path / "rules.toml"
    categories = "\n".join(
        f'[categories.{c}]\nen = ["zebra"]\ncy = ["x"]\npl = ["x"]\nro = ["x"]\nur = ["x"]'
        for c in CATEGORIES
    )
    custom.write_text(
        f'version = "test-9"\nlanguages = ["en", "cy", "pl", "ro", "ur"]\n{categories}\n',
        encoding="utf-8",
    )
    result = check("a Zebra appeared", "en", rules=SafeguardingRules.load(custom))
    assert result.version == "test-9"
    assert result.categories == CATEGORIES
