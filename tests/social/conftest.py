from __future__ import annotations

import pytest

from tests.social.fakes import FakeNetworks


@pytest.fixture
def networks():
    fake = FakeNetworks().start()
    yield fake
    fake.stop()
