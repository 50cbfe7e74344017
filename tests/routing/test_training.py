"""Training on the deployment's own decisions, versions and rollback, cold start, the periodic retrain."""

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.core.tasks import SCHEDULE_FIELDS
from otklik.routing import selectors
from otklik.routing.models import RoutingModel
from otklik.routing.services import routing_model_activate, routing_models_train
from otklik.routing.synthetic import messages

pytestmark = pytest.mark.django_db


def _appeal(region, text, territory="Южный район"):
    return Appeal(text=text, territory=region.territories[territory], territory_id=region.territories[territory].pk)


def test_without_history_it_starts_from_the_categories_keywords(routing_region):
    rows = routing_models_train()
    assert [(r.target, r.source, r.version) for r in rows] == [("category", "keywords", 1)]
    assert RoutingModel.objects.get().is_active
    found = selectors.suggestions(_appeal(routing_region, "Опять не горит фонарь, на улице темно"))
    assert found.categories[0].name == "Освещение"
    # The table turns the category into the organisation of the appeal's place.
    assert found.organizations[0].name == "Администрация: Южный район"
    assert found.organization_source == "table"
    # A keyword model suggests; it never decides alone, however sure it is.
    assert not found.from_history and found.automatic_choice(0.0) is None
    # The nightly run adds no new version while the keywords stay the same; a changed keyword makes one.
    assert routing_models_train() == []
    category = routing_region.categories["вода"]
    category.keywords += ", кран"
    category.save()
    assert [r.version for r in routing_models_train()] == [2]


def test_it_trains_on_decided_appeals_only_and_records_its_figures(routing_region, history):
    routing_region.decided(history[:300])
    routing_region.decided(history[300:], state=State.MODERATION)  # not decided yet: not a lesson
    out = io.StringIO()
    call_command("routing_train", stdout=out)
    printed = {row["target"]: row for row in json.loads(out.getvalue())}
    assert set(printed) == {"category", "organization"}
    assert printed["category"]["source"] == "history" and printed["category"]["examples"] == 300
    assert printed["category"]["active"] and printed["organization"]["active"]
    metrics = printed["category"]["metrics"]
    assert metrics["category"]["accuracy"] > 0.8 and 55 <= metrics["category"]["held_out"] <= 60
    assert 0 <= metrics["category"]["calibration_error"] < 0.15
    assert {"accuracy", "table_accuracy"} <= set(metrics["organization"])
    found = selectors.suggestions(_appeal(routing_region, "Автобус по маршруту не пришёл, водитель хамит"))
    assert found.from_history and found.categories[0].name == "Транспорт"
    assert found.categories[0].confidence > found.categories[1].confidence
    assert len(found.categories) == 3 and len(found.organizations) >= 1
    assert found.categories[0].because  # the words that weighed most


def test_the_learned_organisation_model_replaces_the_table_only_when_measured_better(routing_region, history):
    routing_region.decided(history[:300])
    routing_models_train()
    row = RoutingModel.objects.get(target="organization", is_active=True)
    organization = row.metrics["organization"]
    found = selectors.suggestions(_appeal(routing_region, "Мусор не вывозят, контейнер переполнен"))
    expected = "model" if organization["accuracy"] > organization["table_accuracy"] else "table"
    assert found.organization_source == expected
    assert found.organizations[0].name == "Администрация: Южный район"


def test_versions_are_kept_and_an_older_one_can_be_made_active_again(routing_region, history):
    routing_region.decided(history[:300])
    first = routing_models_train()
    second = routing_models_train()
    assert [r.version for r in second] == [2, 2]
    assert RoutingModel.objects.filter(is_active=True, version=2).count() == 2
    assert selectors.active_model("category")[0].version == 2
    routing_model_activate(model_id=first[0].pk)
    assert selectors.active_model("category")[0].version == 1
    assert RoutingModel.objects.filter(target="category", is_active=True).count() == 1
    assert default_storage.exists(second[0].file.name)  # the newer file stays for a roll forward


def test_a_model_file_changed_on_disk_is_not_loaded(routing_region):
    row = routing_models_train()[0]
    selectors._loaded.clear()
    path = default_storage.path(row.file.name)
    with open(path, "ab") as handle:
        handle.write(b"tampered")
    assert selectors.active_model("category") is None


def test_retraining_is_a_periodic_task_in_the_one_schedule(routing_region, history):
    from otklik.routing.tasks import retrain

    assert "otklik.routing.tasks.retrain" in SCHEDULE_FIELDS
    routing_region.decided(messages(150, seed=3))
    retrain.enqueue()
    assert RoutingModel.objects.filter(source="history", is_active=True).count() == 2


def test_an_administrator_rolls_back_to_an_older_version_in_admin(routing_region, history, client):
    from otklik.accounts.models import User

    routing_region.decided(history[:300])
    first = routing_models_train()
    routing_models_train()
    admin = User.objects.create_superuser("root", "root@example.org", "secret-pass-1")
    client.force_login(admin)
    listing = client.get("/admin/routing/routingmodel/").content.decode()
    assert "Сделать выбранную версию действующей" in listing
    older = next(r for r in first if r.target == "category")
    response = client.post("/admin/routing/routingmodel/", {"action": "activate", "_selected_action": [older.pk]})
    assert response.status_code == 302
    assert selectors.active_model("category")[0].version == 1
    assert selectors.active_model("organization")[0].version == 2  # the other target is left as it was
