"""Automatic routing: above the region's threshold a sure suggestion decides, as an event that says so,
and the dashboard counts how many automatic decisions were later corrected."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.accounts.models import Role
from otklik.appeals.lifecycle import Action, State
from otklik.appeals.models import AppealEvent
from otklik.appeals.services import appeal_redirect, appeal_submit
from otklik.routing import selectors
from otklik.routing.services import routing_models_train
from tests import factories as f

pytestmark = pytest.mark.django_db
SURE = "Не горит фонарь у дома, на улице темно, лампа в светильнике перегорела, столб без света"


@pytest.fixture
def trained(routing_region, history):
    routing_region.decided(history)
    routing_models_train()
    return routing_region


def _submit(region, text, category="освещение", territory="Южный район", capture=None):
    with capture(execute=True):
        return appeal_submit(text=text, category=region.categories[category],
                             territory=region.territories[territory], applicant_email="a@example.org")


def _set(region, **fields):
    for name, value in fields.items():
        setattr(region.settings, name, value)
    region.settings.save()


def test_a_sure_message_is_routed_automatically_and_the_event_says_so(trained, django_capture_on_commit_callbacks):
    _set(trained, auto_route=True, auto_route_threshold=0.6)
    appeal = _submit(trained, SURE, capture=django_capture_on_commit_callbacks)
    appeal.refresh_from_db()
    assert appeal.state == State.COORDINATION
    assert appeal.organization.name == "Администрация: Южный район"
    event = AppealEvent.objects.get(appeal=appeal, action=Action.ACCEPT)
    assert event.role == "system" and event.actor is None
    assert event.payload["automatic"] is True
    assert event.payload["category_confidence"] >= 0.6 and event.payload["organization_confidence"] >= 0.6
    assert event.payload["model_versions"]["category"] == 1


def test_below_the_threshold_the_moderator_decides(trained, django_capture_on_commit_callbacks):
    _set(trained, auto_route=True, auto_route_threshold=0.999)
    appeal = _submit(trained, SURE, capture=django_capture_on_commit_callbacks)
    appeal.refresh_from_db()
    assert appeal.state == State.MODERATION
    assert not AppealEvent.objects.filter(appeal=appeal, action=Action.ACCEPT).exists()


def test_nothing_is_automatic_unless_the_region_turns_it_on(trained, django_capture_on_commit_callbacks):
    _set(trained, auto_route=False, auto_route_threshold=0.5)
    appeal = _submit(trained, SURE, capture=django_capture_on_commit_callbacks)
    appeal.refresh_from_db()
    assert appeal.state == State.MODERATION


def test_a_model_that_disagrees_with_the_chosen_category_leaves_it_to_the_moderator(
        trained, django_capture_on_commit_callbacks):
    _set(trained, auto_route=True, auto_route_threshold=0.5)
    appeal = _submit(trained, SURE, category="вода", capture=django_capture_on_commit_callbacks)
    appeal.refresh_from_db()
    assert appeal.state == State.MODERATION


def test_the_dashboard_counts_automatic_routings_later_redirected(trained, django_capture_on_commit_callbacks):
    _set(trained, auto_route=True, auto_route_threshold=0.6)
    kept = _submit(trained, SURE, capture=django_capture_on_commit_callbacks)
    wrong = _submit(trained, SURE + ", и ещё раз", capture=django_capture_on_commit_callbacks)
    by_hand = _submit(trained, "Просим разобраться", category="вода", capture=django_capture_on_commit_callbacks)
    south = trained.organizations["Администрация: Южный район"]
    coordinator = f.user("coord", (Role.COORDINATOR, south))
    appeal_redirect(appeal_id=wrong.pk, user=coordinator, organization_id=trained.organizations[
        "Администрация: Северный район"].pk, reason="Дом на территории северного района")
    regional = f.user("regional", (Role.REGIONAL_COORDINATOR, south))
    figures = selectors.automatic_routing_figures(regional)
    assert (figures.routed, figures.corrected) == (2, 1)
    assert figures.accuracy == 0.5
    kept.refresh_from_db()
    by_hand.refresh_from_db()
    assert by_hand.state == State.MODERATION
    # An official of an unrelated organisation sees none of these appeals, so counts none of them.
    outsider = f.user("outsider", (Role.COORDINATOR, f.organization("Другая")))
    assert selectors.automatic_routing_figures(outsider).routed == 0


def test_the_card_recounts_the_automatic_decisions_every_few_minutes_not_on_every_card(
        trained, django_capture_on_commit_callbacks):
    _set(trained, auto_route=True, auto_route_threshold=0.6)
    _submit(trained, SURE, capture=django_capture_on_commit_callbacks)
    by_hand = _submit(trained, "Просим разобраться", category="вода", capture=django_capture_on_commit_callbacks)
    moderator = trained.moderator
    card = selectors.card(moderator, by_hand)
    assert card is not None and card.automatic.routed == 1
    _submit(trained, SURE + ", и ещё раз", capture=django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.card(moderator, by_hand)
    assert again is not None and again.automatic.routed == 1  # as counted a moment ago
    assert not [q for q in queries.captured_queries if "appeals_appealevent" in q["sql"] and "COUNT" in q["sql"]]
    assert selectors.automatic_routing_figures(moderator).routed == 2  # what the next recount shows
    cache.delete(f"routing:automatic:{moderator.pk}")  # the few minutes have passed
    recounted = selectors.card(moderator, by_hand)
    assert recounted is not None and recounted.automatic.routed == 2
