"""Issue 10, point 13: the history and the messages after an action say what happened («Принято …»),
not a bare verb («принять»); «Согласовать» everywhere; a rework notice tells the executor what to fix."""

import pytest

from otklik.appeals import services as s
from otklik.appeals.models import AppealEvent
from otklik.notifications.models import Notice
from tests.intake.conftest import _fast_passwords, _media, advance, citizens  # noqa: F401 - fixtures
from tests.portal.test_track import new_appeal

pytestmark = pytest.mark.django_db


def test_the_history_says_what_happened_in_the_past_tense(client, citizens):  # noqa: F811
    appeal = advance(new_appeal(citizens), citizens, to="answer")
    client.force_login(citizens.head)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    for said in ("Сообщение подано", "Принято и направлено в организацию", "Исполнитель назначен",
                 "Ответ отправлен на согласование", "Ответ согласован"):
        assert said in card, said
    for bare in ("подать", "«принять»", "назначить исполнителя"):
        assert bare not in card, bare
    assert "Утвердить" not in card


def test_a_rework_notice_tells_the_executor_what_to_fix(citizens):  # noqa: F811
    appeal = advance(new_appeal(citizens), citizens, to="assign")
    s.appeal_draft(appeal_id=appeal.pk, user=citizens.executor, text="Яма заделана.")
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=citizens.executor)
    s.appeal_return_for_rework(appeal_id=appeal.pk, user=citizens.head, reason="other",
                               comment="Приложите фото после ремонта")
    event = AppealEvent.objects.get(appeal=appeal, action="return_for_rework")
    notice = Notice.objects.get(appeal=appeal, kind="rework")
    assert notice.recipient_id == citizens.executor.pk
    assert "Что исправить:" in notice.body and "Приложите фото после ремонта" in notice.body
    assert event.reason in notice.body and f"/workspace/appeals/{appeal.pk}/" in notice.body
