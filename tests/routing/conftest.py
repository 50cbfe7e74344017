from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.registry.models import Category, Organization, Territory
from otklik.routing import selectors
from otklik.routing.models import RoutingSettings
from otklik.routing.synthetic import TERRITORIES, VOCABULARY, Message, messages, organization_for
from tests import factories as f

_numbers = itertools.count(1)


@dataclass
class Region:
    categories: dict[str, Category]
    territories: dict[str, Territory]
    organizations: dict[str, Organization]
    moderator: User
    settings: RoutingSettings

    def decided(self, items: list[Message], state: str = State.EXECUTION) -> list[Appeal]:
        """Appeals as the moderators left them (rows written directly: the services are not under test here)."""
        now = timezone.now() - dt.timedelta(days=10)
        rows = [
            Appeal(number=f"T-{next(_numbers)}", text=m.text, state=state, received_at=now, state_changed_at=now,
                   category=self.categories[m.category], territory=self.territories[m.territory],
                   organization=self.organizations[m.organization])
            for m in items
        ]
        return Appeal.objects.bulk_create(rows)


@pytest.fixture
def routing_region(region, settings, tmp_path) -> Region:
    settings.MEDIA_ROOT = tmp_path / "media"
    selectors._loaded.clear()
    territories = {name: f.territory(name) for name in TERRITORIES}
    categories = {name: f.category(name.capitalize(), keywords=", ".join(words))
                  for name, words in VOCABULARY.items()}
    organizations: dict[str, Organization] = {}
    for name in VOCABULARY:
        for place in TERRITORIES:
            org_name = organization_for(name, place)
            if org_name not in organizations:
                organizations[org_name] = f.organization(org_name)
            if org_name.startswith("Министерство"):
                if place == TERRITORIES[0]:
                    f.route(categories[name], organizations[org_name])
            else:
                f.route(categories[name], organizations[org_name], territories[place])
    row = RoutingSettings.objects.create(min_training_appeals=100)
    moderator = f.user("moderator", (Role.MODERATOR, organizations[organization_for("дороги", TERRITORIES[0])]))
    return Region(categories, territories, organizations, moderator, row)


@pytest.fixture
def history():
    return messages(400, seed=11)
