"""The web survey takes any text and any tampering calmly: never a 500, never a partial save.

Every field of every page of /s/<slug> gets arbitrary Unicode (control characters, NUL, lone
surrogates sent as the bytes a careless client would send, markup), text far over the
5,000-character limit and over the form-size limit, empty values, and made-up or repeated
choice values, sent url-encoded or as multipart. Each answer must be either accepted, and kept
exactly as typed after the documented cleaning (feedback/text.py: newlines unified, control
characters removed, NFC, ends trimmed), or refused with 400 (413 over the size limit) and the
message in the visitor's language; pages that show an accepted text show it as typed; and
nothing reaches the responses until the whole survey is sent, then all of it at once.
"""

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from feedback.forms.survey import error_message
from feedback.models import (
    Answer,
    QuestionKind,
    RespondentRole,
    Response,
    ResponseVersion,
    SurveyDraft,
)
from tests.conftest import parse
from tests.factories import create_survey

SLUG = "video-appointments"
LANGUAGES = ("en", "cy", "pl", "ro", "ur")
ROLES = [role.value for role in RespondentRole]
# Every function-scoped fixture (the database, the survey) is shared by the examples, which
# count rows before and after themselves rather than from zero, and each use a new client.
EXAMPLES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

# Every code point, lone surrogates included; and pieces of text that break forms: markup,
# line ends of every kind, control characters (one before a combining accent, which NFC would
# otherwise join to the letter before), surrogates, bidi controls, and %-escapes.
ANY_CHARACTER = st.characters(exclude_categories=())
SNIPPETS = [
    "<script>window.__pwned=1</script>", "</textarea><b>bold</b>", '"><img src=x onerror=x()>',
    "&lt;", "&amp", "'); DROP TABLE responses;--", "\r\n", "\r", "\n", "\x00", "\x1b[31m",
    "\x85", "\u0301", "e\u0301", "\x07\u0301", "\u212b", "\ud800", "\udfff", "\ufeff",
    "\u202e", "\u2028", "\u3000", "😀", "ڈاکٹر", "%00", "%ED%A0%80", "{{ 7*7 }}", "%(max)s",
]
typed = st.lists(st.one_of(st.text(ANY_CHARACTER, max_size=12), st.sampled_from(SNIPPETS)),
                 max_size=6).map("".join)
# Over the 5,000-character limit, often by little, sometimes before cleaning only.
too_long = st.tuples(st.text(ANY_CHARACTER, min_size=1, max_size=3),
                     st.integers(1_700, 6_000)).map(lambda t: t[0] * t[1])
text_values = st.one_of(st.just(""), typed, typed, too_long)
# Junk fields a tampered form could add beside the real ones.
junk_fields = st.lists(st.tuples(st.sampled_from(["answer[]", "role", "status", "x", ""]),
                                 typed), max_size=2)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def documented_cleaning(text: str) -> str:
    """What feedback/text.py says it does to typed text, written out again independently."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join("?" if unicodedata.category(c) == "Cs" else c for c in text)
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text).strip()


# --- sending forms ---------------------------------------------------------------------------


def _bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")  # a lone surrogate as its (invalid) bytes


def encode_form(fields: list[tuple[str, str]], multipart: bool) -> tuple[bytes, str]:
    """The body and Content-Type a client would send for these fields, in this order."""
    if not multipart:
        body = "&".join(f"{quote(_bytes(k), safe='')}={quote(_bytes(v), safe='')}"
                        for k, v in fields)
        return body.encode("ascii"), "application/x-www-form-urlencoded"
    boundary = "hypothesis" + secrets.token_hex(12)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{quote(k)}"\r\n\r\n'.encode()
        + _bytes(v) + b"\r\n" for k, v in fields
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}")


def as_received(body: bytes, content_type: str, name: str) -> list[str]:
    """The values of a field as the app's request parser reads them from this body."""
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    request = Request(environ)
    request.max_form_memory_size = None  # the limit is the app's to apply, and checked apart
    return request.form.getlist(name)


@dataclass
class Visitor:
    """One person's browser on the survey: their cookies, language and CSRF token."""

    client: object
    lang: str
    token: str = ""

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, fields: list[tuple[str, str]], multipart: bool = False,
             token: str | None = None):
        body, content_type = encode_form(
            [("csrf_token", self.token if token is None else token), *fields], multipart)
        return self.client.post(path, data=body, content_type=content_type)


def start(visitor: Visitor) -> None:
    page = parse(visitor.client.get(f"/s/{SLUG}?lang={visitor.lang}"))
    visitor.token = page.select_one("input[name=csrf_token]")["value"]
    assert visitor.post(f"/s/{SLUG}", []).status_code == 302


# --- the database ----------------------------------------------------------------------------


def row_counts(db) -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Response, ResponseVersion, Answer))


def draft_answers(db, visitor: Visitor) -> dict:
    with visitor.client.session_transaction() as session:
        token = session[f"draft:{SLUG}"]
    db.session.expire_all()
    return dict(db.session.get(SurveyDraft, token).answers)


# --- what each answer should come to ----------------------------------------------------------


def expected_answer(survey_question, received: list[str], max_length: int) -> dict | str:
    """The draft's record of an answer the app reads as `received`, or the error code."""
    question = survey_question.question
    empty = "required" if survey_question.required else {"status": "skipped"}
    if question.kind == QuestionKind.FREE_TEXT:
        text = documented_cleaning(received[0] if received else "")
        if not text:
            return empty
        if len(text) > min(question.max_length or max_length, max_length):
            return "too_long"
        return {"status": "answered", "text": text}
    values = [option["value"] for option in question.options]
    if question.kind != QuestionKind.MULTIPLE_CHOICE:
        choice = received[0] if received else ""
        if not choice:
            return empty
        return {"status": "answered", "choice": choice} if choice in values else "unknown_choice"
    if not received:
        return empty
    if any(choice not in values for choice in received):
        return "unknown_choice"
    exclusive = {o["value"] for o in question.options if o.get("exclusive")}
    if len(received) > 1 and exclusive.intersection(received):
        return "exclusive_choice"
    return {"status": "answered", "choices": [v for v in values if v in received]}


def answer_values(question) -> st.SearchStrategy:
    if question.kind == QuestionKind.FREE_TEXT:
        return st.one_of(st.just([]), text_values.map(lambda text: [text]),
                         st.lists(text_values, min_size=2, max_size=2))
    options = st.sampled_from([option["value"] for option in question.options])
    return st.lists(st.one_of(options, options, typed, st.just("")), max_size=4)


def check_refusal(response, visitor: Visitor, code: str, question, max_length: int) -> None:
    soup = parse(response, 400)
    assert soup.html["lang"] == visitor.lang
    with force_locale(visitor.lang):
        message = error_message(code, question.kind, question.max_length or max_length)
    shown = soup.select_one(".nhsuk-error-message").get_text(" ", strip=True)
    assert shown.endswith(message), (shown, message)


def check_too_large(response, visitor: Visitor) -> None:
    soup = parse(response, 413)
    assert soup.html["lang"] == visitor.lang and soup.h1.get_text(strip=True)


def answer_one(db, app, visitor: Visitor, position: int, survey_question, data) -> None:
    """Post one question page with drawn values; the answer is kept as the model says, or
    refused with nothing kept."""
    question = survey_question.question
    values = data.draw(answer_values(question), label=question.key)
    multipart = data.draw(st.booleans(), label="multipart")
    fields = [("answer", v) for v in values] + data.draw(junk_fields, label="junk")
    oversize = st.sampled_from([False, False, False, True])  # now and then: it is slow
    if question.kind == QuestionKind.FREE_TEXT and data.draw(oversize, label="oversize"):
        # Over the form-size limit for one field of a multipart form (MAX_FORM_MEMORY_SIZE).
        fields = [("answer", "😀" * (app.config["MAX_FORM_MEMORY_SIZE"] // 4 + 1))]
        multipart = True
    body, content_type = encode_form(fields, multipart)
    before, counts = draft_answers(db, visitor), row_counts(db)

    response = visitor.post(f"/s/{SLUG}/questions/{position}", fields, multipart)
    max_length = app.config["FREE_TEXT_MAX_LENGTH"]
    too_large = multipart and any(
        len(_bytes(v)) > app.config["MAX_FORM_MEMORY_SIZE"] for _, v in fields)
    expected = expected_answer(survey_question, as_received(body, content_type, "answer"),
                               max_length)
    if too_large:
        check_too_large(response, visitor)
    elif isinstance(expected, str):
        check_refusal(response, visitor, expected, question, max_length)
    else:
        assert response.status_code == 302, response.status_code
    after = draft_answers(db, visitor)
    key = str(survey_question.question_id)
    if too_large or isinstance(expected, str):
        assert after == before
    else:
        assert after == {**before, key: expected}
    assert row_counts(db) == counts


def choose_role(db, visitor: Visitor, data) -> None:
    values = data.draw(st.lists(st.one_of(st.sampled_from(ROLES), typed), max_size=2),
                       label="role")
    multipart = data.draw(st.booleans(), label="multipart")
    response = visitor.post(f"/s/{SLUG}/who-is-answering", [("role", v) for v in values],
                            multipart)
    body, content_type = encode_form([("role", v) for v in values], multipart)
    received = as_received(body, content_type, "role")
    if received and received[0] in ROLES:
        assert response.status_code == 302
        return
    soup = parse(response, 400)
    assert soup.html["lang"] == visitor.lang and soup.select_one(".nhsuk-error-summary")
    assert visitor.post(f"/s/{SLUG}/who-is-answering", [("role", "patient")]).status_code == 302


def check_texts_shown_as_typed(visitor: Visitor, survey, answers: dict) -> None:
    """The check page, and each text question's page, show each kept text as typed."""
    check = parse(visitor.get(f"/s/{SLUG}/check-your-answers"))
    rows = check.select(".nhsuk-summary-list__row")[1:]  # the first says who is answering
    questions = survey.versions[0].questions
    for position, (row, survey_question) in enumerate(zip(rows, questions, strict=True), 1):
        text = answers.get(str(survey_question.question_id), {}).get("text")
        if text is None:
            continue
        shown = row.select_one(".nhsuk-summary-list__value span[dir=auto]")
        # Whitespace aside: the summary list indents its rows' HTML, and Jinja's indent
        # takes U+2028 and U+2029 for line ends too, so they are shown as a space.
        assert shown.get_text().split() == text.replace("\n", "").split()
        assert len(shown.find_all("br")) == text.count("\n")
        page = parse(visitor.get(f"/s/{SLUG}/questions/{position}"))
        assert page.select_one("textarea#answer").get_text() == text


def send(db, visitor: Visitor, survey, data) -> None:
    """Send the survey (first, sometimes, with a forged CSRF token): all or nothing."""
    counts = row_counts(db)
    answers = draft_answers(db, visitor)
    junk = data.draw(junk_fields, label="junk")
    if data.draw(st.booleans(), label="forged token"):
        forged = data.draw(st.one_of(st.just(""), typed), label="token")
        refused = visitor.post(f"/s/{SLUG}/check-your-answers", junk, token=forged)
        assert parse(refused, 400).html["lang"] == visitor.lang
        assert row_counts(db) == counts and draft_answers(db, visitor) == answers

    response = visitor.post(f"/s/{SLUG}/check-your-answers", junk)
    questions = survey.versions[0].questions
    complete = all(answers.get(str(sq.question_id), {}).get("status") == "answered"
                   for sq in questions if sq.required)
    if not complete:
        assert parse(response, 400).select_one(".nhsuk-error-summary")
        assert row_counts(db) == counts
        return
    assert response.status_code == 302 and response.headers["Location"].endswith("/done")
    assert row_counts(db) == (counts[0] + 1, counts[1] + 1, counts[2] + len(questions))
    stored = db.session.scalars(select(Response).order_by(Response.id.desc())).first()
    kept = {str(a.question_id): a.text for a in stored.current_version.answers}
    assert kept == {key: answers.get(key, {}).get("text") for key in kept}


@pytest.fixture
def survey(db):
    return create_survey()


@EXAMPLES
@given(data=st.data())
def test_every_survey_field_takes_any_input_without_a_500_or_a_partial_save(
    app, db, survey, new_client, caplog, data
):
    caplog.set_level(logging.ERROR)
    logged = len(caplog.records)
    visitor = Visitor(new_client(), data.draw(st.sampled_from(LANGUAGES), label="lang"))
    start(visitor)
    choose_role(db, visitor, data)
    for position, survey_question in enumerate(survey.versions[0].questions, start=1):
        answer_one(db, app, visitor, position, survey_question, data)
    check_texts_shown_as_typed(visitor, survey, draft_answers(db, visitor))
    send(db, visitor, survey, data)
    # Nothing failed quietly either: no 500 logged, and no in-process job (the analysis of
    # the response just sent) raised on what it was given.
    errors = [r.getMessage() for r in caplog.records[logged:] if r.levelno >= logging.ERROR]
    assert not errors
