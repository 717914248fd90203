"""Administrators manage staff accounts and read the audit log."""


import pytest
from sqlalchemy import select

from feedback.models import User
from tests.conftest import parse
from tests.factories import create_service, create_user


def post(client, url, data=None, page_url=None):
    token = parse(client.get(page_url or url)).select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, **(data or {})})


def test_admin_invites_a_service_lead_and_sees_the_link_once(client, db, admin, new_audit_events):
    service = create_service()
    response = post(client, "/admin/staff/invite", {
        "name": "Lee Lead", "email": "Lee@NHS.test", "role": "service_lead",
        "services": [str(service.id)]})
    page = parse(response)
    link = page.select_one(".app-invitation-link code").text
    assert "/invitations/" in link
    user = db.session.scalar(select(User).where(User.email == "lee@nhs.test"))
    assert [s.id for s in user.services] == [service.id] and user.password_hash is None
    assert new_audit_events("user_invited")[0].details["services"] == [service.slug]
    assert link not in client.get(f"/admin/staff/{user.id}").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "", "email": "x@nhs.test", "role": "volunteer"}, "Enter their full name"),
    ({"name": "X", "email": "not-an-email", "role": "volunteer"}, "right format"),
    ({"name": "X", "email": "admin@nhs.test", "role": "volunteer"}, "already an account"),
    ({"name": "X", "email": "x@nhs.test", "role": "emperor"}, "Choose a role"),
])
def test_invite_shows_errors_when_the_details_are_wrong(client, admin, data, message):
    response = post(client, "/admin/staff/invite", data)
    assert response.status_code == 400
    assert message in parse(response, 400).select_one(".nhsuk-error-summary").text


def test_admin_changes_a_role_and_it_is_audited(client, db, admin, new_audit_events):
    volunteer = create_user(email="vol@nhs.test", role="volunteer")
    response = post(client, f"/admin/staff/{volunteer.id}", {"role": "service_lead"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).role == "service_lead"
    [event] = new_audit_events("role_changed")
    assert event.details == {"from": "volunteer", "to": "service_lead"}
    assert event.actor_email == "admin@nhs.test"


def test_admin_cannot_change_their_own_role(client, admin):
    response = post(client, f"/admin/staff/{admin.id}", {"role": "volunteer"})
    assert response.status_code == 400
    assert "cannot change your own role" in response.get_data(as_text=True)


def test_admin_deactivates_and_reactivates_an_account(client, db, admin, new_audit_events):
    volunteer = create_user(email="vol@nhs.test", role="volunteer")
    url = f"/admin/staff/{volunteer.id}/active"
    post(client, url, {"active": "0"}, page_url=f"/admin/staff/{volunteer.id}")
    db.session.expire_all()
    assert not db.session.get(User, volunteer.id).is_active
    post(client, url, {"active": "1"}, page_url=f"/admin/staff/{volunteer.id}")
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).is_active
    assert [e.action for e in new_audit_events() if e.target_id == str(volunteer.id)] == [
        "user_deactivated", "user_reactivated"]


def test_audit_log_can_be_filtered_by_action_and_person(client, admin):
    create_user(email="vol@nhs.test", role="volunteer")
    from feedback.services import audit

    audit.record("sign_in_failed", actor_email="intruder@example.test")
    audit.record("sign_in", actor_email="vol@nhs.test")
    from feedback.extensions import db as _db

    _db.session.commit()
    page = parse(client.get("/admin/audit-log?action=sign_in_failed&actor=intruder"))
    rows = [row.get_text(" ", strip=True) for row in page.select("tbody tr")]
    assert len(rows) == 1 and "intruder@example.test" in rows[0]
    bad = client.get("/admin/audit-log?since=not-a-date")
    assert bad.status_code == 400


def test_audit_log_cannot_be_changed_through_the_app(app):
    methods = {m for rule in app.url_map.iter_rules() if "audit" in rule.rule
               for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}


def test_unknown_person_is_404(client, admin):
    assert client.get("/admin/staff/999999").status_code == 404


def test_retention_page_lists_the_rules_in_force(client, admin):
    text = parse(client.get("/admin/retention")).get_text()
    assert "730 days" in text


def test_names_in_confirmation_messages_are_escaped(client, db, admin):
    person = create_user(email="bob@nhs.test", name="<i>Bob</i>", role="volunteer")
    response = post(client, f"/admin/staff/{person.id}", {"role": "volunteer"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt;i&gt;Bob&lt;/i&gt; has been updated" in page or "Access for &lt;i&gt;Bob" in page
    assert "<i>Bob</i>" not in page


def test_admin_erases_a_phone_number_on_request(client, admin, new_audit_events):
    from feedback.extensions import db as _db
    from feedback.models import OptOut
    from feedback.services import sms

    _db.session.add(OptOut(phone_hash=sms.phone_hash("+447700900123"), source="keyword"))
    _db.session.commit()
    response = post(client, "/admin/erase-phone-number", {"phone": "07700 900123"})
    assert "Phone number erased" in parse(response).text
    assert new_audit_events("deleted")[0].actor_email == "admin@nhs.test"
    assert _db.session.get(OptOut, sms.phone_hash("+447700900123")) is not None
    bad = post(client, "/admin/erase-phone-number", {"phone": "not a number"})
    assert bad.status_code == 400 and "UK mobile number" in bad.get_data(as_text=True)


def test_survey_page_shows_each_text_with_its_cost(client, admin):
    from tests.factories import create_survey

    survey = create_survey(languages=("en", "ur"))
    page = parse(client.get(f"/admin/surveys/{survey.id}"))
    table = page.select_one("#texts").find_next("table")
    rows = [r.get_text(" ", strip=True) for r in table.select("tbody tr")]
    assert any("GSM-7" in r for r in rows) and any("UCS-2" in r for r in rows)
