from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from huey.contrib.djhuey import HUEY

pytest_plugins = ["tests.browser_fixtures"]


def pytest_configure(config):
    from django.conf import settings

    # Tests create many accounts; the production hasher costs a second or more each on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Public texts are checked for personal data in full, never left to a background task by a timer, so a
    # test's result does not depend on the machine's speed (tests/security/test_personal_data.py tests the
    # budget itself).
    settings.PII_PUBLIC_BUDGET_SECONDS = float("inf")


# Every test runs under a controlled clock: the suite passes on any date. The default moment is the
# day a 30-day term first ran into the New Year holidays; OTKLIK_TEST_NOW (ISO, with an offset) runs
# the whole suite at another moment, e.g. before a release. Browser tests keep the real clock: Chromium
# drops session cookies whose expiry, computed from a fixed clock, is already in its past.
TEST_NOW = dt.datetime.fromisoformat(os.environ.get("OTKLIK_TEST_NOW", "2026-12-02T10:00:00+03:00"))
REAL_CLOCK_FIXTURES = {"browser", "page"}


@pytest.fixture(autouse=True)
def _controlled_clock(request):
    if REAL_CLOCK_FIXTURES & set(request.fixturenames):
        yield None
        return
    with time_machine.travel(TEST_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _tasks_run_inline():
    """Background tasks run in the test process, so their effects can be asserted."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with empty rate-limit counters and caches, as a new deployment does."""
    from django.core.cache import cache

    from otklik.core import versions

    cache.clear()
    versions.forget()  # each test's database is rolled back: what a process kept from it is not valid
    yield


@pytest.fixture
def region(db):
    from otklik.registry.selectors import region_settings

    row = region_settings()
    row.name = "Тестовая область"
    row.save()
    return row
