"""The public web survey, end to end through the Flask test client."""

import pytest
from sqlalchemy import func, select

from feedback.models import Answer, Response, SurveyDraft
from tests.conftest import parse
from tests.factories import create_service, create_survey, question_ids

SLUG = "video-appointments"


def csrf_from(response) -> str:
    return parse(response).select_one("input[name=csrf_token]")["value"]


def post_form(client, url, data=None, status=302, **kwargs):
    """GET the page for its CSRF token, then POST the form."""
    token = csrf_from(client.get(url, **kwargs))
    response = client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:1500]
    return response


def start(client, role="patient", **kwargs):
    post_form(client, f"/s/{SLUG}", **kwargs)
    post_form(client, f"/s/{SLUG}/who-is-answering", {"role": role}, **kwargs)


def answer_all(client, answers: list[dict], **kwargs):
    for position, data in enumerate(answers, start=1):
        post_form(client, f"/s/{SLUG}/questions/{position}", data, **kwargs)


FULL_ANSWERS = [
    {"answer": "good"},
    {"answer": "The nurse was <b>kind</b>"},
    {"answer": ""},
    {"answer": ["smartphone", "tablet"]},
    {"answer": "65_74"},
]


def count_responses(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


@pytest.fixture
def survey(db):
    return create_survey()


def test_home_page_lists_open_surveys_when_a_survey_is_open(client, survey, page):
    closed_service = create_service(slug="old-portal", name="Old portal")
    create_survey(service=closed_service, closes_at=survey.opens_at)
    soup = page(client.get("/"))
    links = [a["href"] for a in soup.select(".nhsuk-card__link")]
    assert links == [f"/s/{SLUG}"]


def test_whole_survey_stores_one_response_with_its_answers_when_completed(client, db, survey):
    start(client, role="carer")
    answer_all(client, FULL_ANSWERS)
    check_page = parse(client.get(f"/s/{SLUG}/check-your-answers"))
    assert "The nurse was <b>kind</b>" in check_page.get_text()
    assert check_page.select_one("b") is None  # typed HTML is shown, never rendered
    post_form(client, f"/s/{SLUG}/check-your-answers")

    response = db.session.scalars(select(Response)).one()
    assert (response.channel, response.respondent_role, response.locale) == ("web", "carer", "en")
    by_key = {a.question.key: a for a in response.current_version.answers}
    assert by_key["fft_rating"].choice == "good"
    assert by_key["fft_what_was_good"].text == "The nurse was <b>kind</b>"
    assert by_key["fft_what_could_improve"].status == "skipped"
    assert by_key["own_device"].choices == ["smartphone", "tablet"]
    assert by_key["age_band"].choice == "65_74"
    assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
    done = parse(client.get(f"/s/{SLUG}/done"))
    assert "999" in done.get_text() and "116 123" in done.get_text()


def test_resubmitting_creates_one_response_when_send_is_pressed_twice(client, db, survey):
    start(client)
    answer_all(client, FULL_ANSWERS)
    token = csrf_from(client.get(f"/s/{SLUG}/check-your-answers"))
    first = client.post(f"/s/{SLUG}/check-your-answers", data={"csrf_token": token})
    second = client.post(f"/s/{SLUG}/check-your-answers", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith(f"/s/{SLUG}/done")
    # The back button then an answer re-posted: still one response, and sent to "done".
    again = client.post(f"/s/{SLUG}/questions/1", data={"csrf_token": token, "answer": "poor"})
    assert again.headers["Location"].endswith(f"/s/{SLUG}/done")
    assert count_responses(db) == 1


def test_refreshing_the_confirmation_page_stores_nothing_more(client, db, survey):
    start(client)
    answer_all(client, FULL_ANSWERS)
    post_form(client, f"/s/{SLUG}/check-your-answers")
    for _ in range(3):
        assert client.get(f"/s/{SLUG}/done").status_code == 200
    assert count_responses(db) == 1


def test_starting_again_after_sending_makes_a_second_response(client, db, survey):
    for _ in range(2):
        start(client)
        answer_all(client, FULL_ANSWERS)
        post_form(client, f"/s/{SLUG}/check-your-answers")
    assert count_responses(db) == 2


def test_required_fft_question_shows_a_linked_error_when_left_unanswered(client, survey, db):
    start(client)
    response = post_form(client, f"/s/{SLUG}/questions/1", {}, status=400)
    soup = parse(response, 400)
    summary_link = soup.select_one(".nhsuk-error-summary a")
    assert summary_link["href"] == "#answer"
    assert soup.select_one("#answer")  # the link target exists
    assert "Select how your experience was" in soup.select_one(".nhsuk-error-message").text
    assert soup.title.text.startswith("Error:")


@pytest.mark.parametrize(
    ("position", "data", "message"),
    [
        (1, {"answer": "excellent"}, "Select one of the answers shown"),
        (4, {"answer": ["smartphone", "warp-drive"]}, "Select one of the answers shown"),
        (4, {"answer": ["smartphone", "none"]}, "cannot select that answer together"),
        (2, {"answer": "x" * 5001}, "5,000 characters or fewer"),
    ],
)
def test_answer_is_refused_with_a_clear_error_when_tampered_or_too_long(
    client, db, survey, position, data, message
):
    start(client)
    if position > 1:
        answer_all(client, FULL_ANSWERS[: position - 1])
    soup = parse(post_form(client, f"/s/{SLUG}/questions/{position}", data, status=400), 400)
    assert message in soup.select_one(".nhsuk-error-message").text
    draft = db.session.scalars(select(SurveyDraft)).one()
    assert str(question_ids(survey)[list(question_ids(survey))[position - 1]]) not in draft.answers


def test_text_at_the_limit_is_accepted_and_control_characters_dropped(client, db, survey):
    start(client)
    answer_all(client, [{"answer": "very_good"}, {"answer": "a\x00b" + "c" * 4998}])
    draft = db.session.scalars(select(SurveyDraft)).one()
    text = draft.answers[str(question_ids(survey)["fft_what_was_good"])]["text"]
    assert text == "ab" + "c" * 4998


def test_unknown_role_is_refused_when_tampered(client, survey, db):
    post_form(client, f"/s/{SLUG}")
    soup = parse(
        post_form(client, f"/s/{SLUG}/who-is-answering", {"role": "admin"}, status=400), 400
    )
    assert "Select who you are answering as" in soup.select_one(".nhsuk-error-summary").text


def test_post_without_csrf_token_is_refused_with_a_translated_page(client, survey):
    response = client.post(f"/s/{SLUG}", data={}, headers={"Accept-Language": "cy"})
    soup = parse(response, 400)
    assert soup.html["lang"] == "cy"
    assert soup.h1.text.strip() != "Sorry, your session has expired"  # it is in Welsh


def test_questions_redirect_to_start_when_there_is_no_survey_in_progress(client, survey):
    response = client.get(f"/s/{SLUG}/questions/1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/s/{SLUG}")


def test_check_page_lists_a_required_answer_missing_when_questions_were_skipped(
    client, db, survey
):
    start(client)
    # Jump straight to the end, as a tampered or bookmarked URL would.
    soup = parse(post_form(client, f"/s/{SLUG}/check-your-answers", status=400), 400)
    assert "Overall, how was your experience" in soup.select_one(".nhsuk-error-summary").text
    assert count_responses(db) == 0


@pytest.mark.parametrize("path", ["/s/no-such-service", "/s/no-such-service/questions/1",
                                  "/nowhere", "/s/video-appointments/questions/99"])
def test_unknown_pages_get_a_translated_404_when_they_do_not_exist(client, survey, path, page):
    soup = page(client.get(path + "?lang=pl"), 404)
    assert soup.html["lang"] == "pl"


def test_wrong_method_gets_405_with_allow_header(client, survey):
    response = client.put(f"/s/{SLUG}")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert client.delete("/").status_code == 405


def test_closed_survey_says_so_with_410(client, db, page):
    service = create_service()
    create_survey(service=service, closes_at=service.created_at)
    soup = page(client.get(f"/s/{SLUG}"), 410)
    assert "closed" in soup.h1.text


def test_oversized_request_body_is_refused_with_413(client, survey, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post(f"/s/{SLUG}", data={"csrf_token": "x", "big": "y" * 5000})
    assert response.status_code == 413


@pytest.mark.parametrize("language", ["en", "cy", "pl", "ro", "ur"])
def test_response_records_the_language_it_was_answered_in(client, db, survey, language):
    start(client, query_string={"lang": language})
    answer_all(client, FULL_ANSWERS, query_string={"lang": language})
    post_form(client, f"/s/{SLUG}/check-your-answers", query_string={"lang": language})
    assert db.session.scalars(select(Response)).one().locale == language


def test_language_comes_from_accept_language_when_none_was_chosen(client, survey, page):
    soup = page(client.get(f"/s/{SLUG}", headers={"Accept-Language": "ro-RO,ro;q=0.9,en;q=0.5"}))
    assert soup.html["lang"] == "ro"


def test_language_chosen_with_lang_is_remembered_across_pages(client, survey, page):
    page(client.get("/?lang=ur"))
    soup = page(client.get(f"/s/{SLUG}"))
    assert (soup.html["lang"], soup.html["dir"]) == ("ur", "rtl")
    assert soup.select_one("link[rel=stylesheet]")["href"].endswith("app-rtl.css")


def test_every_page_has_a_language_switcher_that_keeps_the_page(client, survey, page):
    soup = page(client.get(f"/s/{SLUG}?lang=cy"))
    links = {a["hreflang"]: a["href"] for a in soup.select("nav a[hreflang]")}
    assert links["ur"] == f"/s/{SLUG}?lang=ur"
    assert set(links) == {"en", "pl", "ro", "ur"}


def test_question_text_is_shown_in_the_chosen_language(client, db, survey, page):
    start(client, query_string={"lang": "cy"})
    soup = page(client.get(f"/s/{SLUG}/questions/1"))
    legend = soup.select_one("legend").text
    assert "Overall, how was your experience" not in legend


def test_no_client_address_is_stored_with_a_response(client, db, survey):
    address = "203.0.113.77"
    start(client, environ_base={"REMOTE_ADDR": address})
    answer_all(client, FULL_ANSWERS, environ_base={"REMOTE_ADDR": address})
    post_form(client, f"/s/{SLUG}/check-your-answers", environ_base={"REMOTE_ADDR": address})
    for model in (Response, Answer):
        for row in db.session.scalars(select(model)):
            values = {c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs}
            assert address not in repr(values)


def test_start_and_confirmation_pages_signpost_urgent_help(client, survey, page):
    text = page(client.get(f"/s/{SLUG}")).get_text()
    for number in ("999", "111", "116 123", "PALS"):
        assert number in text


def test_privacy_notice_states_the_retention_settings_in_force(client, app, monkeypatch, page):
    monkeypatch.setitem(app.config, "RETENTION_DAYS", {"free_text": 90})
    text = page(client.get("/privacy")).get_text()
    assert "removed 90 days after you give your feedback" in text
    assert "24 hours" in text  # unfinished surveys


def test_accessibility_statement_is_published(client, page):
    soup = page(client.get("/accessibility?lang=cy"))
    assert "400%" in soup.get_text() and "EHRC" in soup.get_text()


def test_a_body_over_the_app_limit_is_refused_before_any_view_reads_it(client, db):
    huge = "x" * (3 * 1024 * 1024 + 1)
    response = client.post("/s/anything", data={"answer": huge})
    assert response.status_code == 413
