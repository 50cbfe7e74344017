"""Random sequences of actions by random people never leave the transition table, and the event
log always replays to the stored state."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from otklik.accounts.models import Role
from otklik.appeals import services as s
from otklik.appeals.lifecycle import TABLE, State
from otklik.appeals.models import Appeal
from otklik.appeals.replay import check_appeal
from tests import factories as f

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

ACTIONS = {
    "accept": lambda w, a, u, t: s.appeal_accept(appeal_id=a, user=u, now=t),
    "route": lambda w, a, u, t: s.appeal_route(appeal_id=a, user=u, organization_id=w["org"].pk, now=t),
    "reject": lambda w, a, u, t: s.appeal_reject(appeal_id=a, user=u, reason="spam", now=t),
    "reclassify": lambda w, a, u, t: s.appeal_reclassify(appeal_id=a, user=u, category_id=w["cat2"].pk, now=t),
    "redirect": lambda w, a, u, t: s.appeal_redirect(appeal_id=a, user=u, organization_id=w["org2"].pk,
                                                     reason="не наша компетенция", now=t),
    "return_to_moderation": lambda w, a, u, t: s.appeal_return_to_moderation(appeal_id=a, user=u, reason="не наше",
                                                                             now=t),
    "assign": lambda w, a, u, t: s.appeal_assign(appeal_id=a, user=u, executor_id=w["executor"].pk, now=t),
    "assign2": lambda w, a, u, t: s.appeal_assign(appeal_id=a, user=u, executor_id=w["executor2"].pk, now=t),
    "draft": lambda w, a, u, t: s.appeal_draft(appeal_id=a, user=u, text="Черновик ответа", now=t),
    "intermediate": lambda w, a, u, t: s.appeal_intermediate(appeal_id=a, user=u, text="Работаем", now=t),
    "postpone": lambda w, a, u, t: s.appeal_postpone(appeal_id=a, user=u, until=(t + dt.timedelta(days=60)).date(),
                                                     reason="нужны работы", now=t),
    "propose": lambda w, a, u, t: s.appeal_propose_postponement(
        appeal_id=a, user=u, until=(t + dt.timedelta(days=60)).date(), reason="нужны работы", now=t),
    "decline": lambda w, a, u, t: s.appeal_decline_postponement(appeal_id=a, user=u, reason="в срок", now=t),
    "mark": lambda w, a, u, t: s.appeal_mark_significant(appeal_id=a, user=u, reason="резонанс", now=t),
    "clear": lambda w, a, u, t: s.appeal_clear_significant(appeal_id=a, user=u, reason="решено", now=t),
    "resolve": lambda w, a, u, t: s.appeal_resolve(appeal_id=a, user=u, now=t),
    "send": lambda w, a, u, t: s.appeal_send_for_approval(appeal_id=a, user=u, now=t),
    "approve": lambda w, a, u, t: s.appeal_approve(appeal_id=a, user=u, now=t),
    "rework": lambda w, a, u, t: s.appeal_return_for_rework(appeal_id=a, user=u, reason="formal", now=t),
    "publish": lambda w, a, u, t: s.appeal_publish(appeal_id=a, user=u, now=t),
    "rate_good": lambda w, a, u, t: s.appeal_rate(appeal_id=a, user=u, rating=5, now=t),
    "rate_bad": lambda w, a, u, t: s.appeal_rate(appeal_id=a, user=u, rating=1, comment="плохо", now=t),
    "reconsider": lambda w, a, u, t: s.appeal_reconsider(appeal_id=a, user=u, reason="повторно", now=t),
    "close": lambda w, a, u, t: s.appeal_close(appeal_id=a, user=u, now=t),
    "comment": lambda w, a, u, t: s.appeal_comment(appeal_id=a, user=u, text="Яма стала больше", now=t),
    "register": lambda w, a, u, t: s.appeal_register(appeal_id=a, user=u, now=t),
    "extend": lambda w, a, u, t: s.appeal_extend(appeal_id=a, user=u, days=10, reason="проверка", now=t),
    "leave": lambda w, a, u, t: s.appeal_leave_without_answer(appeal_id=a, user=u, ground="unreadable", now=t),
    "transfer": lambda w, a, u, t: s.appeal_transfer(appeal_id=a, user=u, department="Прокуратура",
                                                     reason="по компетенции", now=t),
}
PEOPLE = ["moderator", "coordinator", "executor", "executor2", "head", "regional", "outsider", "applicant"]


class LifecyclePropertyTest(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        regime=st.sampled_from(["pos", "fz59", "social"]),
        steps=st.lists(st.tuples(st.sampled_from(sorted(ACTIONS)), st.sampled_from(PEOPLE),
                                 st.integers(min_value=0, max_value=72)), min_size=1, max_size=25),
    )
    def test_random_actions_stay_inside_the_transition_table_and_replay(self, regime, steps):
        org, org2 = f.organization(), f.organization()
        cat, cat2 = f.category(), f.category()
        f.route(cat, org)
        applicant = f.user()
        world = {
            "org": org, "org2": org2, "cat2": cat2,
            "moderator": f.user(None, (Role.MODERATOR, org2)),
            "coordinator": f.user(None, (Role.COORDINATOR, org)),
            "executor": f.user(None, (Role.EXECUTOR, org)),
            "executor2": f.user(None, (Role.EXECUTOR, org)),
            "head": f.user(None, (Role.HEAD, org)),
            "regional": f.user(None, (Role.REGIONAL_COORDINATOR, org2)),
            "outsider": f.user(None, (Role.COORDINATOR, org2), (Role.HEAD, org2), (Role.EXECUTOR, org2)),
            "applicant": applicant,
        }
        appeal = s.appeal_submit(text="Проблема", regime=regime, category=cat, applicant=applicant,
                                 applicant_name="Заявитель", applicant_email="a@example.org", now=START)
        moment = START
        for action, person, hours in steps:
            moment += dt.timedelta(hours=hours)
            before = Appeal.objects.get(pk=appeal.pk).state
            try:
                ACTIONS[action](world, appeal.pk, world[person], moment)
            except s.AppealError:
                assert Appeal.objects.get(pk=appeal.pk).state == before  # a refusal changes nothing
            stored = Appeal.objects.get(pk=appeal.pk)
            assert stored.state in State.values
            check_appeal(stored)
            for event in stored.events.exclude(action="submit"):
                assert TABLE[(State(event.from_state), event.action)].target == event.to_state
