"""The administrator's screens for services and surveys, through the Flask test client."""

from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from feedback.models import Service, Survey, SurveyVersion, utcnow
from feedback.services.audit import Actions
from tests.conftest import parse, sign_in_as
from tests.factories import PASSWORD, create_service, create_survey, create_user

FFT_ONLY = ["fft_rating", "fft_what_was_good", "fft_what_could_improve"]






def csrf_from(response) -> str:
    return parse(response).select_one("input[name=csrf_token]")["value"]


def post_form(client, url, data=None, status=302):
    """GET the page for its CSRF token, then POST the form."""
    token = csrf_from(client.get(url))
    response = client.post(url, data={"csrf_token": token, **(data or {})})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def service_data(**changes) -> dict:
    data = {
        "slug": "patient-portal", "name": "Patient portal", "kind": "portal",
        "description_en": "Seeing your records online.", "description_cy": "",
        "description_pl": "", "description_ro": "", "description_ur": "  ",
    }
    return {**data, **changes}


def survey_data(**changes) -> dict:
    data = {"name": "Portal feedback 2026", "questions": ["fft_what_could_improve", "age_band"],
            "languages": ["cy", "ur"], "opens_on": "2026-07-01", "closes_on": ""}
    return {**data, **changes}


def version_keys(version: SurveyVersion) -> list[str]:
    return [sq.question.key for sq in version.questions]


def error_summary_links(soup) -> list[tuple[str, str]]:
    links = [(a["href"], a.get_text(strip=True)) for a in soup.select(".nhsuk-error-summary a")]
    for href, _text in links:
        assert soup.select_one(href), f"the error summary links to {href}, which is not there"
    return links


# --- the list -----------------------------------------------------------------------------------


def test_services_page_lists_each_service_with_its_surveys_and_whether_they_are_open(
    client, admin, page
):
    portal = create_service(slug="patient-portal", name="Patient portal", kind="portal")
    create_survey(service=portal)
    booking = create_service(slug="online-booking", name="Online booking", kind="online_booking")
    create_survey(service=booking, opens_at=utcnow() + timedelta(days=3))
    create_survey(service=booking, opens_at=utcnow() - timedelta(days=30),
                  closes_at=utcnow() - timedelta(days=2))
    create_service(slug="new-app", name="New app", kind="app")

    soup = page(client.get("/admin/services"))
    assert soup.select_one("a.nhsuk-button")["href"] == "/admin/services/new"
    rows = {row.th.get_text(strip=True): row for row in soup.select("tbody tr")}
    assert list(rows) == ["New app", "Online booking", "Patient portal"]
    portal_row = rows["Patient portal"]
    assert rows["New app"].select("td")[0].get_text(strip=True) == "App"  # the kind, translated
    assert portal_row.select_one("a[href='/s/patient-portal']")
    assert [t.get_text(strip=True) for t in portal_row.select(".nhsuk-tag")] == ["Open"]
    assert [t.get_text(strip=True) for t in rows["Online booking"].select(".nhsuk-tag")] == [
        "Scheduled", "Closed"]
    assert rows["New app"].select_one("a[href$='/surveys/new']")


# --- services -----------------------------------------------------------------------------------


def test_new_service_is_added_with_its_descriptions_and_audited_when_the_form_is_valid(
    client, db, admin, new_audit_events
):
    response = post_form(client, "/admin/services/new", service_data(
        slug=" Patient-Portal ", description_ur="اپنا ریکارڈ آن لائن دیکھنا۔"))

    service = db.session.scalars(select(Service)).one()
    assert response.headers["Location"] == f"/admin/services/{service.id}"
    assert (service.slug, service.name, service.kind) == ("patient-portal", "Patient portal",
                                                           "portal")
    # Empty translations are left out; English is the fallback.
    assert service.description == {"en": "Seeing your records online.",
                                   "ur": "اپنا ریکارڈ آن لائن دیکھنا۔"}
    [event] = new_audit_events(Actions.SERVICE_CREATED)
    assert (event.actor_id, event.target_type, event.target_id) == (admin.id, "service",
                                                                     str(service.id))
    assert event.details["slug"] == "patient-portal"


def test_new_service_page_marks_each_description_with_its_language(client, admin, page):
    soup = page(client.get("/admin/services/new"))
    fields = {t["name"]: t for t in soup.select("textarea")}
    assert {name: (t["lang"], t["dir"]) for name, t in fields.items()} == {
        "description_en": ("en", "ltr"), "description_cy": ("cy", "ltr"),
        "description_pl": ("pl", "ltr"), "description_ro": ("ro", "ltr"),
        "description_ur": ("ur", "rtl"),
    }
    kinds = [label.get_text(strip=True) for label in soup.select(".nhsuk-radios__label")]
    assert kinds == ["Video consultation", "Patient portal", "Online booking",
                     "Remote monitoring", "App", "Other"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "video-appointments"}, "slug", "Another service already uses this web address"),
        ({"slug": "video appointments!"}, "slug", "can only include lower-case letters"),
        ({"slug": "-video"}, "slug", "must start and end with a letter or number"),
        ({"slug": "ab"}, "slug", "between 3 and 64 characters"),
        ({"slug": "a" * 65}, "slug", "between 3 and 64 characters"),
        ({"slug": ""}, "slug", "Enter a web address"),
        ({"description_en": "  "}, "description_en", "Enter a description in English"),
        ({"description_pl": "x" * 1001}, "description_pl", "1000 characters or fewer"),
        ({"kind": "spaceship"}, "kind", "Select what kind of service this is"),
        ({"name": ""}, "name", "Enter the name of the service"),
    ],
)
def test_new_service_is_refused_with_a_linked_error_when_a_field_is_wrong(
    client, db, admin, changes, field, message
):
    create_service(slug="video-appointments")
    soup = parse(post_form(client, "/admin/services/new", service_data(**changes), 400), 400)
    [(href, text)] = error_summary_links(soup)
    assert href == f"#{field}"
    assert message in text
    assert soup.title.get_text().startswith("Error:")
    assert db.session.scalars(select(Service)).all() == [db.session.scalars(
        select(Service).where(Service.slug == "video-appointments")).one()]


def test_new_service_shows_every_error_at_once_when_several_fields_are_wrong(client, admin):
    soup = parse(post_form(client, "/admin/services/new", service_data(
        slug="Bad slug", name="", description_en=""), 400), 400)
    assert {href for href, _text in error_summary_links(soup)} == {
        "#name", "#description_en", "#slug"}


def test_editing_a_service_changes_it_in_place_but_never_its_slug(
    client, db, admin, new_audit_events, page
):
    service = create_service(slug="video-appointments")
    soup = page(client.get(f"/admin/services/{service.id}"))
    assert soup.select_one("input[name=slug]") is None
    assert soup.select_one("a[href='/s/video-appointments']")
    assert soup.select_one("#description_cy").get_text() == "Gweld clinigwr drwy fideo."

    post_form(client, f"/admin/services/{service.id}", {
        "slug": "hijacked", "name": "Video consultations", "kind": "video_consultation",
        "description_en": "Seeing a clinician by video.", "description_cy": "",
        "description_ro": "Consultație video.",
    })

    db.session.refresh(service)
    assert (service.slug, service.name) == ("video-appointments", "Video consultations")
    assert service.description == {"en": "Seeing a clinician by video.",
                                   "ro": "Consultație video."}
    [event] = new_audit_events(Actions.SERVICE_UPDATED)
    assert event.actor_id == admin.id
    assert event.details["changed"] == ["name", "description.cy", "description.ro"]
    assert event.details["name"] == {"from": "Video appointments", "to": "Video consultations"}


def test_saving_a_service_unchanged_records_nothing(client, db, admin, new_audit_events):
    service = create_service(slug="video-appointments")
    post_form(client, f"/admin/services/{service.id}", {
        "name": service.name, "kind": service.kind, **{
            f"description_{code}": text for code, text in service.description.items()},
    })
    assert new_audit_events(Actions.SERVICE_UPDATED) == []


def test_editing_a_service_is_refused_with_a_linked_error_when_english_is_missing(
    client, db, admin
):
    service = create_service()
    soup = parse(post_form(client, f"/admin/services/{service.id}", {
        "name": "Video", "kind": "video_consultation", "description_en": ""}, 400), 400)
    assert error_summary_links(soup) == [("#description_en", "Enter a description in English")]


# --- surveys ------------------------------------------------------------------------------------


@pytest.fixture
def service(db):
    return create_service(slug="patient-portal", name="Patient portal", kind="portal")


def test_new_survey_page_shows_the_fft_question_always_asked_and_english_always_offered(
    client, admin, service, page
):
    soup = page(client.get(f"/admin/services/{service.id}/surveys/new"))
    fft = soup.select_one("input[name=questions][value=fft_rating]")
    assert fft.has_attr("checked") and fft.has_attr("disabled")
    assert "Always asked" in soup.select_one(f"#{fft['id']}-item-hint").get_text()
    legends = [legend.get_text(strip=True) for legend in soup.select("legend")]
    assert legends[:3] == ["Friends and Family Test", "Digital inclusion", "Equality monitoring"]
    labels = [label.get_text(strip=True) for label in soup.select(".nhsuk-checkboxes__label")]
    assert "Overall, how was your experience of our service?" in labels
    assert "How old are you?" in labels
    english = soup.select_one("input[name=languages][value=en]")
    assert english.has_attr("checked") and english.has_attr("disabled")
    assert soup.select_one("input#opens_on")["type"] == "date"


def test_new_survey_publishes_version_one_with_the_chosen_questions_in_bank_order(
    client, db, admin, service, new_audit_events
):
    response = post_form(client, f"/admin/services/{service.id}/surveys/new", survey_data(
        # Sent in a different order, and without the FFT question: it is added.
        questions=["age_band", "own_device", "fft_what_could_improve"]))

    assert response.headers["Location"] == f"/admin/services/{service.id}"
    survey = db.session.scalars(select(Survey)).one()
    assert survey.name == "Portal feedback 2026"
    assert survey.languages == ["en", "cy", "ur"]
    assert survey.closes_at is None
    [version] = survey.versions
    assert version.number == 1 and version.published_at is not None
    assert version_keys(version) == ["fft_rating", "fft_what_could_improve", "own_device",
                                     "age_band"]
    assert [sq.required for sq in version.questions] == [True, False, False, False]
    [event] = new_audit_events(Actions.SURVEY_CREATED)
    assert event.actor_id == admin.id
    assert (event.details["version"], event.details["questions"]) == (1, version_keys(version))


def test_survey_dates_are_the_start_of_the_day_in_uk_time(client, db, admin, service):
    post_form(client, f"/admin/services/{service.id}/surveys/new", survey_data(
        opens_on="2026-07-01", closes_on="2026-12-01"))
    survey = db.session.scalars(select(Survey)).one()
    # Midnight in London, stored in UTC: British Summer Time in July, GMT in December.
    assert survey.opens_at == datetime(2026, 6, 30, 23, 0)
    assert survey.closes_at == datetime(2026, 12, 1, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"questions": ["age_band"]}, "questions",
         "Select at least one Friends and Family Test follow-up question"),
        ({"opens_on": "2026-07-01", "closes_on": "2026-06-30"}, "closes_on",
         "The closing date must be after the opening date"),
        ({"opens_on": "2026-07-01", "closes_on": "2026-07-01"}, "closes_on",
         "The closing date must be after the opening date"),
        ({"opens_on": ""}, "opens_on", "Enter the date the survey opens"),
        ({"opens_on": "2026-02-30"}, "opens_on", "The opening date must be a real date"),
        ({"closes_on": "soon"}, "closes_on", "The closing date must be a real date"),
        ({"name": ""}, "name", "Enter a name for the survey"),
    ],
)
def test_new_survey_is_refused_with_a_linked_error_when_a_field_is_wrong(
    client, db, admin, service, changes, field, message
):
    url = f"/admin/services/{service.id}/surveys/new"
    soup = parse(post_form(client, url, survey_data(**changes), 400), 400)
    [(href, text)] = error_summary_links(soup)
    assert (href, text) == (f"#{field}", message)
    assert db.session.scalars(select(Survey)).all() == []


@pytest.fixture
def survey(db, service):
    return create_survey(service=service, question_keys=FFT_ONLY + ["own_device"],
                         opens_at=datetime(2026, 1, 5, 9, 30))


def test_editing_survey_questions_publishes_version_two_and_leaves_version_one_untouched(
    client, db, admin, survey, new_audit_events
):
    first = survey.versions[0]
    first_rows = [(sq.id, sq.question_id, sq.position) for sq in first.questions]
    post_form(client, f"/admin/surveys/{survey.id}", survey_data(
        name=survey.name, languages=["cy", "pl", "ro", "ur"], opens_on="2026-01-05",
        questions=["fft_what_was_good", "home_internet", "ethnicity"]))

    db.session.expire_all()
    versions = db.session.get(Survey, survey.id).versions
    assert [v.number for v in versions] == [1, 2]
    assert [(sq.id, sq.question_id, sq.position) for sq in versions[0].questions] == first_rows
    assert version_keys(versions[0]) == FFT_ONLY + ["own_device"]
    assert version_keys(versions[1]) == ["fft_rating", "fft_what_was_good", "home_internet",
                                         "ethnicity"]
    assert versions[1].published_at is not None
    # The same date keeps the survey's opening time, so nothing else changed.
    assert versions[0].survey.opens_at == datetime(2026, 1, 5, 9, 30)
    [event] = new_audit_events(Actions.SURVEY_UPDATED)
    assert event.details["changed"] == ["questions"]
    assert event.details["version"] == 2
    assert event.details["questions"] == {
        "added": ["home_internet", "ethnicity"],
        "removed": ["fft_what_could_improve", "own_device"],
    }


def test_editing_only_dates_updates_the_survey_in_place_without_a_new_version(
    client, db, admin, survey, new_audit_events, page
):
    soup = page(client.get(f"/admin/surveys/{survey.id}"))
    assert soup.select_one("#opens_on")["value"] == "2026-01-05"
    checked = [i["value"] for i in soup.select("input[name=questions][checked]")]
    assert checked == FFT_ONLY + ["own_device"]

    post_form(client, f"/admin/surveys/{survey.id}", {
        "name": "Portal survey", "questions": ["fft_what_was_good", "fft_what_could_improve",
                                                "own_device"],
        "languages": ["cy", "pl", "ro", "ur"], "opens_on": "2026-02-01",
        "closes_on": "2026-03-01"})

    db.session.expire_all()
    changed = db.session.get(Survey, survey.id)
    assert [v.number for v in changed.versions] == [1]
    assert changed.name == "Portal survey"
    assert (changed.opens_at, changed.closes_at) == (datetime(2026, 2, 1), datetime(2026, 3, 1))
    [event] = new_audit_events(Actions.SURVEY_UPDATED)
    assert event.details["changed"] == ["closes_at", "name", "opens_at"]
    assert "version" not in event.details


def test_editing_a_survey_is_refused_when_it_would_close_before_it_opens(
    client, db, admin, survey
):
    soup = parse(post_form(client, f"/admin/surveys/{survey.id}", survey_data(
        questions=FFT_ONLY, opens_on="2026-05-01", closes_on="2026-04-01"), 400), 400)
    assert error_summary_links(soup) == [("#closes_on",
                                          "The closing date must be after the opening date")]
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).closes_at is None


def test_editing_a_survey_without_fft_follow_up_is_refused_and_publishes_nothing(
    client, db, admin, survey
):
    soup = parse(post_form(client, f"/admin/surveys/{survey.id}", survey_data(
        questions=["own_device"], opens_on="2026-01-05"), 400), 400)
    [(href, _text)] = error_summary_links(soup)
    assert href == "#questions"
    assert soup.select_one("#questions")["value"] == "fft_what_was_good"
    db.session.expire_all()
    assert len(db.session.get(Survey, survey.id).versions) == 1


# --- who may use these pages --------------------------------------------------------------------


@pytest.fixture
def paths(db, service):
    survey = create_survey(service=service)
    return ["/admin/services", "/admin/services/new", f"/admin/services/{service.id}",
            f"/admin/services/{service.id}/surveys/new", f"/admin/surveys/{survey.id}"]


@pytest.mark.parametrize("role", ["service_lead", "volunteer"])
def test_service_and_survey_pages_are_forbidden_when_not_an_administrator(
    client, db, paths, service, role
):
    user = create_user(email=f"{role}@nhs.test", role=role, services=[service])
    sign_in_as(client, user)
    token = csrf_from(client.get(f"/s/{service.slug}"))  # the public survey's form
    for path in paths:
        assert client.get(path).status_code == 403, path
    for path in paths[1:]:  # the forms
        response = client.post(path, data={"csrf_token": token, **service_data(slug="not-made")})
        assert response.status_code == 403, path
    assert db.session.scalars(select(Service.slug)).all() == ["patient-portal"]


def test_service_and_survey_pages_send_anonymous_people_to_sign_in(client, db, paths):
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("path", ["/admin/services/999999", "/admin/surveys/999999",
                                  "/admin/services/999999/surveys/new"])
def test_unknown_services_and_surveys_get_404(client, admin, path):
    assert client.get(path).status_code == 404


def test_an_administrator_signed_in_through_the_real_pages_can_add_a_service(client, db):
    secret = pyotp.random_base32()
    create_user(email="admin@nhs.test", role="admin", totp_secret=secret)
    post_form(client, "/sign-in", {"email": "admin@nhs.test", "password": PASSWORD})
    post_form(client, "/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    post_form(client, "/admin/services/new", service_data())
    assert db.session.scalars(select(Service.slug)).all() == ["patient-portal"]


def test_confirmation_message_shows_a_service_name_as_text_never_as_html(client, db, admin):
    response = post_form(client, "/admin/services/new", service_data(name="<i>Portal</i>"))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt;i&gt;Portal&lt;/i&gt; has been added" in html
    assert "<i>Portal</i>" not in html
