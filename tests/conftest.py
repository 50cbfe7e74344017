from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

pytest_plugins = ["tests.browser_fixtures"]


def pytest_configure(config):
    from django.conf import settings

    # Tests create many accounts; the production hasher costs a second or more each on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_inline():
    """Background tasks run in the test process, so their effects can be asserted."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def region(db):
    from otklik.registry.selectors import region_settings

    row = region_settings()
    row.name = "Тестовая область"
    row.save()
    return row
