"""Anonymous survey posts are throttled per address, with counters that expire."""

import pytest

from feedback.config import TestConfig
from tests.factories import create_survey


class ThrottledConfig(TestConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    SURVEY_POST_RATE_LIMIT = "3 per minute"
    WTF_CSRF_ENABLED = False


@pytest.fixture
def throttled_client(second_app):
    throttled = second_app(ThrottledConfig)
    with throttled.app_context():
        create_survey()
    return throttled.test_client()


def test_survey_posts_get_a_translated_429_when_an_address_sends_too_many(throttled_client):
    statuses = [
        throttled_client.post("/s/video-appointments", headers={"Accept-Language": "pl"},
                              environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3] == 429
    refused = throttled_client.post("/s/video-appointments",
                                    environ_base={"REMOTE_ADDR": "198.51.100.9"},
                                    headers={"Accept-Language": "pl"})
    assert 'lang="pl"' in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers


def test_other_addresses_and_page_views_are_not_throttled(throttled_client):
    for _ in range(4):
        throttled_client.post("/s/video-appointments", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    other = throttled_client.post("/s/video-appointments",
                                  environ_base={"REMOTE_ADDR": "198.51.100.10"})
    assert other.status_code == 302
    assert throttled_client.get("/s/video-appointments",
                                environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200
