"""Every staff queue holds appeals of its own states only, all of them open: the side menu counts the queues
over a scope's appeals in those states (appeals/selectors.queue_counts), so a queue that took in another
appeal would be miscounted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from otklik.appeals.lifecycle import OPEN_STATES, Regime, State
from otklik.appeals.models import Appeal
from otklik.appeals.selectors import QUEUES
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_no_queue_takes_in_a_closed_appeal_whatever_else_it_matches(region):
    now = timezone.now()
    org = f.organization("Администрация Закрытска")
    past, future = now - dt.timedelta(days=3), now + dt.timedelta(days=3)
    rows = []
    for state in sorted(set(State.values) - {str(s) for s in OPEN_STATES}):
        for regime in (Regime.POS, Regime.SOCIAL):
            for due in (past, future):
                # Everything any queue's condition looks at besides the state is set to match it.
                rows.append(Appeal(number=f"2026-7{len(rows):05d}", text="Закрыто", state=state, regime=regime,
                                   organization=org, received_at=past, state_changed_at=past, due_at=due,
                                   warn_at=past, executor_alarm_at=past, proposed_until=future.date(),
                                   redirect_count=1, significant=True))
    Appeal.objects.bulk_create(rows)
    open_appeal = Appeal.objects.create(number="2026-799999", text="Открыто", state=State.COORDINATION,
                                        organization=org, received_at=past, state_changed_at=past, due_at=past)
    for queue in QUEUES.values():
        matched = Appeal.objects.filter(queue.condition(now))
        assert not matched.exclude(state__in=[str(s) for s in OPEN_STATES]).exists(), queue.key
        assert not matched.exclude(state__in=[str(s) for s in queue.states]).exists(), queue.key
    assert Appeal.objects.filter(QUEUES["overdue"].condition(now), pk=open_appeal.pk).exists()


def test_a_queue_of_closed_appeals_cannot_be_defined():
    from otklik.accounts.models import Role
    from otklik.appeals.selectors import Queue

    with pytest.raises(ValueError, match="closed states"):
        Queue("answered", frozenset({Role.HEAD}), (State.ANSWERED,))
