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


def test_an_events_page_and_the_registry_journal_speak_russian(client, citizens):  # noqa: F811
    from otklik.appeals.models import AppealEvent
    from otklik.registry.models import Official
    from otklik.registry.services import registry_save

    advance(new_appeal(citizens), citizens, to="accept")
    root = User.objects.create_superuser("root", "root@example.org", "secret-pass-1")
    official = Official(organization=citizens.org, kind=Official.Kind.RESPONSIBLE, full_name="Петров П. П.",
                        position="заместитель главы")
    registry_save(actor=root, instance=official)
    client.force_login(root)
    event = AppealEvent.objects.filter(action="accept").first()
    detail = client.get(f"/admin/appeals/appealevent/{event.pk}/change/").content.decode()
    assert "принять" in detail.lower() and "accept" not in re.sub(r"<[^>]+>", "", detail).split("Журнал")[0].lower()
    journal = client.get("/admin/registry/registrychange/").content.decode()
    assert not re.search(r">\s*(official|create|update)\s*<", journal)
    assert "добавлено" in journal.lower() or "добавлен" in journal.lower()
