"""Tests for the exclusion-risk model, its weights file, and their agreement with bank and doc."""

import copy
import itertools
import tomllib
from pathlib import Path

import pytest

from feedback.analysis.exclusion import (
    CHANNELS,
    DEFAULT_PATH,
    DOMAINS,
    LEVELS,
    UNKNOWN,
    ExclusionWeightsError,
    Reason,
    assess,
    default_weights,
    load_weights,
    reason_text,
    weights_from_dict,
)

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "feedback" / "question_bank.toml"
DOC = ROOT / "docs" / "exclusion-risk.md"

FOUNDATION_TASKS = [
    "turn_on_and_log_in", "use_controls", "use_settings", "open_apps",
    "connect_wifi", "use_websites", "keep_passwords_secure", "change_password",
]

# Someone with no sign of exclusion in any domain: every answer is the least risky one.
CLEAR = {
    "home_internet": "broadband",
    "own_device": ["smartphone", "computer"],
    "data_cost": "no",
    "needs_help_online": "never",
    "foundation_skills": FOUNDATION_TASKS,
    "accessibility_needs": ["none"],
    "trust_online": "very",
    "english_confidence": "very_well",
}


def answers(**changes):
    return {**CLEAR, **changes}


def codes(risk):
    return [reason.code for reason in risk.reasons]


def raw_weights():
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_clear_answers_on_the_web_are_low_with_no_reasons():
    risk = assess(CLEAR, channel="web")
    assert risk.level == "low"
    assert risk.score == 0.0
    assert risk.reasons == ()
    assert dict(risk.domain_scores) == dict.fromkeys(DOMAINS, 0.0)
    assert risk.evidence == len(CLEAR)


@pytest.mark.parametrize(
    ("question", "value", "expected_codes", "domain", "domain_score"),
    [
        ("home_internet", "no", ["access.no_home_internet"], "access", 3.0),
        ("home_internet", "mobile_data_only", ["access.mobile_data_only"], "access", 1.0),
        ("own_device", ["none"], ["access.no_device"], "access", 4.0),
        ("own_device", ["basic_phone"], ["access.basic_phone_only"], "access", 3.0),
        ("data_cost", "yes", ["access.data_cost"], "access", 1.5),
        ("accessibility_needs", ["sight"], ["accessibility.sight"], "accessibility", 1.0),
        ("accessibility_needs", ["bsl", "easy_read"],
         ["accessibility.easy_read", "accessibility.bsl"], "accessibility", 2.0),
        ("needs_help_online", "always", ["skills.always_needs_help"], "skills", 3.0),
        ("needs_help_online", "do_not_use", ["skills.does_not_use_online"], "skills", 3.0),
        ("needs_help_online", "sometimes", ["skills.sometimes_needs_help"], "skills", 1.0),
        ("trust_online", "not_at_all", ["trust.not_at_all_comfortable"], "trust", 3.0),
        ("trust_online", "not_very", ["trust.not_very_comfortable"], "trust", 1.5),
        ("trust_online", "fairly", [], "trust", 0.0),
        ("english_confidence", "not_at_all", ["language.english_not_at_all"], "language", 3.0),
        ("english_confidence", "not_well", ["language.english_not_well"], "language", 2.0),
        ("english_confidence", "well", [], "language", 0.0),
    ],
)
def test_each_domain_rule_scores_its_answer(question, value, expected_codes, domain, domain_score):
    risk = assess(answers(**{question: value}), channel="web")
    assert codes(risk) == expected_codes
    assert risk.domain_scores[domain] == domain_score
    assert risk.score == domain_score
    assert all(reason.domain == domain for reason in risk.reasons)


def test_domain_score_is_capped_but_each_reason_keeps_its_own_points():
    risk = assess(answers(home_internet="no", own_device=["none"], data_cost="yes"), channel="web")
    assert risk.domain_scores["access"] == 4.0
    assert [(r.code, r.points) for r in risk.reasons] == [
        ("access.no_device", 4.0), ("access.no_home_internet", 3.0), ("access.data_cost", 1.5),
    ]
    assert risk.score == 4.0


def test_a_long_list_of_accessibility_needs_is_capped_like_any_other_domain():
    needs = ["sight", "hearing", "dexterity", "memory", "easy_read", "bsl", "large_print"]
    risk = assess(answers(accessibility_needs=needs), channel="web")
    assert len(risk.reasons) == 7
    assert risk.domain_scores["accessibility"] == default_weights().domains["accessibility"].cap


def test_every_domain_has_the_same_cap_so_they_weigh_equally():
    assert len({default_weights().domains[name].cap for name in DOMAINS}) == 1


@pytest.mark.parametrize(
    ("changes", "channel", "score", "level"),
    [
        ({"data_cost": "yes"}, "web", 1.5, "low"),
        ({"data_cost": "yes"}, "sms", 2.0, "medium"),  # exactly medium
        ({"english_confidence": "not_well"}, "web", 2.0, "medium"),
        ({"home_internet": "mobile_data_only", "needs_help_online": "sometimes"}, "web", 2.0,
         "medium"),
        ({"home_internet": "no"}, "sms", 3.5, "medium"),  # just below high
        ({"home_internet": "no"}, "paper", 4.0, "high"),  # exactly high
        ({"own_device": ["none"]}, "web", 4.0, "high"),
        ({"foundation_skills": ["none"]}, "web", 4.0, "high"),
        ({"home_internet": "no", "trust_online": "not_at_all"}, "web", 6.0, "high"),
    ],
)
def test_thresholds_place_scores_at_the_boundaries(changes, channel, score, level):
    risk = assess(answers(**changes), channel=channel)
    assert (risk.score, risk.level) == (score, level)


def test_levels_are_the_documented_ones():
    assert LEVELS == ("low", "medium", "high")
    assert UNKNOWN not in LEVELS


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"home_internet": "broadband", "trust_online": "very"},  # two answers
        {"home_internet": "no", "own_device": ["none"]},  # high score, still too little
        # three answers but all in one domain
        {"home_internet": "broadband", "own_device": ["smartphone"], "data_cost": "no"},
    ],
)
def test_too_little_evidence_is_unknown_not_low(given):
    risk = assess(given, channel="web")
    assert risk.level == UNKNOWN


def test_unknown_still_carries_the_score_and_reasons_it_found():
    risk = assess({"home_internet": "no", "own_device": ["none"]}, channel="web")
    assert risk.level == UNKNOWN
    assert risk.score == 4.0
    assert codes(risk) == ["access.no_device", "access.no_home_internet"]


def test_three_answers_in_two_domains_are_enough_to_say_low():
    given = {"home_internet": "broadband", "own_device": ["smartphone"], "trust_online": "very"}
    assert assess(given, channel="web").level == "low"


def test_prefer_not_to_say_and_dont_know_are_neither_points_nor_evidence():
    given = {
        "home_internet": "broadband",
        "accessibility_needs": ["prefer_not_to_say"],
        "trust_online": "dont_know",
        "age_band": "prefer_not_to_say",
        "disability": "prefer_not_to_say",
        "english_confidence": None,
        "data_cost": "",
    }
    risk = assess(given, channel="web")
    assert risk.evidence == 1
    assert risk.level == UNKNOWN
    assert risk.reasons == ()


def test_prefer_not_to_say_beside_a_real_choice_keeps_the_real_choice():
    risk = assess(answers(accessibility_needs=["sight", "prefer_not_to_say"]), channel="web")
    assert codes(risk) == ["accessibility.sight"]


def test_questions_outside_the_model_are_ignored():
    risk = assess(answers(preferred_appointment="face_to_face", fft_rating="poor"), channel="web")
    assert risk.reasons == ()
    assert risk.evidence == len(CLEAR)


@pytest.mark.parametrize(
    ("channel", "helped", "age", "condition"),
    list(itertools.product(CHANNELS, [None, True, False], ["75_plus", "65_74", "45_54"],
                           ["yes", "no"])),
)
def test_channel_help_and_group_alone_never_make_anyone_high(channel, helped, age, condition):
    given = answers(who_helped="volunteer", age_band=age, disability=condition)
    risk = assess(given, channel=channel, helped=helped)
    assert risk.level == "low"
    assert risk.score == risk.signal_score <= default_weights().signal_cap


def test_signals_tip_a_borderline_person_up_a_level():
    given = answers(home_internet="mobile_data_only")
    assert assess(given, channel="web").level == "low"
    assert assess(given, channel="paper").level == "medium"


@pytest.mark.parametrize(
    ("channel", "code"),
    [("web", None), ("sms", "signals.channel_sms"), ("paper", "signals.channel_paper"),
     ("assisted", "signals.channel_assisted")],
)
def test_each_channel_other_than_web_is_a_signal(channel, code):
    risk = assess(CLEAR, channel=channel, helped=False)
    channel_codes = [c for c in codes(risk) if c.startswith("signals.channel_")]
    assert channel_codes == ([code] if code else [])


@pytest.mark.parametrize(
    ("who_helped", "channel", "helped", "expected"),
    [
        (None, "web", None, False),
        ("no_one", "web", None, False),
        ("family_or_friend", "web", None, True),
        ("volunteer", "paper", None, True),
        ("no_one", "web", True, True),  # the caller knows better than the answer
        ("carer", "web", False, False),
        (None, "assisted", None, True),  # a volunteer keyed it in with them
        ("no_one", "assisted", False, True),
    ],
)
def test_helped_comes_from_the_argument_the_answer_or_an_assisted_channel(
    who_helped, channel, helped, expected
):
    risk = assess(answers(who_helped=who_helped), channel=channel, helped=helped)
    assert ("signals.helped" in codes(risk)) is expected


def test_higher_risk_groups_are_signals_not_evidence():
    risk = assess({"age_band": "75_plus", "disability": "yes"}, channel="web")
    assert risk.evidence == 0
    assert risk.level == UNKNOWN
    assert set(codes(risk)) == {"signals.age_75_plus", "signals.long_term_condition"}
    assert all(reason.domain == "signals" for reason in risk.reasons)


@pytest.mark.parametrize(
    ("own_device", "expected"),
    [
        (["basic_phone"], ["access.basic_phone_only"]),
        (["basic_phone", "smartphone"], []),
        (["basic_phone", "tablet"], []),
        (["tablet"], []),
        (["none"], ["access.no_device"]),
        ("none", ["access.no_device"]),  # a lone string is one choice
        (("computer",), []),
        (frozenset({"basic_phone"}), ["access.basic_phone_only"]),
    ],
)
def test_multiple_choice_answers_match_on_the_whole_set_chosen(own_device, expected):
    assert codes(assess(answers(own_device=own_device), channel="web")) == expected


@pytest.mark.parametrize(
    ("chosen", "expected", "score"),
    [
        (FOUNDATION_TASKS, [], 0.0),
        (FOUNDATION_TASKS[:-1], ["skills.below_foundation_level"], 2.0),  # missing one
        (FOUNDATION_TASKS[:1], ["skills.below_foundation_level"], 2.0),
        (["none"], ["skills.no_foundation_tasks"], 4.0),  # not also "below foundation"
    ],
)
def test_foundation_level_needs_all_eight_tasks_and_none_scores_once(chosen, expected, score):
    risk = assess(answers(foundation_skills=chosen), channel="web")
    assert codes(risk) == expected
    assert risk.domain_scores["skills"] == score


def test_foundation_skills_left_blank_is_not_evidence_of_missing_skills():
    risk = assess(answers(foundation_skills=[]), channel="web")
    assert risk.reasons == ()
    assert risk.evidence == len(CLEAR) - 1


def test_reasons_are_sorted_by_points_then_in_file_order():
    given = answers(
        home_internet="mobile_data_only", data_cost="yes", accessibility_needs=["hearing", "sight"],
        needs_help_online="always", trust_online="not_very", english_confidence="not_well",
    )
    risk = assess(given, channel="paper", helped=True)
    assert [(r.code, r.points) for r in risk.reasons] == [
        ("skills.always_needs_help", 3.0),
        ("language.english_not_well", 2.0),
        ("access.data_cost", 1.5),
        ("trust.not_very_comfortable", 1.5),
        ("access.mobile_data_only", 1.0),
        ("accessibility.sight", 1.0),
        ("accessibility.hearing", 1.0),
        ("signals.channel_paper", 1.0),
        ("signals.helped", 1.0),
    ]


def test_result_records_the_weights_version():
    version = default_weights().version
    assert version
    assert assess(CLEAR, channel="web").version == version


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        assess(CLEAR, channel="fax")


def test_an_answer_that_is_not_text_is_refused():
    with pytest.raises(TypeError, match="own_device"):
        assess(answers(own_device=[1]), channel="web")


# --- Reason texts -------------------------------------------------------------------------


@pytest.mark.parametrize("code", default_weights().codes)
def test_every_reason_has_a_distinct_text_in_every_shipped_locale(code):
    english = reason_text(code, "en")
    for locale in default_weights().locales:
        text = reason_text(code, locale)
        assert text.strip()
        if locale != "en":
            assert text != english, f"{code} in {locale} is still English"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "No internet at home"),
        ("cy", "Dim rhyngrwyd gartref"),
        ("pl", "Brak internetu w domu"),
        ("pl-PL", "Brak internetu w domu"),
        ("ro_RO", "Fără internet acasă"),
        ("ur", "گھر پر انٹرنیٹ نہیں"),
        ("fr", "No internet at home"),  # English fallback
        ("", "No internet at home"),
    ],
)
def test_reason_text_uses_the_locale_and_falls_back_to_english(locale, expected):
    assert Reason("access.no_home_internet", "access", 3.0).text(locale) == expected


def test_reason_text_of_an_unknown_code_is_an_error():
    with pytest.raises(KeyError, match="access.teleportation"):
        reason_text("access.teleportation", "en")


# --- The weights file: validation --------------------------------------------------------


def test_default_weights_are_loaded_once():
    assert default_weights() is default_weights()


def test_the_shipped_weights_keep_signals_below_medium():
    weights = default_weights()
    assert weights.signal_cap < weights.medium < weights.high


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('version = "exclusion-1"', 'version = ""', "`version` must be a non-empty string"),
        ("minimum_answers = 3", "minimum_answers = 0", "`evidence.minimum_answers`"),
        ("high = 4.0", "high = 2.0", "`thresholds.high` (2.0) must be above"),
        ("[signals]\ncap = 1.5", "[signals]\ncap = 4.0", "`signals.cap` (4.0) must be below"),
        ("points = 3.0", "points = 0", "`domains.access.rules[0].points` must be greater"),
        ("points = 0.5\n", "points = -0.5\n", "`signals.channels.sms.points` must not be neg"),
        ("points = 3.0", "points = true", "`domains.access.rules[0].points` must be a number"),
        ('any_of = ["no"]', 'any_off = ["no"]', "`domains.access.rules[0]` has unknown keys"),
        ('question = "home_internet"\nany_of', 'question = "trust_online"\nany_of',
         "'trust_online' is not in this domain's `questions`"),
        ('code = "access.no_home_internet"', 'code = "skills.no_home_internet"',
         "`domains.access.rules[0].code` must start with 'access.'"),
        ('code = "access.mobile_data_only"', 'code = "access.no_home_internet"',
         "repeated: ['access.no_home_internet']"),
        ("[domains.language]", "[domains.languages]", "`domains` must be exactly"),
        ("[signals.channels.sms]", "[signals.channels.text]", "`signals.channels` must be"),
        ('cy = "Dim rhyngrwyd gartref"\n', "",
         '`reasons."access.no_home_internet".cy` must be a non-empty string'),
        ('[reasons."access.data_cost"]', '[reasons."access.data_costs"]',
         "has no text for access.data_cost"),
        ('locales = ["en", ', 'locales = [', "`locales` must include 'en'"),
        ('questions = ["trust_online"]', 'questions = ["trust_online", "home_internet"]',
         "repeats 'home_internet' from domains.access"),
    ],
)
def test_a_bad_weights_file_is_refused_naming_the_place(tmp_path, old, new, message):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text, "the test's anchor is no longer in the weights file"
    path = tmp_path / "weights.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ExclusionWeightsError) as raised:
        load_weights(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_a_missing_weights_file_is_refused(tmp_path):
    with pytest.raises(ExclusionWeightsError, match="cannot read"):
        load_weights(tmp_path / "absent.toml")


def test_a_weights_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "weights.toml"
    path.write_text("version = \n", encoding="utf-8")
    with pytest.raises(ExclusionWeightsError, match="cannot read"):
        load_weights(path)


def test_a_text_for_a_code_no_rule_gives_is_refused():
    data = raw_weights()
    data["reasons"]["access.stale"] = copy.deepcopy(data["reasons"]["access.data_cost"])
    with pytest.raises(ExclusionWeightsError, match="codes no rule gives: access.stale"):
        weights_from_dict(data)


def test_a_rule_without_any_condition_is_refused():
    data = raw_weights()
    del data["domains"]["trust"]["rules"][0]["any_of"]
    with pytest.raises(ExclusionWeightsError, match=r"`domains.trust.rules\[0\]` needs at least"):
        weights_from_dict(data)


def test_custom_weights_change_the_result():
    data = raw_weights()
    data["thresholds"]["medium"] = 1.0
    data["version"] = "exclusion-test"
    weights = weights_from_dict(data)
    risk = assess(answers(home_internet="mobile_data_only"), channel="web", weights=weights)
    assert (risk.level, risk.version) == ("medium", "exclusion-test")


# --- Consistency with the question bank and the doc ---------------------------------------


def bank_questions():
    return tomllib.loads(BANK.read_text(encoding="utf-8"))["questions"]


def rule_values(rule):
    return rule.any_of | rule.none_of | rule.not_all_of


def test_every_question_and_value_in_the_weights_exists_in_the_bank():
    bank = bank_questions()
    weights = default_weights()
    named = [(rule.question, rule_values(rule)) for rule in
             [r for d in weights.domains.values() for r in d.rules] + list(weights.signal_rules)]
    named.append((weights.help.question, weights.help.not_helped))
    named += [(q, frozenset()) for d in weights.domains.values() for q in d.questions]
    for question, values in named:
        assert question in bank, f"{question} is not in the question bank"
        options = {option["value"] for option in bank[question]["options"]}
        assert values <= options, f"{question}: {sorted(values - options)} are not options"


def test_each_domain_lists_exactly_the_bank_questions_of_that_domain():
    bank = bank_questions()
    for name, domain in default_weights().domains.items():
        in_bank = {key for key, q in bank.items()
                   if q["module"] == "inclusion" and q.get("domain") == name}
        assert set(domain.questions) == in_bank, name


def test_foundation_rule_names_all_eight_tasks_in_the_bank():
    options = {o["value"] for o in bank_questions()["foundation_skills"]["options"]}
    assert options - {"none"} == set(FOUNDATION_TASKS)
    below = next(r for r in default_weights().domains["skills"].rules
                 if r.code == "skills.below_foundation_level")
    assert below.not_all_of == set(FOUNDATION_TASKS)


def test_ignored_values_are_real_options_in_the_bank():
    values = {o["value"] for q in bank_questions().values() for o in q.get("options", [])}
    assert default_weights().ignored_values <= values


def test_the_doc_names_every_reason_code_and_the_current_version():
    doc = DOC.read_text(encoding="utf-8")
    weights = default_weights()
    missing = [code for code in weights.codes if f"`{code}`" not in doc]
    assert not missing, f"docs/exclusion-risk.md does not mention {missing}"
    assert f"`{weights.version}`" in doc
