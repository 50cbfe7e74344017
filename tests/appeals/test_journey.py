import pytest
from django.core import mail

from otklik.appeals import services as s
from otklik.appeals.lifecycle import State
from otklik.appeals.models import AppealEvent

pytestmark = pytest.mark.django_db


def test_it_takes_a_message_from_submission_to_a_closed_rated_answer(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = s.appeal_submit(text="Яма на дороге", category=world.category, territory=world.territory,
                                 applicant_name="Иванов И. И.", applicant_email="ivanov@example.org")
        assert appeal.state == State.MODERATION
        appeal = s.appeal_accept(appeal_id=appeal.pk, user=world.moderator)
        assert appeal.organization == world.org and appeal.state == State.COORDINATION
        appeal = s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk)
        s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Яма будет заделана до 1 июня.")
        s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor)
        s.appeal_approve(appeal_id=appeal.pk, user=world.head)
        appeal = s.appeal_publish(appeal_id=appeal.pk, user=world.head)
        assert appeal.state == State.ANSWERED and appeal.answer_text.startswith("Яма будет")
        appeal = s.appeal_rate(appeal_id=appeal.pk, rating=5, token=appeal.access_token)
        assert appeal.state == State.CLOSED

    actions = list(AppealEvent.objects.filter(appeal=appeal).values_list("action", flat=True))
    assert actions == ["submit", "register", "accept", "assign", "draft", "send_for_approval", "approve",
                       "publish", "rate", "close"]
    to_applicant = [m for m in mail.outbox if m.to == ["ivanov@example.org"]]
    assert [appeal.number in m.subject for m in to_applicant] == [True, True, True]  # registered, routed, answered
    assert "Яма будет заделана до 1 июня." in to_applicant[-1].body
