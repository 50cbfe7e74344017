"""The deadline rules of the acts, one test per rule, on a controlled clock (``now=``).

pos (docs 001 p. 7, 10 and 002 p. 7): 30 / 10 calendar days from registration, postponement to a
concrete date with notice, the 75 % rule; fz59 (59-FZ Art. 8, 12): registration 3 days, redirect 7
days, answer 30 days, extension at most 30 days with notice; social (domain.md §3): 9 / 4 working
hours, the final answer 7 working days after an intermediate one. Dates come from the production
calendar (see tests/core/test_calendar.py for the calendar facts used here).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach, Stage
from otklik.appeals.sweeps import sweep
from otklik.notifications.models import Notice
from otklik.registry.models import CalendarOverride
from tests import factories as f

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
APPLICANT_EMAIL = "ivanov@example.org"
MINUTE = dt.timedelta(minutes=1)


def msk(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=MSK)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 23, 59, 59, 999999, tzinfo=MSK)


def submit(world, *, now, category=None, regime=Regime.POS, **fields) -> Appeal:
    fields.setdefault("applicant_name", "Иванов И. И.")
    fields.setdefault("applicant_email", APPLICANT_EMAIL)
    return s.appeal_submit(text="Яма на дороге у дома 5", category=category or world.category,
                           territory=world.territory, regime=regime, now=now, **fields)


def in_execution(world, *, now, category=None, **fields) -> Appeal:
    appeal = submit(world, now=now, category=category, **fields)
    if appeal.regime == Regime.FZ59:
        s.appeal_register(appeal_id=appeal.pk, user=world.moderator, now=now)
    s.appeal_accept(appeal_id=appeal.pk, user=world.moderator, now=now)
    return s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk, now=now)


def in_approval(world, *, now, category=None) -> Appeal:
    appeal = in_execution(world, now=now, category=category)
    s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Яма будет заделана.", now=now)
    return s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, now=now)


def answered(world, *, now) -> Appeal:
    appeal = in_approval(world, now=now)
    s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=now)
    return s.appeal_publish(appeal_id=appeal.pk, user=world.head, now=now)


def registered_fz59(world, *, received, registered) -> Appeal:
    appeal = submit(world, now=received, regime=Regime.FZ59)
    return s.appeal_register(appeal_id=appeal.pk, user=world.moderator, now=registered)


def fz59_in_coordination(world, *, now) -> Appeal:
    appeal = registered_fz59(world, received=now, registered=now)
    return s.appeal_accept(appeal_id=appeal.pk, user=world.moderator, now=now)


def social_post(world, *, now, **fields) -> Appeal:
    return s.appeal_submit(text="Во дворе третий день не вывозят мусор", regime=Regime.SOCIAL, channel="social",
                           category=world.category, territory=world.territory, social_author="vk.com/id1",
                           now=now, **fields)


def notices(kind: str, **filters) -> list[Notice]:
    return list(Notice.objects.filter(kind=kind, **filters))


def mails_to_applicant() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [APPLICANT_EMAIL]]


def refused(code: str, call, **kwargs) -> None:
    with pytest.raises(s.AppealError) as caught:
        call(**kwargs)
    assert caught.value.code == code


# --- pos: the answer term -------------------------------------------------------------------------


def test_pos_message_is_answered_in_30_calendar_days_from_registration(world):
    appeal = submit(world, now=msk(2025, 11, 10, 10))

    assert appeal.registered_at == msk(2025, 11, 10, 10)
    assert appeal.term_started_at == msk(2025, 11, 10, 10)
    assert appeal.due_at == end_of(2025, 12, 10)


def test_accelerated_category_is_answered_in_10_calendar_days(world):
    appeal = submit(world, now=msk(2025, 11, 10, 10), category=world.accelerated)

    assert appeal.due_at == end_of(2025, 11, 20)


def test_accelerated_category_never_exceeds_the_region_accelerated_term(world, region):
    careless = f.category("Авария на водопроводе", days=30, procedure="accelerated")
    f.route(careless, world.org)

    assert submit(world, now=msk(2025, 11, 10, 10), category=careless).due_at == end_of(2025, 11, 20)
    region.answer_days_accelerated = 7
    region.save()
    assert submit(world, now=msk(2025, 11, 10, 10), category=careless).due_at == end_of(2025, 11, 17)


def test_region_may_set_a_shorter_ordinary_term(world, region):
    region.answer_days_default = 20
    region.save()

    assert submit(world, now=msk(2025, 11, 10, 10)).due_at == end_of(2025, 12, 1)  # 11-30 is a Sunday


def test_regional_override_of_the_category_days_replaces_the_approved_term(world):
    world.category.region_answer_days = 5
    world.category.save()

    assert submit(world, now=msk(2025, 11, 10, 10)).due_at == end_of(2025, 11, 17)  # 11-15 is a Saturday


def test_deadline_on_a_day_off_moves_to_the_next_working_day(world):
    # 2025-10-04 + 30 = 2025-11-03 (day off moved from 11-01), 11-04 is National Unity Day.
    assert submit(world, now=msk(2025, 10, 4, 10)).due_at == end_of(2025, 11, 5)


def test_deadline_on_a_day_off_stays_when_the_region_setting_is_off(world, region):
    region.move_deadline_off_day = False
    region.save()

    assert submit(world, now=msk(2025, 10, 4, 10)).due_at == end_of(2025, 11, 3)


def test_deadline_in_the_new_year_holidays_moves_to_the_first_working_day_after_them(world):
    # 2025-12-02 + 30 = 2026-01-01; 01-01..08 holidays, 01-09 moved day off, 01-10/11 weekend.
    assert submit(world, now=msk(2025, 12, 2, 10)).due_at == end_of(2026, 1, 12)


def test_deadline_in_the_may_holidays_moves_past_the_transferred_day_off(world):
    # 2026-04-09 + 30 = 2026-05-09 (Victory Day, a Saturday); 05-11 is its transferred day off.
    assert submit(world, now=msk(2026, 4, 9, 10)).due_at == end_of(2026, 5, 12)


def test_deadline_on_a_transferred_working_saturday_stays_there(world):
    assert submit(world, now=msk(2025, 10, 2, 10)).due_at == end_of(2025, 11, 1)


def test_regional_extra_day_off_moves_a_deadline(world):
    CalendarOverride.objects.create(day=dt.date(2025, 12, 10), kind=CalendarOverride.Kind.DAY_OFF)

    assert submit(world, now=msk(2025, 11, 10, 10)).due_at == end_of(2025, 12, 11)


def test_regional_extra_working_day_keeps_a_deadline_on_it(world):
    CalendarOverride.objects.create(day=dt.date(2025, 11, 8), kind=CalendarOverride.Kind.WORKING_DAY)

    assert submit(world, now=msk(2025, 10, 9, 10)).due_at == end_of(2025, 11, 8)


def test_message_at_23_30_moscow_counts_on_that_moscow_day(world):
    late = dt.datetime(2025, 11, 10, 20, 30, tzinfo=dt.UTC)  # 23:30 in Moscow

    appeal = submit(world, now=late)

    assert appeal.number.startswith("2025-")
    assert appeal.due_at == end_of(2025, 12, 10)


def test_reclassification_recounts_the_term_from_registration(world):
    appeal = submit(world, now=msk(2025, 11, 10, 10))

    appeal = s.appeal_reclassify(appeal_id=appeal.pk, user=world.moderator, category_id=world.accelerated.pk,
                                 now=msk(2025, 11, 11, 10))

    assert appeal.due_at == end_of(2025, 11, 20)


# --- pos: postponement and the 75 % rule ----------------------------------------------------------


def test_postponement_to_a_concrete_date_notifies_the_applicant(world, django_capture_on_commit_callbacks):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    with django_capture_on_commit_callbacks(execute=True):
        appeal = s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, until=dt.date(2025, 12, 20),
                                   reason="Нужен ремонт теплотрассы", now=msk(2025, 11, 12, 10))

    assert appeal.state == State.POSTPONED
    assert appeal.postponed_until == dt.date(2025, 12, 20)
    assert appeal.due_at == end_of(2025, 12, 20)
    assert appeal.stage_due_at == end_of(2025, 12, 20)
    [letter] = mails_to_applicant()
    assert appeal.number in letter.subject
    assert "20.12.2025" in letter.body


def test_postponement_must_be_later_than_the_current_deadline(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    kwargs = {"appeal_id": appeal.pk, "user": world.coordinator, "reason": "Нужен ремонт", "now": msk(2025, 11, 12, 10)}

    refused("date_not_later", s.appeal_postpone, until=dt.date(2025, 12, 10), **kwargs)
    refused("date_not_later", s.appeal_postpone, until=dt.date(2025, 12, 1), **kwargs)
    refused("date_in_past", s.appeal_postpone, until=dt.date(2025, 11, 12), **kwargs)
    refused("required", s.appeal_postpone, until=dt.date(2025, 12, 20), **{**kwargs, "reason": " "})
    assert Appeal.objects.get(pk=appeal.pk).state == State.EXECUTION
    s.appeal_postpone(until=dt.date(2025, 12, 11), **kwargs)


def test_second_postponement_moves_the_stage_deadline_too(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, until=dt.date(2025, 12, 20), reason="Ремонт",
                      now=msk(2025, 11, 12, 10))

    appeal = s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, until=dt.date(2026, 1, 20),
                               reason="Подрядчик сорвал сроки", now=msk(2025, 12, 15, 10))

    assert appeal.due_at == appeal.stage_due_at == end_of(2026, 1, 20)
    result = sweep(now=msk(2025, 12, 25))
    assert (result.overdue, result.stage_overdue) == (0, 0)
    assert not DeadlineBreach.objects.exists()


def _postponed(world, *, at: dt.datetime, until: dt.date) -> tuple[Appeal, dt.datetime]:
    """A postponed appeal and the moment when no more than 75 % of its postponed term remains."""
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    appeal = s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, until=until, reason="Ремонт", now=at)
    assert appeal.due_at is not None
    return appeal, at + (appeal.due_at - at) / 4


def test_postponed_appeal_needs_executor_when_75_percent_of_its_term_remains(world):
    appeal, quarter_passed = _postponed(world, at=msk(2025, 11, 12, 10), until=dt.date(2025, 12, 20))

    assert sweep(now=msk(2025, 11, 13)).needs_executor == 0
    assert sweep(now=quarter_passed - MINUTE).needs_executor == 0
    assert notices("needs_executor") == []

    assert sweep(now=quarter_passed + MINUTE).needs_executor == 1
    [notice] = notices("needs_executor")
    assert notice.recipient == world.coordinator and notice.appeal_id == appeal.pk
    assert sweep(now=quarter_passed + dt.timedelta(days=3)).needs_executor == 0
    assert len(notices("needs_executor")) == 1


def test_the_75_percent_share_is_a_region_setting(world, region):
    region.postponed_executor_percent = 50
    region.save()
    at = msk(2025, 11, 12, 10)
    appeal, _quarter = _postponed(world, at=at, until=dt.date(2025, 12, 20))
    assert appeal.due_at is not None
    half = at + (appeal.due_at - at) / 2

    assert sweep(now=half - MINUTE).needs_executor == 0
    assert sweep(now=half + MINUTE).needs_executor == 1


def test_postponed_appeal_with_a_reassigned_executor_needs_no_alarm(world):
    appeal, quarter_passed = _postponed(world, at=msk(2025, 11, 12, 10), until=dt.date(2025, 12, 20))

    appeal = s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.other_executor.pk,
                             now=msk(2025, 11, 14, 10))

    assert appeal.state == State.POSTPONED and appeal.executor == world.other_executor
    assert sweep(now=quarter_passed + MINUTE).needs_executor == 0
    assert notices("needs_executor") == []


def test_reassigning_after_the_alarm_clears_it(world):
    appeal, quarter_passed = _postponed(world, at=msk(2025, 11, 12, 10), until=dt.date(2025, 12, 20))
    assert sweep(now=quarter_passed + MINUTE).needs_executor == 1

    appeal = s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk,
                             now=quarter_passed + dt.timedelta(hours=1))

    assert appeal.executor_alarm_at is None and appeal.executor_alarm_marked_at is None
    assert sweep(now=quarter_passed + dt.timedelta(days=5)).needs_executor == 0
    assert len(notices("needs_executor")) == 1


def test_a_new_postponement_arms_the_75_percent_rule_again(world):
    appeal, quarter_passed = _postponed(world, at=msk(2025, 11, 12, 10), until=dt.date(2025, 12, 20))
    sweep(now=quarter_passed + MINUTE)
    s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk,
                    now=quarter_passed + dt.timedelta(hours=1))

    at = msk(2025, 12, 15, 10)
    appeal = s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, until=dt.date(2026, 2, 15),
                               reason="Ждём подрядчика", now=at)

    assert appeal.due_at is not None
    assert sweep(now=at + (appeal.due_at - at) / 4 + MINUTE).needs_executor == 1
    assert len(notices("needs_executor")) == 2



def test_leaving_postponement_disarms_the_75_percent_rule(world):
    appeal, quarter_passed = _postponed(world, at=msk(2025, 11, 12, 10), until=dt.date(2025, 12, 20))
    s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Ремонт выполнен.", now=msk(2025, 11, 13, 10))

    appeal = s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 13, 10))
    assert appeal.executor_alarm_at is None
    appeal = s.appeal_return_for_rework(appeal_id=appeal.pk, user=world.head, reason="no_evidence",
                                        now=msk(2025, 11, 14, 10))

    assert appeal.state == State.EXECUTION and appeal.executor_alarm_at is None
    assert sweep(now=quarter_passed + MINUTE).needs_executor == 0

# --- rework and redirect --------------------------------------------------------------------------


def test_return_for_rework_requires_a_reason_from_the_configured_list(world, region):
    region.rework_reasons = [{"code": "no_photo", "name": "Нет фотографии результата"}]
    region.save()
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))
    kwargs = {"appeal_id": appeal.pk, "user": world.head, "now": msk(2025, 11, 11, 10)}

    refused("reason_required", s.appeal_return_for_rework, reason="", **kwargs)
    refused("reason_required", s.appeal_return_for_rework, reason="formal", **kwargs)  # not in this region's list
    assert Appeal.objects.get(pk=appeal.pk).state == State.APPROVAL

    appeal = s.appeal_return_for_rework(reason="no_photo", **kwargs)
    assert appeal.state == State.EXECUTION
    assert AppealEvent.objects.filter(appeal=appeal, action="return_for_rework").get().reason == (
        "Нет фотографии результата"
    )


def test_return_for_rework_goes_back_to_execution_and_notifies_the_executor(world):
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))

    refused("comment_required", s.appeal_return_for_rework, appeal_id=appeal.pk, user=world.head, reason="other",
            now=msk(2025, 11, 11, 10))
    appeal = s.appeal_return_for_rework(appeal_id=appeal.pk, user=world.head, reason="no_evidence",
                                        now=msk(2025, 11, 11, 10))

    assert appeal.state == State.EXECUTION
    assert appeal.stage == Stage.EXECUTION and appeal.stage_due_at == appeal.due_at == end_of(2025, 12, 10)
    assert [n.recipient for n in notices("rework")] == [world.executor]


def test_redirect_requires_a_reason(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    refused("required", s.appeal_redirect, appeal_id=appeal.pk, user=world.coordinator,
            organization_id=world.other_org.pk, reason="  ", now=msk(2025, 11, 11, 10))
    refused("required", s.appeal_return_to_moderation, appeal_id=appeal.pk, user=world.coordinator, reason="",
            now=msk(2025, 11, 11, 10))
    assert Appeal.objects.get(pk=appeal.pk).organization == world.org


def test_redirect_hands_the_appeal_to_another_organisation(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    refused("no_organization", s.appeal_redirect, appeal_id=appeal.pk, user=world.coordinator,
            organization_id=world.org.pk, reason="Не наша компетенция", now=msk(2025, 11, 11, 10))
    appeal = s.appeal_redirect(appeal_id=appeal.pk, user=world.coordinator, organization_id=world.other_org.pk,
                               reason="Дорога региональная", now=msk(2025, 11, 11, 10))

    assert appeal.state == State.COORDINATION
    assert appeal.organization == world.other_org and appeal.executor is None and appeal.coordinator is None
    assert appeal.due_at == end_of(2025, 12, 10)  # the term runs from registration, not from the redirect
    event = AppealEvent.objects.get(appeal=appeal, action="redirect")
    assert event.reason == "Дорога региональная" and event.payload["from_organization_id"] == world.org.pk


def test_return_to_moderation_sends_the_appeal_back_to_the_moderators(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    appeal = s.appeal_return_to_moderation(appeal_id=appeal.pk, user=world.coordinator,
                                           reason="Не знаем, чья это дорога", now=msk(2025, 11, 11, 10))

    assert appeal.state == State.MODERATION and appeal.organization is None
    assert [n.recipient for n in notices("returned_to_moderation")] == [world.moderator]


def test_a_fz59_appeal_returned_and_routed_again_is_told_once_that_it_was_forwarded(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10), regime=Regime.FZ59)
    before = Notice.objects.filter(email=APPLICANT_EMAIL).count()

    s.appeal_return_to_moderation(appeal_id=appeal.pk, user=world.coordinator, reason="Не наша дорога",
                                  now=msk(2025, 11, 11, 10))
    s.appeal_route(appeal_id=appeal.pk, user=world.moderator, organization_id=world.other_org.pk,
                   now=msk(2025, 11, 11, 12))

    told = list(Notice.objects.filter(email=APPLICANT_EMAIL).order_by("pk").values_list("kind", flat=True))[before:]
    assert told == ["redirected"]


# --- fz59 -----------------------------------------------------------------------------------------


def test_fz59_registration_is_due_3_days_after_receipt(world):
    appeal = submit(world, now=msk(2025, 11, 10, 10), regime=Regime.FZ59)

    assert appeal.state == State.RECEIVED and appeal.due_at is None
    assert appeal.stage == Stage.REGISTRATION and appeal.stage_due_at == end_of(2025, 11, 13)
    assert sweep(now=msk(2025, 11, 13, 23)).stage_overdue == 0
    assert sweep(now=msk(2025, 11, 14)).stage_overdue == 1
    breach = DeadlineBreach.objects.get(appeal=appeal)
    assert (breach.stage, breach.due_at) == (Stage.REGISTRATION, end_of(2025, 11, 13))
    assert [n.recipient for n in notices("stage_overdue")] == [world.moderator]


def test_fz59_answer_is_due_30_days_after_registration(world):
    appeal = registered_fz59(world, received=msk(2025, 11, 10, 10), registered=msk(2025, 11, 12, 10))

    assert appeal.registered_at == msk(2025, 11, 12, 10)
    assert appeal.due_at == end_of(2025, 12, 12)


def test_fz59_redirect_is_allowed_within_7_days_of_registration(world):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 12, 10))
    assert appeal.redirect_due_at == end_of(2025, 11, 19)

    appeal = s.appeal_redirect(appeal_id=appeal.pk, user=world.coordinator, organization_id=world.other_org.pk,
                               reason="Компетенция министерства", now=msk(2025, 11, 19, 18))

    assert appeal.organization == world.other_org


def test_fz59_redirect_is_refused_after_7_days_of_registration(world):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 12, 10))
    late = msk(2025, 11, 20, 9)

    refused("redirect_term_passed", s.appeal_redirect, appeal_id=appeal.pk, user=world.coordinator,
            organization_id=world.other_org.pk, reason="Компетенция министерства", now=late)
    refused("redirect_term_passed", s.appeal_return_to_moderation, appeal_id=appeal.pk, user=world.coordinator,
            reason="Компетенция министерства", now=late)
    assert Appeal.objects.get(pk=appeal.pk).organization == world.org


def test_fz59_extension_is_at_most_30_days_in_total(world, django_capture_on_commit_callbacks):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 10, 10))
    assert appeal.due_at == end_of(2025, 12, 10)
    extend = {"appeal_id": appeal.pk, "user": world.head, "reason": "Нужна проверка на месте"}

    with django_capture_on_commit_callbacks(execute=True):
        appeal = s.appeal_extend(days=20, now=msk(2025, 12, 1, 10), **extend)
    assert appeal.due_at == end_of(2025, 12, 30) and appeal.extension_days == 20
    [letter] = mails_to_applicant()
    assert appeal.number in letter.subject and "30.12.2025" in letter.body

    refused("extension_too_long", s.appeal_extend, days=15, now=msk(2025, 12, 20, 10), **extend)
    kept = Appeal.objects.get(pk=appeal.pk)
    assert (kept.extension_days, kept.due_at) == (20, end_of(2025, 12, 30))

    appeal = s.appeal_extend(days=10, now=msk(2025, 12, 20, 10), **extend)
    assert appeal.extension_days == 30
    refused("extension_too_long", s.appeal_extend, days=1, now=msk(2025, 12, 21, 10), **extend)


def test_fz59_extension_counts_from_the_legal_term_not_from_a_moved_deadline(world):
    # 2025-10-09 + 30 = Saturday 11-08, moved to Monday 11-10; 30 + 30 days end on 12-08.
    appeal = fz59_in_coordination(world, now=msk(2025, 10, 9, 10))
    assert appeal.due_at == end_of(2025, 11, 10)

    appeal = s.appeal_extend(appeal_id=appeal.pk, user=world.head, days=30, reason="Проверка",
                             now=msk(2025, 11, 1, 10))

    assert appeal.due_at == end_of(2025, 12, 8)


def test_fz59_extension_ending_in_the_holidays_moves_to_the_next_working_day(world):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 12, 10))

    appeal = s.appeal_extend(appeal_id=appeal.pk, user=world.head, days=20, reason="Проверка",
                             now=msk(2025, 12, 1, 10))

    assert appeal.due_at == end_of(2026, 1, 12)  # 11-12 + 50 days = 2026-01-01


def test_fz59_appeal_is_extended_not_postponed(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10), regime=Regime.FZ59)

    refused("action_not_allowed", s.appeal_postpone, appeal_id=appeal.pk, user=world.executor,
            until=dt.date(2026, 1, 20), reason="Ремонт", now=msk(2025, 11, 12, 10))


def test_only_fz59_appeals_are_extended(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    refused("action_not_allowed", s.appeal_extend, appeal_id=appeal.pk, user=world.head, days=10, reason="Проверка",
            now=msk(2025, 11, 12, 10))


# --- social posts ---------------------------------------------------------------------------------


def test_social_post_is_answered_in_9_working_hours(world):
    # Friday 16:00: 2 hours on Friday, 7 on Monday.
    appeal = social_post(world, now=msk(2025, 11, 7, 16))

    assert appeal.due_at == msk(2025, 11, 10, 16)


def test_social_post_of_high_importance_is_answered_in_4_working_hours(world):
    appeal = social_post(world, now=msk(2025, 11, 7, 16), high_importance=True)

    assert appeal.due_at == msk(2025, 11, 10, 11)


def test_social_hours_are_region_settings(world, region):
    region.social_answer_hours = 8
    region.social_answer_hours_high = 2
    region.save()

    assert social_post(world, now=msk(2025, 11, 10, 9)).due_at == msk(2025, 11, 10, 17)
    assert social_post(world, now=msk(2025, 11, 10, 9), high_importance=True).due_at == msk(2025, 11, 10, 11)


def test_social_final_answer_is_due_7_working_days_after_an_intermediate_one(world):
    post = social_post(world, now=msk(2025, 11, 10, 9))
    s.appeal_accept(appeal_id=post.pk, user=world.moderator, now=msk(2025, 11, 10, 10))
    s.appeal_assign(appeal_id=post.pk, user=world.coordinator, executor_id=world.executor.pk,
                    now=msk(2025, 11, 10, 10))

    post = s.appeal_intermediate(appeal_id=post.pk, user=world.executor, text="Передали в управляющую компанию",
                                 now=msk(2025, 11, 10, 12))

    assert post.due_at == post.stage_due_at == end_of(2025, 11, 19)
    assert sweep(now=msk(2025, 11, 10, 19)).overdue == 0  # the 9-hour term no longer applies


def test_social_post_warns_when_the_approaching_share_of_its_working_hours_has_passed(world):
    # Friday 17:00 + 9 working hours = Monday 17:00; 80 % = 7.2 h = Friday 1 h + Monday 6.2 h = 15:12.
    post = social_post(world, now=msk(2025, 11, 7, 17))
    assert post.due_at == msk(2025, 11, 10, 17)

    assert sweep(now=msk(2025, 11, 10, 8)).warned == 0
    assert sweep(now=msk(2025, 11, 10, 15, 11)).warned == 0
    assert sweep(now=msk(2025, 11, 10, 15, 13)).warned == 1


# --- rating and reconsideration -------------------------------------------------------------------


def test_unsatisfactory_rating_with_comment_returns_the_appeal_to_execution_with_a_new_term(world):
    appeal = answered(world, now=msk(2025, 11, 10, 10))

    appeal = s.appeal_rate(appeal_id=appeal.pk, rating=2, comment="Яма на месте", token=appeal.access_token,
                           now=msk(2025, 11, 21, 10))

    assert appeal.state == State.EXECUTION
    assert appeal.reconsideration_count == 1 and appeal.executor == world.executor
    assert appeal.term_started_at == msk(2025, 11, 21, 10)
    assert appeal.due_at == end_of(2025, 12, 22)  # 11-21 + 30 = Sunday 12-21
    assert appeal.answered_at is None


def test_unsatisfactory_rating_needs_a_comment(world):
    appeal = answered(world, now=msk(2025, 11, 10, 10))

    refused("comment_required", s.appeal_rate, appeal_id=appeal.pk, rating=2, token=appeal.access_token,
            now=msk(2025, 11, 21, 10))
    assert Appeal.objects.get(pk=appeal.pk).state == State.ANSWERED


def test_satisfactory_rating_closes_the_appeal(world):
    appeal = answered(world, now=msk(2025, 11, 10, 10))

    appeal = s.appeal_rate(appeal_id=appeal.pk, rating=4, token=appeal.access_token, now=msk(2025, 11, 21, 10))

    assert appeal.state == State.CLOSED and appeal.closed_at == msk(2025, 11, 21, 10)


# --- stage budgets --------------------------------------------------------------------------------


def test_stage_budgets_come_from_the_region_settings(world, region):
    region.moderation_working_days = 2
    region.coordination_working_days = 1
    region.approval_working_days = 3
    region.save()

    appeal = submit(world, now=msk(2025, 10, 31, 10))  # Friday; Saturday 11-01 is a working day
    assert (appeal.stage, appeal.stage_due_at) == (Stage.MODERATION, end_of(2025, 11, 5))
    appeal = s.appeal_accept(appeal_id=appeal.pk, user=world.moderator, now=msk(2025, 11, 5, 10))
    assert (appeal.stage, appeal.stage_due_at) == (Stage.COORDINATION, end_of(2025, 11, 6))
    appeal = s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk,
                             now=msk(2025, 11, 6, 10))
    assert (appeal.stage, appeal.stage_due_at) == (Stage.EXECUTION, appeal.due_at)
    s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Яма заделана.", now=msk(2025, 11, 6, 12))
    appeal = s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 6, 12))
    assert (appeal.stage, appeal.stage_due_at) == (Stage.APPROVAL, end_of(2025, 11, 11))


def test_stage_budget_is_capped_by_the_overall_term(world, region):
    region.moderation_working_days = 15
    region.approval_working_days = 3
    region.save()

    appeal = submit(world, now=msk(2025, 11, 10, 10), category=world.accelerated)
    assert appeal.due_at == end_of(2025, 11, 20)
    assert appeal.stage_due_at == appeal.due_at
    s.appeal_accept(appeal_id=appeal.pk, user=world.moderator, now=msk(2025, 11, 10, 11))
    s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk,
                    now=msk(2025, 11, 10, 12))
    s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Отопление включено.", now=msk(2025, 11, 19, 12))
    appeal = s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 19, 12))

    assert appeal.stage == Stage.APPROVAL and appeal.stage_due_at == end_of(2025, 11, 20)


def test_sweeper_records_a_missed_stage_budget(world, region):
    region.coordination_working_days = 1
    region.save()
    appeal = submit(world, now=msk(2025, 11, 10, 10))
    s.appeal_accept(appeal_id=appeal.pk, user=world.moderator, now=msk(2025, 11, 10, 11))

    assert sweep(now=msk(2025, 11, 11, 23)).stage_overdue == 0
    assert sweep(now=msk(2025, 11, 12, 0, 1)).stage_overdue == 1
    breach = DeadlineBreach.objects.get(appeal=appeal)
    assert (breach.stage, breach.due_at, breach.organization) == (Stage.COORDINATION, end_of(2025, 11, 11), world.org)
    assert [n.recipient for n in notices("stage_overdue")] == [world.coordinator]


def test_sweeper_tells_the_moderators_of_a_missed_moderation_budget(world):
    appeal = submit(world, now=msk(2025, 11, 10, 10))

    assert sweep(now=msk(2025, 11, 12)).stage_overdue == 1

    assert DeadlineBreach.objects.get(appeal=appeal).stage == Stage.MODERATION
    assert [n.recipient for n in notices("stage_overdue")] == [world.moderator]


# --- the sweeper ----------------------------------------------------------------------------------


def test_sweeper_warns_when_the_region_approaching_percent_of_the_term_has_passed(world, region):
    region.approaching_percent = 50
    region.save()
    start = msk(2025, 11, 10, 10)
    appeal = in_execution(world, now=start)
    assert appeal.due_at is not None
    half = start + (appeal.due_at - start) / 2

    assert sweep(now=half - MINUTE).warned == 0
    assert sweep(now=half + MINUTE).warned == 1
    assert sorted(n.recipient.username for n in notices("approaching")) == ["coordinator", "executor"]
    assert sweep(now=half + dt.timedelta(days=1)).warned == 0


def test_sweeper_does_not_warn_about_an_appeal_that_is_already_overdue(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    sweep(now=msk(2025, 12, 11, 1))  # the first sweep after a long outage

    appeal.refresh_from_db()
    assert appeal.warned_at is not None and appeal.overdue_marked_at is not None
    assert notices("approaching") == []
    assert len(notices("overdue")) == 2


def test_sweeper_marks_overdue_and_records_the_breach_with_those_holding_the_appeal(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))

    assert sweep(now=msk(2025, 12, 10, 23, 59)).overdue == 0
    detected = msk(2025, 12, 11, 0, 1)
    assert sweep(now=detected).overdue == 1

    appeal.refresh_from_db()
    assert appeal.overdue_marked_at == detected
    breach = DeadlineBreach.objects.get(appeal=appeal)
    assert breach.stage == Stage.ANSWER and breach.due_at == end_of(2025, 12, 10) and breach.detected_at == detected
    assert (breach.organization, breach.executor, breach.coordinator) == (world.org, world.executor, world.coordinator)
    assert breach.state == State.EXECUTION
    assert sorted(n.recipient.username for n in notices("overdue")) == ["coordinator", "executor"]


def test_sweeper_tells_the_coordinators_when_nobody_holds_an_overdue_appeal(world):
    appeal = submit(world, now=msk(2025, 11, 10, 10))
    s.appeal_accept(appeal_id=appeal.pk, user=world.moderator, now=msk(2025, 11, 10, 11))

    sweep(now=msk(2025, 12, 11, 1))

    breach = DeadlineBreach.objects.get(appeal=appeal, stage=Stage.ANSWER)
    assert (breach.organization, breach.executor, breach.coordinator) == (world.org, None, None)
    assert [n.recipient for n in notices("overdue")] == [world.coordinator]


def test_sweeper_is_idempotent(world):
    in_execution(world, now=msk(2025, 11, 10, 10))
    submit(world, now=msk(2025, 11, 10, 10), regime=Regime.FZ59)
    first = sweep(now=msk(2025, 12, 11, 1))
    assert first.total() > 0
    breaches, sent = DeadlineBreach.objects.count(), Notice.objects.count()

    second = sweep(now=msk(2025, 12, 11, 1))
    third = sweep(now=msk(2025, 12, 20))

    assert second.total() == third.total() == 0
    assert (DeadlineBreach.objects.count(), Notice.objects.count()) == (breaches, sent)


def test_a_new_term_after_reconsideration_can_be_breached_again(world):
    appeal = answered(world, now=msk(2025, 11, 10, 10))
    s.appeal_rate(appeal_id=appeal.pk, rating=1, comment="Ничего не сделано", token=appeal.access_token,
                  now=msk(2025, 11, 21, 10))

    assert sweep(now=msk(2025, 12, 23)).overdue == 1

    assert DeadlineBreach.objects.get(appeal=appeal).due_at == end_of(2025, 12, 22)


def test_sweeper_ignores_answered_and_closed_appeals(world):
    answered(world, now=msk(2025, 11, 10, 10))

    result = sweep(now=msk(2026, 1, 20))

    assert result.total() == 0
    assert not DeadlineBreach.objects.exists()

