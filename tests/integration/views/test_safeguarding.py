"""The safeguarding review queue: only for those given the permission, every reading audited."""

import pytest
from sqlalchemy import select

from feedback.extensions import db as _db
from feedback.models import SafeguardingFlag, User
from feedback.services import responses
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user, question_ids

DISCLOSURE = "My husband hits me when I try to book online. Dr Jones knows."


def flag_for(service, text=DISCLOSURE) -> SafeguardingFlag:
    survey = create_survey(service=service)
    ids = question_ids(survey)
    response = responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", answers={ids["fft_rating"]: {"choice": "poor"},
                              ids["fft_what_could_improve"]: {"text": text}},
        enforce_required=False)
    return _db.session.scalar(
        select(SafeguardingFlag).where(SafeguardingFlag.response_id == response.id))


def reviewer(role="service_lead", services=(), email="reviewer@nhs.test"):
    user = create_user(email=email, role=role, services=services)
    user.can_review_safeguarding = True
    _db.session.commit()
    return user


def post(client, url, data):
    token = parse(client.get(url)).select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, **data})


@pytest.mark.parametrize("role", ["volunteer", "service_lead", "admin"])
def test_without_the_permission_the_queue_is_forbidden(client, db, role):
    sign_in_as(client, create_user(email=f"{role}@nhs.test", role=role))
    assert client.get("/safeguarding/").status_code == 403


def test_a_volunteer_given_the_flag_directly_still_cannot_see_it(client, db):
    sign_in_as(client, reviewer(role="volunteer"))
    assert client.get("/safeguarding/").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get("/safeguarding/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_lead_sees_the_queue_for_their_own_services_only(client, db):
    mine, theirs = create_service(slug="mine", name="Mine"), create_service(slug="theirs",
                                                                            name="Theirs")
    my_flag, their_flag = flag_for(mine), flag_for(theirs)
    sign_in_as(client, reviewer(services=[mine]))
    page = parse(client.get("/safeguarding/"))
    rows = page.select("tbody tr")
    assert len(rows) == 1
    assert "Mine" in rows[0].text and "Abuse or neglect" in rows[0].text
    assert client.get(f"/safeguarding/{my_flag.id}").status_code == 200
    assert client.get(f"/safeguarding/{their_flag.id}").status_code == 403
    assert client.get("/safeguarding/999999").status_code == 404


def test_the_navigation_shows_how_many_are_waiting(client, db):
    service = create_service()
    flag_for(service)
    sign_in_as(client, reviewer(services=[service]))
    nav = parse(client.get("/reports/")).select_one(".app-staff-bar nav").text
    assert "Safeguarding reviews (1 waiting)" in nav


def test_reading_a_comment_in_full_is_audited_each_time(client, db, new_audit_events):
    service = create_service()
    flag = flag_for(service)
    user = reviewer(services=[service])
    sign_in_as(client, user)
    page = parse(client.get(f"/safeguarding/{flag.id}"))
    assert DISCLOSURE in page.select_one(".app-quote").text  # in full: Dr Jones not redacted
    client.get(f"/safeguarding/{flag.id}")
    viewed = new_audit_events("viewed_unredacted")
    assert len(viewed) == 2
    assert viewed[0].actor_id == user.id and viewed[0].details == {"safeguarding_flag": flag.id}


def test_a_reviewer_records_what_they_did(client, db, new_audit_events):
    service = create_service()
    flag = flag_for(service)
    user = reviewer(services=[service])
    sign_in_as(client, user)
    response = post(client, f"/safeguarding/{flag.id}",
                    {"outcome": "referred", "note": "Passed to the safeguarding lead at 10:00."})
    assert response.status_code == 302
    _db.session.expire_all()
    flag = _db.session.get(SafeguardingFlag, flag.id)
    assert (flag.status, flag.outcome, flag.reviewed_by_id) == ("reviewed", "referred", user.id)
    assert flag.note == "Passed to the safeguarding lead at 10:00."
    assert new_audit_events("safeguarding_reviewed")[0].details["outcome"] == "referred"
    queue = parse(client.get("/safeguarding/"))
    assert "No comments are waiting for review." in queue.text
    assert "Referred to the safeguarding team" in queue.text


@pytest.mark.parametrize(("data", "message"), [
    ({"note": "Done"}, "Select what you did"),
    ({"outcome": "ignored", "note": "Done"}, "Select what you did"),
    ({"outcome": "no_risk", "note": "   "}, "Enter what you did and who you told"),
    ({"outcome": "no_risk", "note": "x" * 2001}, "2,000 characters or fewer"),
])
def test_a_review_needs_an_outcome_and_a_note(client, db, data, message):
    service = create_service()
    flag = flag_for(service)
    sign_in_as(client, reviewer(services=[service]))
    response = post(client, f"/safeguarding/{flag.id}", data)
    assert message in parse(response, 400).select_one(".nhsuk-error-summary").text
    _db.session.expire_all()
    assert _db.session.get(SafeguardingFlag, flag.id).status == "waiting"


def test_a_comment_is_reviewed_once(client, db):
    service = create_service()
    flag = flag_for(service)
    sign_in_as(client, reviewer(services=[service]))
    url = f"/safeguarding/{flag.id}"
    token = parse(client.get(url)).select_one("input[name=csrf_token]")["value"]
    first = {"csrf_token": token, "outcome": "no_risk", "note": "Read in full."}
    assert client.post(url, data=first).status_code == 302
    again = client.post(url, data={**first, "outcome": "referred"})
    assert again.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(SafeguardingFlag, flag.id).outcome == "no_risk"


def test_an_admin_gives_and_takes_the_permission(client, db, admin, new_audit_events):
    service = create_service()
    lead = create_user(email="lead2@nhs.test", role="service_lead", services=[service])
    url = f"/admin/staff/{lead.id}"
    post(client, url, {"role": "service_lead", "services": [str(service.id)],
                       "safeguarding": "yes"})
    assert _db.session.get(User, lead.id).can_review_safeguarding is True
    post(client, url, {"role": "service_lead", "services": [str(service.id)]})
    _db.session.expire_all()
    assert _db.session.get(User, lead.id).can_review_safeguarding is False
    changes = new_audit_events("safeguarding_permission_changed")
    assert [e.details["can_review"] for e in changes] == [True, False]


def test_a_volunteer_cannot_be_given_the_permission(client, db, admin):
    volunteer = create_user(email="vol@nhs.test", role="volunteer")
    post(client, f"/admin/staff/{volunteer.id}", {"role": "volunteer", "safeguarding": "yes"})
    _db.session.expire_all()
    assert _db.session.get(User, volunteer.id).can_review_safeguarding is False
