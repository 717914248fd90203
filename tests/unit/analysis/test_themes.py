"""Tests for theme tagging: what each language's patterns catch, what they leave alone, and the
taxonomy data file."""

import json
import re
import time
import unicodedata

import pytest

from feedback.analysis import safeguarding
from feedback.analysis.language import LANGUAGES
from feedback.analysis.text import sentences
from feedback.analysis.themes import (
    DEFAULT_PATH,
    THEME_KEYS,
    Theme,
    ThemeHit,
    ThemeRules,
    ThemeRulesError,
    fold,
    tag_themes,
    taxonomy,
)


def themes_of(text, language=None):
    return {hit.key for hit in tag_themes(sentences(text), language)}


# (language, text, theme): natural phrasing, at least two themes per language.
TAGGED = [
    # English
    ("en", "I couldn't log in because the app kept asking for a new password", "access_login"),
    ("en", "The six digit code never arrived by text", "access_login"),
    ("en", "The video call kept freezing and then the connection dropped", "technical"),
    ("en", "There's no signal in our village so the link wouldn't load", "technical"),
    ("en", "The website was easy to use", "ease_of_use"),
    ("en", "The online form was confusing and had too many questions", "ease_of_use"),
    ("en", "I'm partially sighted and the writing on the screen was too small", "accessibility"),
    ("en", "There was no BSL interpreter for my deaf husband", "accessibility"),
    ("en", "Nobody told me the clinic had moved", "communication"),
    ("en", "The doctor explained everything clearly", "communication"),
    ("en", "I waited three weeks for an appointment", "waiting_appointments"),
    ("en", "We sat in the waiting room for two hours", "waiting_appointments"),
    ("en", "The receptionist was really rude to my mum", "staff_attitude"),
    ("en", "The nurse was very kind and patient with me", "staff_attitude"),
    ("en", "I don't trust apps with my medical records", "privacy_trust"),
    ("en", "Everyone in reception could overhear my details", "privacy_trust"),
    ("en", "I ran out of data halfway through the call", "cost"),
    ("en", "I can't afford a smartphone", "cost"),
    ("en", "My dad needed an interpreter because his English is limited", "language"),
    ("en", "Nothing was available in Urdu", "language"),
    ("en", "I would rather see the GP face to face", "prefer_in_person"),
    ("en", "I prefer talking to someone on the phone", "prefer_in_person"),
    # Welsh
    ("cy", "Doedd yr ap ddim yn gweithio ar fy ffôn", "technical"),
    ("cy", "Anghofiais fy nghyfrinair ac roedd rhaid mewngofnodi eto", "access_login"),
    ("cy", "Roedd rhaid aros tair wythnos am apwyntiad", "waiting_appointments"),
    ("cy", "Roedd y nyrs yn garedig iawn", "staff_attitude"),
    ("cy", "Roedd y wefan yn hawdd ei defnyddio", "ease_of_use"),
    ("cy", "Hoffwn gael cyfieithydd", "language"),
    ("cy", "Mae'n well gen i weld y meddyg wyneb yn wyneb", "prefer_in_person"),
    # Polish
    ("pl", "Nie mogę się zalogować do aplikacji", "access_login"),
    ("pl", "Czekałam trzy tygodnie na wizytę", "waiting_appointments"),
    ("pl", "Pani w rejestracji była bardzo niemiła", "staff_attitude"),
    ("pl", "Internet w domu jest za słaby i rozmowa się zacinała", "technical"),
    ("pl", "Potrzebuję tłumacza, bo słabo mówię po angielsku", "language"),
    ("pl", "Nie stać mnie na internet w telefonie", "cost"),
    ("pl", "Strona jest prosta i łatwa w obsłudze", "ease_of_use"),
    # Romanian
    ("ro", "Nu mă pot autentifica în aplicație", "access_login"),
    ("ro", "Am așteptat trei săptămâni pentru o programare", "waiting_appointments"),
    ("ro", "Asistenta a fost foarte amabilă", "staff_attitude"),
    ("ro", "Am nevoie de un interpret", "language"),
    ("ro", "Nu știu ce se întâmplă cu datele mele personale", "privacy_trust"),
    ("ro", "Prefer să vorbesc cu medicul la telefon", "prefer_in_person"),
    ("ro", "Nu primesc niciodată informații despre rezultate", "communication"),
    # Urdu
    ("ur", "ایپ پر لاگ ان نہیں ہو رہا تھا", "access_login"),
    ("ur", "انتظار بہت لمبا تھا", "waiting_appointments"),
    ("ur", "ڈاکٹر بہت بدتمیز تھا", "staff_attitude"),
    ("ur", "میرے پاس سمارٹ فون نہیں ہے", "cost"),
    ("ur", "مجھے ترجمان کی ضرورت تھی", "language"),
    ("ur", "مجھے آمنے سامنے ملاقات پسند ہے", "prefer_in_person"),
    ("ur", "کسی نے مجھے نہیں بتایا کہ اپائنٹمنٹ منسوخ ہو گئی", "communication"),
]


@pytest.mark.parametrize(("language", "text", "theme"), TAGGED)
def test_a_sentence_is_tagged_with_its_theme_in_its_own_language(language, text, theme):
    assert theme in themes_of(text, language)


@pytest.mark.parametrize(("language", "text", "theme"), TAGGED)
def test_a_sentence_is_tagged_the_same_way_when_its_language_is_unknown(language, text, theme):
    assert theme in themes_of(text, None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_examples_of_at_least_two_themes(language):
    assert len({theme for lang, _, theme in TAGGED if lang == language}) >= 2


def test_a_sentence_can_carry_several_themes():
    text = "I booked on the app but the video kept freezing and the doctor was rude"
    assert themes_of(text, "en") >= {
        "access_login",
        "waiting_appointments",
        "technical",
        "staff_attitude",
    }


def test_hits_say_which_sentences_carry_each_theme_in_taxonomy_order():
    comment = [
        "The app froze.",
        "The nurse was lovely though.",
        "Then I waited an hour and the app froze again!",
    ]
    assert tag_themes(comment, "en") == (
        ThemeHit("access_login", (0, 2)),
        ThemeHit("technical", (0, 2)),
        ThemeHit("waiting_appointments", (2,)),
        ThemeHit("staff_attitude", (1,)),
    )


def test_a_pattern_never_spans_two_sentences():
    assert "access_login" not in {h.key for h in tag_themes(["I kept a log", "In the end"])}


@pytest.mark.parametrize(
    ("text", "language", "theme"),
    [
        pytest.param("I booked an appointment", "en", "access_login", id="app in appointment"),
        pytest.param("They sent me a catalogue of leaflets", "en", "access_login", id="catalogue"),
        pytest.param("Please take into account my age", "en", "access_login", id="into account"),
        pytest.param("I had app at 2.40 and nobody came", "en", "access_login", id="app for appt"),
        pytest.param("Sprawdziłam katalog usług", "pl", "access_login", id="polish katalog"),
        pytest.param("The website was user-friendly", "en", "staff_attitude", id="user-friendly"),
        pytest.param("The app was kind of slow", "en", "staff_attitude", id="kind of"),
        pytest.param("I am caring for my husband", "en", "staff_attitude", id="caring for"),
        pytest.param("The Trust should fund more nurses", "en", "privacy_trust", id="the Trust"),
        pytest.param("I'm on a medium secure ward", "en", "privacy_trust", id="secure ward"),
        pytest.param("I have a frozen shoulder", "en", "technical", id="frozen shoulder"),
        pytest.param("There's a tummy bug going round", "en", "technical", id="tummy bug"),
        pytest.param("The staff are a credit to the NHS", "en", "cost", id="a credit to"),
        pytest.param("Please pay attention to patients", "en", "cost", id="pay attention"),
        pytest.param("I'm having cognitive behavioural therapy", "en", "accessibility", id="CBT"),
        pytest.param("I'm on the waiting list", None, "communication", id="list is English"),
        pytest.param("He used foul language", "en", "language", id="foul language"),
        pytest.param("She is easy to talk to", "en", "ease_of_use", id="easy to talk to"),
    ],
)
def test_everyday_words_that_look_like_a_theme_are_not_tagged(text, language, theme):
    assert theme not in themes_of(text, language)


def test_an_excluded_phrase_does_not_hide_a_later_match_in_the_same_sentence():
    assert "staff_attitude" in themes_of("The site is user-friendly and the staff friendly", "en")


@pytest.mark.parametrize("language", [None, *LANGUAGES])
def test_the_screen_lets_through_every_pattern_that_matches_an_example(language):
    # tag_themes runs only the patterns its screen lets through; none that matches may be
    # left out, or a theme would be missed.
    rules = ThemeRules.load()
    patterns = rules.patterns(rules.languages_for(language))
    compiled = [re.compile(rf"(?<!\w)(?:{source})(?!\w)") for source in patterns.sources]
    texts = [text for _, text, _ in TAGGED] + [
        "No-one rang back. On time!", "wi-fi\nkept dropping", "NHS  App (log-in)", "",
    ]
    for text in texts:
        joined = "\n".join(fold(sentence) for sentence in sentences(text))
        possible = set(patterns.screen.possible(joined))
        matching = {i for i, pattern in enumerate(compiled) if pattern.search(joined)}
        assert matching <= possible, text


def test_english_patterns_apply_to_a_comment_in_another_language():
    assert themes_of("Nie pamiętam password do NHS app", "pl") >= {"access_login"}


def test_a_comment_tagged_english_gets_only_english_patterns_so_callers_unsure_pass_none():
    assert themes_of("Czekałam trzy tygodnie", "en") == set()
    assert themes_of("Czekałam trzy tygodnie", None) == {"waiting_appointments"}


@pytest.mark.parametrize("language", ["pl-PL", "pl_PL", " PL ", "fr", "", None])
def test_a_regional_unknown_or_missing_language_still_finds_polish_themes(language):
    assert "waiting_appointments" in themes_of("Czekałam trzy tygodnie", language)


@pytest.mark.parametrize(
    ("text", "language", "theme"),
    [
        pytest.param("Latwo sie zalogowalam", "pl", "ease_of_use", id="polish without accents"),
        pytest.param("Am asteptat mult", "ro", "waiting_appointments", id="romanian no accents"),
        pytest.param("Am aşteptat mult", "ro", "waiting_appointments", id="romanian cedilla"),
        pytest.param(
            unicodedata.normalize("NFD", "Czekałam na wizytę"),
            "pl",
            "waiting_appointments",
            id="decomposed accents",
        ),
        pytest.param("THE APP WOULDN'T LOAD", "en", "technical", id="capitals"),
        pytest.param("The app wouldn’t load", "en", "technical", id="curly apostrophe"),
        pytest.param("ڈاكٹر بہت بدتميز تھا", "ur", "staff_attitude", id="arabic keyboard urdu"),
    ],
)
def test_spelling_variants_are_folded_before_matching(text, language, theme):
    assert theme in themes_of(text, language)


@pytest.mark.parametrize("comment", [[], [""], ["  "], ["😀👍"], ["123"]])
def test_empty_or_emoji_only_comments_have_no_themes(comment):
    assert tag_themes(comment) == ()


def test_fold_agrees_with_the_safeguarding_fold():
    text = "Dziękuję, ŁATWO! Mulțumesc, aşa. Rydw i'n hapus ŵ. ي ك ه ـ آپ کی اپائنٹمنٹ ’"
    assert fold(text) == safeguarding.fold(text)[0].lower()


def test_thousands_of_short_comments_are_tagged_in_well_under_a_second():
    comments = [sentences(text) for _, text, _ in TAGGED] * 40
    tag_themes(["warm up"])
    started = time.perf_counter()
    for comment in comments:
        tag_themes(comment)
    assert time.perf_counter() - started < 1.0, len(comments)


# --- the taxonomy and its labels ---


def test_the_taxonomy_lists_every_theme_in_order_and_is_loaded_once():
    assert tuple(theme.key for theme in taxonomy()) == THEME_KEYS
    assert taxonomy() is taxonomy()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_theme_has_a_label_and_description_in_every_locale(locale):
    for theme in taxonomy():
        assert theme.label(locale).strip()
        assert theme.description(locale).strip()
        assert theme.labels[locale] == theme.label(locale)


def test_labels_in_other_languages_are_translations_not_copies_of_english():
    for theme in taxonomy():
        for locale in ("cy", "pl", "ro", "ur"):
            assert theme.descriptions[locale] != theme.descriptions["en"], (theme.key, locale)


@pytest.mark.parametrize(
    ("locale", "label"),
    [
        ("pl", "Dostęp i logowanie"),
        ("cy-GB", "Mynediad a mewngofnodi"),
        ("ro_RO", "Acces și autentificare"),
        ("fr", "Access and log-in"),
        ("", "Access and log-in"),
    ],
)
def test_a_label_is_in_the_chosen_locale_or_falls_back_to_english(locale, label):
    (access,) = [theme for theme in taxonomy() if theme.key == "access_login"]
    assert access.label(locale) == label


def test_a_theme_built_with_only_english_falls_back_to_it():
    theme = Theme("cost", {"en": "Cost"}, {"en": "Paying for data"})
    assert theme.label("ur") == "Cost"
    assert theme.description("cy") == "Paying for data"


# --- the data file ---


def _toml(value, path=()):
    """Write the nested tables of strings and lists the themes file uses; JSON strings are valid
    TOML strings."""
    scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in value.items() if isinstance(v, dict)}
    lines = [f"[{'.'.join(path)}]"] if path and scalars else []
    lines += [f"{key} = {json.dumps(item, ensure_ascii=False)}" for key, item in scalars.items()]
    for key, table in tables.items():
        lines.append(_toml(table, (*path, key)))
    return "\n".join(lines)


def _small_data():
    """A valid file, small enough to load quickly: one pattern per theme and language."""
    return {
        "version": "test-1",
        "languages": list(LANGUAGES),
        "vocabulary": {"en": {"staff": "staff|nurse"}},
        "themes": {
            key: {
                "labels": {lang: f"{key} ({lang})" for lang in LANGUAGES},
                "descriptions": {lang: f"About {key} ({lang})" for lang in LANGUAGES},
                "patterns": {lang: [f"{key}{lang}"] for lang in LANGUAGES},
            }
            for key in THEME_KEYS
        },
    }


def _load(tmp_path, data):
    path = tmp_path / "themes.toml"
    path.write_text(_toml(data), encoding="utf-8")
    return ThemeRules.load(path)


def test_rules_loaded_from_another_file_are_used_when_given(tmp_path):
    data = _small_data()
    data["themes"]["cost"]["patterns"]["en"] = ["{staff}{gap}(pay|paid)", "quid"]
    data["themes"]["cost"]["exclusions"] = {"en": ["quid pro quo"]}
    rules = _load(tmp_path, data)
    assert tag_themes(["The nurse said I must pay"], "en", rules=rules) == (ThemeHit("cost", (0,)),)
    assert tag_themes(["a quid pro quo"], "en", rules=rules) == ()
    assert rules.themes[0].label("pl") == "access_login (pl)"


def _drop_theme(data):
    del data["themes"]["language"]


def _add_theme(data):
    data["themes"]["parking"] = data["themes"]["cost"]


def _drop_welsh_label(data):
    del data["themes"]["cost"]["labels"]["cy"]


def _blank_urdu_description(data):
    data["themes"]["privacy_trust"]["descriptions"]["ur"] = "  "


def _drop_romanian_patterns(data):
    del data["themes"]["technical"]["patterns"]["ro"]


def _empty_polish_patterns(data):
    data["themes"]["ease_of_use"]["patterns"]["pl"] = []


def _bad_regex(data):
    data["themes"]["staff_attitude"]["patterns"]["cy"].append("(anghwrtais")


def _bad_exclusion(data):
    data["themes"]["cost"]["exclusions"] = {"en": ["credit to", "[unclosed"]}


def _unknown_placeholder(data):
    data["themes"]["staff_attitude"]["patterns"]["en"].append("{doctors}{gap}rude")


def _unknown_language(data):
    data["themes"]["cost"]["patterns"]["fr"] = ["cher"]


def _unknown_field(data):
    data["themes"]["cost"]["lables"] = data["themes"]["cost"]["labels"]


def _unknown_top_level_key(data):
    data["verison"] = "2"


def _no_english(data):
    data["languages"] = ["cy", "pl"]


def _placeholder_in_vocabulary(data):
    data["vocabulary"]["en"]["kind"] = "{staff} kind"


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_drop_theme, "missing themes: language"),
        (_add_theme, "unknown themes: parking"),
        (_drop_welsh_label, "themes.cost.labels.cy"),
        (_blank_urdu_description, "themes.privacy_trust.descriptions.ur"),
        (_drop_romanian_patterns, "themes.technical.patterns.ro"),
        (_empty_polish_patterns, "themes.ease_of_use.patterns.pl` has no patterns"),
        (_bad_regex, "themes.staff_attitude.patterns.cy[1]"),
        (_bad_exclusion, "themes.cost.exclusions.en[1]"),
        (_unknown_placeholder, "unknown {doctors}"),
        (_unknown_language, "themes.cost.patterns` has unknown languages: fr"),
        (_unknown_field, "themes.cost` has unknown keys: lables"),
        (_unknown_top_level_key, "unknown top-level keys: verison"),
        (_no_english, "including 'en'"),
        (_placeholder_in_vocabulary, "vocabulary.en.kind"),
    ],
)
def test_an_incomplete_or_invalid_data_file_is_rejected_naming_the_place(
    tmp_path, break_it, message
):
    data = _small_data()
    break_it(data)
    with pytest.raises(ThemeRulesError) as error:
        _load(tmp_path, data)
    assert message in str(error.value)


def test_loading_a_missing_or_malformed_file_is_rejected(tmp_path):
    with pytest.raises(ThemeRulesError, match="cannot read"):
        ThemeRules.load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("version = [", encoding="utf-8")
    with pytest.raises(ThemeRulesError, match="cannot read"):
        ThemeRules.load(broken)


def test_the_shipped_file_has_patterns_for_every_theme_and_language():
    rules = ThemeRules.load(DEFAULT_PATH)
    assert rules.languages == LANGUAGES
    assert rules.version == "themes-1"
    for key in THEME_KEYS:
        for language in LANGUAGES:
            assert len(rules.sources[key][language]) >= 2, (key, language)


def test_the_shipped_file_asks_for_a_native_speakers_review():
    assert "NATIVE SPEAKER REVIEW NEEDED" in DEFAULT_PATH.read_text(encoding="utf-8")
