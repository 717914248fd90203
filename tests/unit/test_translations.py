"""Every shipped language is complete: no missing, fuzzy or broken messages."""

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from feedback.cli import extract_messages
from feedback.config import Config

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = [code for code in Config.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

# Messages that may read the same as the English, each reviewed: names and symbols.
SAME_AS_ENGLISH = {
    "© NHS England",
}


def catalog(language: str):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def msgids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def msgstrs(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.fixture(scope="module")
def extracted_ids(tmp_path_factory) -> set[str]:
    """Every message in the code now, extracted afresh, so a new string cannot slip by."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    extract_messages(pot)
    with pot.open("rb") as f:
        return {msgids(m)[0] for m in read_po(f) if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_every_extracted_message(language, extracted_ids):
    have = {msgids(m)[0] for m in catalog(language) if m.id}
    assert extracted_ids - have == set(), "run: flask translate update, then translate"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_missing_or_fuzzy(language):
    problems = ["the whole catalogue is marked fuzzy"] if catalog(language).fuzzy else []
    for message in catalog(language):
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {msgids(message)[0]}")
        if not all(msgstrs(message)):
            problems.append(f"missing: {msgids(message)[0]}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_english(language):
    problems = []
    for message in catalog(language):
        if not message.id:
            continue
        expected = sorted(PLACEHOLDER.findall(msgids(message)[-1]))
        for translated in msgstrs(message):
            if translated and sorted(PLACEHOLDER.findall(translated)) != expected:
                problems.append(f"{msgids(message)[0]!r} -> {translated!r}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_left_in_english_unless_reviewed(language):
    same = [
        msgids(m)[0] for m in catalog(language)
        if m.id and msgids(m)[0] in msgstrs(m) and msgids(m)[0] not in SAME_AS_ENGLISH
    ]
    assert same == []


def bank_texts():
    with (ROOT / "feedback" / "question_bank.toml").open("rb") as f:
        questions = tomllib.load(f)["questions"]
    for key, question in questions.items():
        for field in ("text", "hint"):
            if field in question:
                yield f"{key}.{field}", question[field]
        for option in question.get("options", []):
            yield f"{key}.{option['value']}", option["label"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_bank_question_is_translated(language):
    problems = []
    for where, texts in bank_texts():
        if not texts.get(language):
            problems.append(f"missing: {where}")
        elif texts[language] == texts["en"]:
            problems.append(f"same as English: {where}")
    assert problems == []
