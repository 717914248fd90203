"""Service leads send SMS campaigns from a CSV upload and watch how the invitations go."""

import io
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from feedback import jobs
from feedback.extensions import db as _db
from feedback.models import Campaign, CampaignRecipient, OptOut
from feedback.services import sms
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user

ALICE = "+447700900111"
BRYN = "+447700900222"
CARYS = "+447700900333"
COUNT_KEYS = {"recipients", "waiting", "sent", "delivered", "failed", "answered", "completed",
              "expired", "opted_out", "skipped"}




@pytest.fixture
def service(db):
    service = create_service(name="Video appointments")
    create_survey(service=service, languages=("en", "cy"))
    return service


@pytest.fixture
def lead(client, service):
    user = create_user(email="lead@nhs.test", role="service_lead", services=[service])
    sign_in_as(client, user)
    return user


@pytest.fixture
def enqueued(monkeypatch):
    """The jobs asked for, instead of running them."""
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


def csv_file(text: str | bytes, filename: str = "clinic.csv", mimetype: str = "text/csv"):
    data = text.encode() if isinstance(text, str) else text
    return (io.BytesIO(data), filename, mimetype)


def upload(client, service_id, recipients, name="Clinic 12 May"):
    url = f"/reports/services/{service_id}/campaigns/new"
    token = parse(client.get(url)).select_one("input[name=csrf_token]")["value"]
    data = {"csrf_token": token, "name": name}
    if recipients is not None:
        data["recipients"] = recipients
    return client.post(url, data=data, content_type="multipart/form-data")


def recipients_of(campaign_id) -> list[CampaignRecipient]:
    return list(_db.session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign_id).order_by(CampaignRecipient.id)))


def assert_no_phone_numbers(html: str, *numbers: str) -> None:
    for number in numbers:
        national = "0" + number[3:]
        for form in (number, number[1:], national, f"{national[:5]} {national[5:]}"):
            assert form not in html
    # Nor anything else on the page that looks like a phone number.
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    assert not re.search(r"\d{10}|\d{4,5} ?\d{3} ?\d{3,4}", text)


def test_a_lead_uploads_a_csv_and_sees_what_will_be_sent_and_what_was_skipped(
        client, db, service, lead, enqueued, new_audit_events):
    db.session.add(OptOut(phone_hash=sms.phone_hash(CARYS), source="sms"))
    db.session.commit()
    response = upload(client, service.id, csv_file(
        "phone,language,role,appointment_date\n"
        "07700 900111,cy,carer,2025-05-12\n"  # row 1
        "07700900222,,,\n"  # row 2
        "+44 7700 900111,en,,\n"  # row 3: Alice again
        "07700 900333,,,\n"  # row 4: opted out
        "banana,,,\n"  # row 5
        "020 7183 8750,,,\n"  # row 6: a landline
        "07700 900444,klingon,,\n"  # row 7
        "07700 900555,,surgeon,\n"  # row 8
        "07700 900666,,,12/05/2025\n"  # row 9
        ",,,\n"))  # row 10
    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert response.headers["Location"] == f"/reports/campaigns/{campaign.id}"
    assert (campaign.name, campaign.service_id, campaign.created_by_id) == (
        "Clinic 12 May", service.id, lead.id)
    alice, bryn = recipients_of(campaign.id)
    assert (alice.phone_number, alice.locale, alice.respondent_role) == (ALICE, "cy", "carer")
    assert str(alice.appointment_on) == "2025-05-12"
    assert (bryn.phone_number, bryn.locale, bryn.respondent_role) == (BRYN, "en", "patient")
    assert enqueued == [(jobs.send_invitations, ())]
    assert new_audit_events("campaign_created")[0].actor_email == "lead@nhs.test"

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    page = parse(client.get(response.headers["Location"]))
    assert "2 will be sent; 8 skipped" in page.get_text(" ", strip=True)
    rows = [[cell.get_text(strip=True) for cell in row.select("td")]
            for row in page.select("table tbody tr")]
    assert rows == [
        ["3", "The same phone number is on an earlier row"],
        ["4", "This person has asked us not to text them"],
        ["5", "The phone number has letters or other characters in it"],
        ["6", "The phone number is not a mobile number, so it cannot get texts"],
        ["7", "The language is not one the survey is offered in"],
        ["8", "The role must be patient, carer or staff"],
        ["9", "The appointment date must be a real date written as YYYY-MM-DD"],
        ["10", "There is no phone number"],
    ]
    assert_no_phone_numbers(html, ALICE, BRYN, CARYS)
    assert "20 7183 8750" not in html and "7183" not in html
    # "Created" is said once; the upload's report stays while the lead watches the figures.
    assert "The campaign has been created" in html
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The campaign has been created" not in again and "8 skipped" in again


def test_an_invalid_phone_number_is_skipped_with_its_reason(client, service, lead, enqueued):
    response = upload(client, service.id, csv_file("phone\n07700 900111\n07700 1234\n"))
    page = parse(client.get(response.headers["Location"]))
    rows = [[cell.get_text(strip=True) for cell in row.select("td")]
            for row in page.select("table tbody tr")]
    assert rows == [["2", "The phone number is not a real number. Check the number of digits"]]


def test_only_the_first_hundred_skipped_rows_are_listed_when_there_are_many(
        client, service, lead, enqueued):
    response = upload(client, service.id, csv_file("phone\n" + "banana\n" * 5000))
    assert response.status_code == 302
    page = parse(client.get(response.headers["Location"]))
    text = page.get_text(" ", strip=True)
    assert "0 will be sent; 5,000 skipped" in text
    assert "The first 100 of 5,000 skipped rows are listed" in text
    assert len(page.select("table tbody tr")) == 100
    assert enqueued == []  # nothing to send


def test_a_file_sent_as_text_csv_is_accepted_whatever_its_name(client, db, service, lead,
                                                                enqueued):
    response = upload(client, service.id, csv_file("phone\n07700900111\n", filename="export"))
    assert response.status_code == 302
    assert len(db.session.scalars(select(CampaignRecipient)).all()) == 1


@pytest.mark.parametrize(("data", "message"), [
    (b"phone\n07700 900111\n\xff\xfe\n", "must be saved as CSV UTF-8"),
    (b"mobile,language\n07700 900111,en\n", "must have a column headed phone"),
    (b"phone\n" + b"07700 900111\n" * 5001, "must have 5000 rows or fewer"),
    (b"phone\n", "has no rows under its headings"),
    (b"", "has no rows under its headings"),
])
def test_an_unusable_csv_is_explained_on_the_file_field(client, db, service, lead, enqueued,
                                                        data, message):
    response = upload(client, service.id, csv_file(data))
    page = parse(response, 400)
    link = page.select_one(".nhsuk-error-summary a")
    assert message in link.text and link["href"] == "#recipients"
    assert message in page.select_one("#recipients-error").text
    assert page.select_one("#name")["value"] == "Clinic 12 May"  # what they typed is kept
    assert page.title.text.startswith("Error:")
    assert db.session.scalars(select(Campaign)).all() == [] and enqueued == []


@pytest.mark.parametrize(("recipients", "name", "field", "message"), [
    (None, "Clinic", "recipients", "Choose a CSV file"),
    (csv_file("phone\n07700900111\n", "clinic.xlsx", "application/vnd.ms-excel"), "Clinic",
     "recipients", "must be a CSV file"),
    (csv_file(b"phone\n" + b"0" * (1024 * 1024)), "Clinic", "recipients",
     "must be 1 MB or smaller"),
    (csv_file("phone\n07700900111\n"), "", "name", "Enter a name for the campaign"),
    (csv_file("phone\n07700900111\n"), "x" * 201, "name", "200 characters or fewer"),
])
def test_the_form_says_what_is_missing_or_wrong(client, db, service, lead, enqueued, recipients,
                                                name, field, message):
    page = parse(upload(client, service.id, recipients, name=name), 400)
    link = page.select_one(".nhsuk-error-summary a")
    assert message in link.text and link["href"] == f"#{field}"
    assert db.session.scalars(select(Campaign)).all() == [] and enqueued == []


def test_a_service_with_no_open_survey_cannot_start_a_campaign(client, db, enqueued):
    closed = create_service(slug="closed", name="Closed")
    sign_in_as(client, create_user(role="service_lead", services=[closed]))
    page = parse(upload(client, closed.id, csv_file("phone\n07700900111\n")), 400)
    assert "no open survey" in page.select_one(".nhsuk-error-summary").text
    assert db.session.scalars(select(Campaign)).all() == [] and enqueued == []


def test_nothing_can_be_sent_when_texts_are_not_set_up(client, db, app, service, lead, enqueued,
                                                       monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", None)
    url = f"/reports/services/{service.id}/campaigns/new"
    page = parse(client.get(url))
    assert "Text messages are not set up" in page.text
    assert page.select_one("form input[type=file]") is None
    token = parse(client.get(f"/reports/services/{service.id}")).select_one(
        "input[name=csrf_token]")["value"]
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": token, "name": "Clinic", "recipients": csv_file("phone\n07700900111\n")})
    assert "have not been set up" in parse(response, 400).select_one(".nhsuk-error-summary").text
    assert db.session.scalars(select(Campaign)).all() == [] and enqueued == []


def test_an_upload_without_the_csrf_token_is_refused(client, db, service, lead, enqueued):
    response = client.post(f"/reports/services/{service.id}/campaigns/new",
                           content_type="multipart/form-data",
                           data={"name": "Clinic", "recipients": csv_file("phone\n07700900111\n")})
    assert response.status_code == 400
    assert db.session.scalars(select(Campaign)).all() == [] and enqueued == []


def test_the_upload_page_explains_the_columns_and_quiet_hours(client, service, lead):
    page = parse(client.get(f"/reports/services/{service.id}/campaigns/new"))
    text = page.get_text(" ", strip=True)
    for column in ("phone", "language", "role", "appointment_date"):
        assert page.find("code", string=column)
    assert "between 20:00 and 09:00 UK time" in text
    form = page.select_one("form[enctype='multipart/form-data']")
    assert form.select_one("input[type=file]")["accept"] == ".csv,text/csv"


def test_the_service_lists_its_campaigns_newest_first(client, service, lead, enqueued):
    upload(client, service.id, csv_file("phone\n07700900111\n"), name="First")
    upload(client, service.id, csv_file("phone\n07700900111\n07700900222\n"), name="Second")
    assert "Text message campaigns" in client.get(f"/reports/services/{service.id}").get_data(
        as_text=True)
    page = parse(client.get(f"/reports/services/{service.id}/campaigns"))
    rows = [[c.get_text(strip=True) for c in row.select("th, td")]
            for row in page.select("tbody tr")]
    assert [(row[0], row[2]) for row in rows] == [("Second", "2"), ("First", "1")]
    assert page.select_one(f"a[href='/reports/services/{service.id}/campaigns/new']")


def test_the_campaign_page_shows_every_count_with_a_label_and_a_refresh_link(
        client, service, lead, enqueued):
    location = upload(client, service.id, csv_file("phone\n07700900111\n")).headers["Location"]
    page = parse(client.get(location))
    live = page.select_one("[aria-live=polite][data-campaign-counts-url]")
    assert live["data-campaign-counts-url"] == location + "/counts"
    figures = {dd["data-count"]: dd.text.strip() for dd in live.select("[data-count]")}
    assert set(figures) == COUNT_KEYS
    assert (figures["recipients"], figures["waiting"], figures["sent"]) == ("1", "1", "0")
    assert page.find("a", href=location, string=re.compile("Refresh"))


def test_counts_are_json_for_the_page_to_poll(client, service, lead, enqueued):
    location = upload(client, service.id, csv_file("phone\n07700900111\n")).headers["Location"]
    response = client.get(location + "/counts")
    assert response.status_code == 200 and response.is_json
    counts = response.get_json()
    assert set(counts) == COUNT_KEYS and all(isinstance(v, int) for v in counts.values())
    assert counts["recipients"] == counts["waiting"] == 1


def test_a_lead_cannot_see_or_start_another_services_campaigns(client, db, service, lead,
                                                               enqueued):
    location = upload(client, service.id, csv_file("phone\n07700900111\n")).headers["Location"]
    other = create_service(slug="other", name="Other")
    create_survey(service=other)
    sign_in_as(client, create_user(email="other@nhs.test", services=[other]))
    for url in (location, location + "/counts", f"/reports/services/{service.id}/campaigns",
                f"/reports/services/{service.id}/campaigns/new"):
        assert client.get(url).status_code == 403, url
    token = parse(client.get("/reports/")).select_one("input[name=csrf_token]")["value"]
    response = client.post(f"/reports/services/{service.id}/campaigns/new",
                           data={"csrf_token": token, "name": "Mine now"})
    assert response.status_code == 403
    for url in ("/reports/campaigns/999999", "/reports/campaigns/999999/counts",
                "/reports/services/999999/campaigns", "/reports/services/999999/campaigns/new"):
        assert client.get(url).status_code == 404, url


def test_an_administrator_sees_every_services_campaigns(client, service, lead, enqueued):
    location = upload(client, service.id, csv_file("phone\n07700900111\n")).headers["Location"]
    sign_in_as(client, create_user(email="admin@nhs.test", role="admin"))
    assert client.get(location).status_code == 200
    assert client.get(f"/reports/services/{service.id}/campaigns").status_code == 200


@pytest.mark.parametrize("role", ["volunteer", None])
def test_volunteers_are_refused_and_strangers_sent_to_sign_in(client, service, role):
    sign_in_as(client, role and create_user(email="v@nhs.test", role=role))
    for url in (f"/reports/services/{service.id}/campaigns",
                f"/reports/services/{service.id}/campaigns/new"):
        response = client.get(url)
        if role:
            assert response.status_code == 403
        else:
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/sign-in?next=")


# --- end to end: invitations really sent, to the Twilio stand-in ------------------------------




def test_uploaded_invitations_are_sent_and_their_delivery_counted(live, client, service, lead):
    response = upload(client, service.id, csv_file("phone,language\n07700 900111,en\n"
                                                   "07700 900222,cy\nbanana,en\n"))
    assert response.status_code == 302
    live.wait_idle()
    assert live.messages(to=ALICE)[0].body.startswith("NHS: Video appointments would like")
    assert len(live.messages(to=BRYN)) == 2  # the invitation and the first question
    _db.session.rollback()
    counts = client.get(response.headers["Location"] + "/counts").get_json()
    assert {key: counts[key] for key in ("recipients", "waiting", "sent", "delivered", "failed",
                                         "skipped")} == {"recipients": 2, "waiting": 0, "sent": 2,
                                                         "delivered": 2, "failed": 0, "skipped": 0}
    assert_no_phone_numbers(client.get(response.headers["Location"]).get_data(as_text=True),
                            ALICE, BRYN)
