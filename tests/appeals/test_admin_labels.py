"""The admin shows appeal events with Russian names of actions, states and roles, never the codes
(issue 10, point 17)."""

import re

import pytest

from otklik.accounts.models import User
from tests.intake.conftest import _fast_passwords, _media, advance, citizens  # noqa: F401 - fixtures
from tests.portal.test_track import new_appeal

pytestmark = pytest.mark.django_db


def test_events_show_actions_states_and_roles_in_russian(client, citizens):  # noqa: F811
    advance(new_appeal(citizens), citizens, to="assign")
    client.force_login(User.objects.create_superuser("root", "root@example.org", "secret-pass-1"))
    page = client.get("/admin/appeals/appealevent/").content.decode()
    for code in ("applicant", "system", "moderator", "coordinator", "submit", "accept", "moderation"):
        assert not re.search(rf">\s*{code}\s*<", page), code
    assert "система" in page and "модератор" in page and "координатор" in page
    filtered = client.get("/admin/appeals/appealevent/?role=system").content.decode()
    assert "система" in filtered and not re.search(r"<td class=\"field-role_label\">модератор<", filtered)
