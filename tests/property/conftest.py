"""Hypothesis profiles for the property tests, and a fresh test client for each example.

"dev" (the default) tries many examples and keeps failures in .hypothesis/ to try first next
time. "ci", loaded when CI=true, tries few, derandomized so that every CI run tries the same
ones and a failure there is one anyone can repeat, with no example database to carry over.
Neither has a deadline: each example is a dozen requests against a real database, whose
timing depends on the machine, not on the input. HYPOTHESIS_PROFILE picks one by name.

Hypothesis settings are global, so loading a profile here changes the defaults for every test
in the run; the profiles set only how many examples to try and how, never a health check, and
tests elsewhere that need other numbers say so in their own @settings.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("dev", max_examples=150, deadline=None)
settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True, database=None,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") == "true" else "dev"))


@pytest.fixture
def new_client(app, client):
    """`new_client()`: a test client with no cookies, as a new visitor would have.

    Hypothesis runs every example inside one call of the test, so function-scoped fixtures
    are shared by all the examples; each example takes its own client instead.
    """
    return lambda: app.test_client()
