"""Administrators create, rotate and revoke a service's integration API tokens."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback.models import ApiToken, utcnow
from feedback.services import api_tokens
from feedback.services.audit import Actions
from tests.conftest import parse, sign_in_as
from tests.factories import create_service, create_survey, create_user


@pytest.fixture
def service(db):
    service = create_service()
    create_survey(service=service)
    return service


def tokens_url(service) -> str:
    return f"/admin/services/{service.id}/api-tokens"


def csrf_from(response) -> str:
    return parse(response).select_one("input[name=csrf_token]")["value"]


def post_form(client, url, data=None, *, page_url, status=200):
    """GET the page for its CSRF token, then POST the form."""
    token = csrf_from(client.get(page_url))
    response = client.post(url, data={"csrf_token": token, **(data or {})})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def create(client, service, name="Booking system"):
    response = post_form(client, tokens_url(service), {"name": name},
                         page_url=tokens_url(service))
    return parse(response), response


def shown_token(soup) -> str:
    return soup.select_one("code.app-secret").get_text(strip=True)


def test_the_service_page_links_to_its_api_tokens(client, admin, service, page):
    soup = page(client.get(f"/admin/services/{service.id}"))
    assert soup.select_one(f"a[href='{tokens_url(service)}']")


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
    client, db, admin, service, new_audit_events, page
):
    soup, response = create(client, service, name="  Booking system  ")

    plaintext = shown_token(soup)
    assert plaintext.startswith("fbk_") and len(plaintext) > 40
    assert "Authorization: Bearer" in soup.get_text()
    assert response.headers["Cache-Control"] == "no-store"
    token = db.session.scalars(select(ApiToken)).one()
    assert (token.service_id, token.name, token.created_by_id) == (service.id, "Booking system",
                                                                  admin.id)
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.prefix == plaintext[4:12]
    assert plaintext not in {token.token_hash, token.prefix, token.name}
    [event] = new_audit_events(Actions.API_TOKEN_CREATED)
    assert (event.actor_id, event.target_type, event.target_id) == (admin.id, "apitoken",
                                                                     str(token.id))
    assert plaintext not in str(event.details)

    listing = client.get(tokens_url(service)).get_data(as_text=True)
    assert plaintext not in listing
    assert f"fbk_{token.prefix}…" in listing
    row = page(client.get(tokens_url(service))).select_one("tbody tr")
    assert row.th.get_text(strip=True) == "Booking system"
    assert "Never" in row.get_text() and "In use" in row.get_text()
    assert api_tokens.authenticate(plaintext).id == token.id


@pytest.mark.parametrize(("name", "message"), [
    ("   ", "Enter a name for the token"),
    ("x" * 201, "200 characters or fewer"),
])
def test_a_token_is_not_created_when_its_name_is_wrong(client, db, admin, service, name,
                                                        message):
    response = post_form(client, tokens_url(service), {"name": name},
                         page_url=tokens_url(service), status=400)
    soup = parse(response, 400)
    assert message in soup.select_one(".nhsuk-error-summary").get_text()
    assert db.session.scalars(select(ApiToken)).all() == []


def test_rotating_revokes_the_old_token_and_shows_a_new_one_with_the_same_name(
    client, db, admin, service, new_audit_events
):
    old, old_plaintext = api_tokens.create_token(service, name="Booking system",
                                                 created_by=admin)
    response = post_form(client, f"{tokens_url(service)}/{old.id}/rotate",
                         page_url=tokens_url(service))

    soup = parse(response)
    new_plaintext = shown_token(soup)
    assert new_plaintext != old_plaintext
    assert "has stopped working" in soup.get_text()
    db.session.refresh(old)
    new = db.session.scalars(select(ApiToken).where(ApiToken.id != old.id)).one()
    assert old.revoked_at is not None and new.revoked_at is None
    assert (new.name, new.service_id) == ("Booking system", service.id)
    assert api_tokens.authenticate(old_plaintext) is None
    assert api_tokens.authenticate(new_plaintext).id == new.id
    [revoked] = new_audit_events(Actions.API_TOKEN_REVOKED)
    assert (revoked.target_id, revoked.details["rotated"]) == (str(old.id), True)
    created = new_audit_events(Actions.API_TOKEN_CREATED)[-1]
    assert (created.target_id, created.details["replaces"]) == (str(new.id), old.id)


def test_revoking_stops_the_token_at_once_and_is_audited_once(
    client, db, admin, service, new_audit_events, page
):
    token, plaintext = api_tokens.create_token(service, name="Booking system", created_by=admin)
    url = f"{tokens_url(service)}/{token.id}/revoke"

    response = post_form(client, url, page_url=tokens_url(service), status=302)
    again = post_form(client, url, page_url=tokens_url(service), status=302)

    assert response.headers["Location"] == tokens_url(service)
    assert api_tokens.authenticate(plaintext) is None
    [event] = new_audit_events(Actions.API_TOKEN_REVOKED)
    assert (event.actor_id, event.target_id) == (admin.id, str(token.id))
    soup = page(client.get(again.headers["Location"]))
    assert "already been revoked" in soup.get_text()
    row = soup.select_one("tbody tr")
    assert "Revoked" in row.get_text()
    assert row.select("form") == []  # nothing left to rotate or revoke


def test_a_revoked_token_cannot_be_rotated(client, db, admin, service, new_audit_events):
    token, _ = api_tokens.create_token(service, name="Booking system", created_by=admin)
    api_tokens.revoke_token(token, by=admin)

    post_form(client, f"{tokens_url(service)}/{token.id}/rotate", page_url=tokens_url(service),
              status=302)

    assert len(db.session.scalars(select(ApiToken)).all()) == 1
    assert new_audit_events(Actions.API_TOKEN_CREATED)[-1].target_id == str(token.id)


def test_another_services_token_is_not_found_from_this_service(client, db, admin, service):
    other = create_service(slug="other", name="Other")
    theirs, plaintext = api_tokens.create_token(other, name="Theirs", created_by=admin)
    for action in ("rotate", "revoke"):
        post_form(client, f"{tokens_url(service)}/{theirs.id}/{action}",
                  page_url=tokens_url(service), status=404)
    assert api_tokens.authenticate(plaintext) is not None


def test_rotate_and_revoke_need_the_csrf_token(client, db, admin, service):
    token, plaintext = api_tokens.create_token(service, name="Booking system", created_by=admin)
    for action in ("rotate", "revoke"):
        assert client.post(f"{tokens_url(service)}/{token.id}/{action}").status_code == 400
    assert client.post(tokens_url(service), data={"name": "Sneaky"}).status_code == 400
    assert api_tokens.authenticate(plaintext) is not None
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


@pytest.mark.parametrize("role", ["service_lead", "volunteer"])
def test_only_administrators_manage_tokens(app, client, db, service, role, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the guard must decide
    token, plaintext = api_tokens.create_token(service, name="Booking system", created_by=None)
    user = create_user(email=f"{role}@nhs.test", role=role,
                       services=[service] if role == "service_lead" else [])
    sign_in_as(client, user)

    assert client.get(tokens_url(service)).status_code == 403
    assert client.post(tokens_url(service), data={"name": "Mine"}).status_code == 403
    for action in ("rotate", "revoke"):
        assert client.post(f"{tokens_url(service)}/{token.id}/{action}").status_code == 403
    assert api_tokens.authenticate(plaintext) is not None


# --- the service functions ------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(db, service):
    token, plaintext = api_tokens.create_token(service, name="Booking system", created_by=None)
    first = utcnow()

    api_tokens.authenticate(plaintext, now=first)
    api_tokens.authenticate(plaintext, now=first + timedelta(seconds=59))
    db.session.refresh(token)
    assert token.last_used_at == first

    later = first + timedelta(seconds=61)
    api_tokens.authenticate(plaintext, now=later)
    db.session.refresh(token)
    assert token.last_used_at == later


@pytest.mark.parametrize("presented", [None, "", "fbk_", "not-our-format", "fbk_" + "A" * 43,
                                       "fbk_" + "A" * 500])
def test_anything_but_a_real_token_is_not_authenticated(db, service, presented):
    api_tokens.create_token(service, name="Booking system", created_by=None)
    assert api_tokens.authenticate(presented) is None
