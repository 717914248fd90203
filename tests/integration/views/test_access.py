"""Who may open what: every route in the URL map, as every role and as nobody.

Generated from the URL map, so a new route is tested the moment it exists, and a route in
a blueprint this table does not know fails until someone decides who may use it.
"""

import re

import pytest

from feedback.models import Role
from tests.conftest import sign_in_as
from tests.factories import create_service, create_survey, create_user

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, Role.VOLUNTEER, Role.SERVICE_LEAD, Role.ADMIN]

# Who each blueprint lets in. Public blueprints let everyone in.
EXPECTED = {
    "survey": set(ROLES),
    "health": set(ROLES),
    "auth": set(ROLES),
    "static": set(ROLES),
    "admin": {Role.ADMIN},
    "reports": {Role.SERVICE_LEAD, Role.ADMIN},
    "exports": {Role.SERVICE_LEAD, Role.ADMIN},
    "volunteer": {Role.VOLUNTEER, Role.ADMIN},
    # Nobody signed in: only Twilio's signature opens these (tests/integration/sms).
    "sms_webhook": set(),
    # Nobody signed in: only a service's bearer token opens these (test_api.py).
    "api": set(),
    # No role alone: only those given the safeguarding permission (test_safeguarding.py).
    "safeguarding": set(),
}
SIGNED_BY_TWILIO = {"sms_webhook"}
BEARER_TOKEN = {"api"}


def concrete_path(rule, ids: dict) -> str:
    """Fill a rule's parameters with values that exist, so the guard is what decides."""
    def value(match):
        name = match.group(2)
        return str(ids.get(name, 1))
    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)




@pytest.fixture
def ids(db):
    service = create_service()
    survey = create_survey(service=service)
    user = create_user(email="someone@nhs.test", role="volunteer")
    return {"service": service, "slug": service.slug, "service_id": service.id,
            "survey_id": survey.id, "user_id": user.id, "token": "not-a-token",
            "filename": "dist/app.css", "position": 1, "flag_id": 1,
            "export_id": 1}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_blueprint_is_in_the_access_table(app):
    blueprints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}
    assert blueprints - set(EXPECTED) == set(), "decide who may use these, then add them"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_allows_redirects_or_forbids_as_expected(app, client, ids, role):
    # A service lead leads the service in the URLs: the per-service check is tested below.
    services = [ids["service"]] if role == Role.SERVICE_LEAD else []
    user = None if role == ANONYMOUS else create_user(email=f"{role}@nhs.test", role=role,
                                                      services=services)
    app.config["WTF_CSRF_ENABLED"] = False  # the guard, not the CSRF check, must decide
    try:
        for rule, method in routes(app):
            sign_in_as(client, user)  # afresh each time: one of the routes is sign-out
            blueprint = rule.endpoint.split(".")[0]
            path = concrete_path(rule, ids)
            response = client.open(path, method=method)
            where = f"{method} {path} as {role}"
            assert "script-src 'self'" in response.headers["Content-Security-Policy"], where
            if blueprint in SIGNED_BY_TWILIO | BEARER_TOKEN:
                assert response.status_code == 401, where
            elif role in EXPECTED[blueprint]:
                assert response.status_code not in (401, 403), where
                assert not response.headers.get("Location", "").startswith("/sign-in?next"), where
            elif role == ANONYMOUS:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/sign-in?next="), where
            else:
                assert response.status_code == 403, where
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_a_service_lead_sees_only_their_own_services(client, db):
    mine = create_service(slug="mine", name="Mine")
    theirs = create_service(slug="theirs", name="Theirs")
    lead = create_user(email="lead@nhs.test", role="service_lead", services=[mine])
    sign_in_as(client, lead)
    assert client.get(f"/reports/services/{mine.id}").status_code == 200
    assert client.get(f"/reports/services/{theirs.id}").status_code == 403
    assert client.get("/reports/services/999999").status_code == 404
    listing = client.get("/reports/").get_data(as_text=True)
    assert "Mine" in listing and "Theirs" not in listing
