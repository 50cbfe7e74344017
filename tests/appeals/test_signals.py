"""Domains above appeals follow the lifecycle through ``event_recorded``, sent only after commit."""

import pytest
from django.db import transaction

from otklik.appeals import services
from otklik.appeals.signals import event_recorded

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    calls: list[tuple[int, list[str]]] = []

    def receiver(sender, appeal_id, actions, **kwargs):
        calls.append((appeal_id, actions))

    event_recorded.connect(receiver)
    yield calls
    event_recorded.disconnect(receiver)


def test_a_submission_registered_at_once_is_heard_once_with_both_actions(heard):
    appeal = services.appeal_submit(text="Яма на дороге")
    assert heard == [(appeal.pk, ["submit", "register"])]


def test_nothing_is_heard_from_a_transaction_that_rolls_back(heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.appeal_submit(text="Яма на дороге")
        raise RuntimeError
    assert heard == []
