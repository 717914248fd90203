"""The SMS survey conversation as a pure function: one inbound text in, one step out.

Nothing here touches the database or sends anything. The caller loads the conversation's
state and questions, calls :func:`step`, stores the new state and sends the messages named
in the result, rendered in the state's language.
"""

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

KEYWORDS_FILE = Path(__file__).with_name("keywords.toml")
MAX_REPROMPTS = 2  # then the question is recorded as unreadable and the survey moves on

FREE_TEXT = "free_text"
MULTIPLE_CHOICE = "multiple_choice"
YES_NO = "yes_no"

_SEPARATORS = re.compile(r"[\s,;/&+.]+")


def normalise(text: str) -> str:
    """Fold case, accents, digits of any script and outer punctuation, for matching words."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    decomposed = unicodedata.normalize("NFD", text.casefold())
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text)
    return text.strip(" \t\n.,!?;:'\"()[]-–—۔؟،")


@dataclass(frozen=True)
class Keywords:
    """The reviewed keyword lists (keywords.toml), normalised for matching."""

    words: Mapping[str, Mapping[str, frozenset[str]]]

    @classmethod
    def load(cls, path: Path = KEYWORDS_FILE) -> "Keywords":
        with path.open("rb") as f:
            data = tomllib.load(f)
        return cls({
            group: {lang: frozenset(normalise(w) for w in words) for lang, words in by_lang.items()}
            for group, by_lang in data.items()
        })

    def matches(self, group: str, text: str, locale: str) -> bool:
        """English words always count; the conversation's language's words count too."""
        word = normalise(text)
        by_lang = self.words.get(group, {})
        return word in by_lang.get("en", frozenset()) or word in by_lang.get(locale, frozenset())

    def language_named(self, text: str) -> str | None:
        word = normalise(text)
        for language, words in self.words.get("language", {}).items():
            if word in words:
                return language
        return None


@dataclass(frozen=True)
class Option:
    value: str
    labels: Mapping[str, str]  # {locale: label}
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: int
    kind: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class State:
    locale: str
    position: int = 0  # index of the question awaiting an answer; len(questions) when done
    reprompts: int = 0  # unreadable replies to the current question so far
    answers: Mapping[str, dict] = field(default_factory=dict)  # {str(question id): answer}


@dataclass(frozen=True)
class Message:
    """A message to send, by kind; the caller renders its text in the conversation language."""

    kind: str  # question, reprompt, thanks, help, stopped, opted_in, media_only
    question: int | None = None  # index into the questions, for question and reprompt


@dataclass(frozen=True)
class Step:
    state: State
    messages: tuple[Message, ...] = ()
    finished: bool = False  # every question has an answer: submit the response
    stopped: bool = False  # the texter opted out: stop, and honour it for every later send
    opted_in: bool = False  # the texter opted back in


def parse_answer(question: Question, text: str, locale: str, keywords: Keywords) -> dict | None:
    """The answer a text gives to a question, as responses.submit takes it, or None."""
    if question.kind == FREE_TEXT:
        text = (text or "").strip()
        return {"text": text} if text else None
    word = normalise(text)
    if not word:
        return None
    if question.kind == MULTIPLE_CHOICE:
        return _parse_choices(question, word, locale)
    chosen = _option_by_number(question, word) or _option_by_label(question, word, locale)
    if chosen is None and question.kind == YES_NO:
        for value in ("yes", "no"):
            if keywords.matches(value, word, locale) and value in _values(question):
                chosen = value
    return {"choice": chosen} if chosen else None


def _values(question: Question) -> list[str]:
    return [o.value for o in question.options]


def _option_by_number(question: Question, word: str) -> str | None:
    if word.isdigit() and 1 <= int(word) <= len(question.options):
        return question.options[int(word) - 1].value
    return None


def _option_by_label(question: Question, word: str, locale: str) -> str | None:
    for option in question.options:
        labels = {normalise(option.labels.get(locale, "")), normalise(option.labels.get("en", ""))}
        if word in labels - {""}:
            return option.value
    return None


def _parse_choices(question: Question, word: str, locale: str) -> dict | None:
    parts = [p for p in _SEPARATORS.split(word) if p]
    if parts and all(p.isdigit() for p in parts):
        numbers = sorted({int(p) for p in parts})
        if not all(1 <= n <= len(question.options) for n in numbers):
            return None
        chosen = [question.options[n - 1] for n in numbers]
    else:
        value = _option_by_label(question, word, locale)
        chosen = [o for o in question.options if o.value == value]
    if not chosen or (len(chosen) > 1 and any(o.exclusive for o in chosen)):
        return None
    return {"choices": [o.value for o in chosen]}


def _advance(state: State, questions: tuple[Question, ...], answer: dict) -> Step:
    question = questions[state.position]
    answers = {**state.answers, str(question.id): answer}
    state = replace(state, position=state.position + 1, reprompts=0, answers=answers)
    if state.position >= len(questions):
        return Step(state, (Message("thanks"),), finished=True)
    return Step(state, (Message("question", state.position),))


def step(state: State, text: str, questions: tuple[Question, ...], keywords: Keywords, *,
         opted_out: bool = False, num_media: int = 0) -> Step:
    """What one inbound text does to a conversation. STOP and HELP win over everything."""
    if keywords.matches("stop", text, state.locale):
        return Step(state, (Message("stopped"),), stopped=True)
    if keywords.matches("help", text, state.locale):
        return Step(state, (Message("help"),))
    if opted_out and keywords.matches("start", text, state.locale):
        return Step(state, (Message("opted_in"), Message("question", state.position)),
                    opted_in=True)
    if state.position >= len(questions):
        return Step(state)
    language = keywords.language_named(text)
    if language:
        state = replace(state, locale=language, reprompts=0)
        return Step(state, (Message("question", state.position),))
    if keywords.matches("skip", text, state.locale):
        return _advance(state, questions, {"status": "skipped"})
    answer = parse_answer(questions[state.position], text, state.locale, keywords)
    if answer is not None:
        return _advance(state, questions, answer)
    if state.reprompts < MAX_REPROMPTS:
        kind = "media_only" if num_media and not (text or "").strip() else "reprompt"
        state = replace(state, reprompts=state.reprompts + 1)
        return Step(state, (Message(kind, state.position),))
    return _advance(state, questions, {"status": "unreadable"})
