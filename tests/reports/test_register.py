from __future__ import annotations

import datetime as dt

import pytest

from otklik.appeals.models import DeadlineBreach
from otklik.appeals.sweeps import sweep
from otklik.reports.figures import measures_applied
from otklik.reports.models import DisciplinaryDecision, Measure
from otklik.reports.services import ReportError, breach_decide, breach_people
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def breach(rworld) -> DeadlineBreach:
    make_appeal(rworld, at=local(2026, 3, 2), category=rworld.heating)  # 10 days
    sweep(now=local(2026, 3, 20))
    found = DeadlineBreach.objects.get(stage="answer")
    assert found.executor == rworld.orgs[0].executor
    return found


def test_it_lists_the_people_who_held_the_appeal(rworld, breach):
    people = breach_people(breach)
    org = rworld.orgs[0]
    assert set(people) == {org.executor, org.coordinator, org.head}


def test_only_the_organisations_head_or_the_regional_coordinator_records_a_measure(rworld, breach):
    # The organisation's coordinator sees its register but does not record measures; the moderator
    # (region-wide) neither; the head of another organisation does not even see the breach.
    for user, status in ((rworld.orgs[0].coordinator, 403), (rworld.moderator, 403), (rworld.outsider, 404),
                         (rworld.orgs[1].head, 404)):
        with pytest.raises(ReportError) as refused:
            breach_decide(breach_id=breach.pk, user=user, measure=Measure.REMARK,
                          person_id=rworld.orgs[0].executor.pk)
        assert refused.value.status == status
    assert not DisciplinaryDecision.objects.exists()


def test_it_checks_the_measure_and_the_person(rworld, breach):
    with pytest.raises(ReportError) as no_person:
        breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.REPRIMAND)
    assert no_person.value.field == "person"
    with pytest.raises(ReportError) as stranger:
        breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.REMARK,
                      person_id=rworld.orgs[1].executor.pk)
    assert stranger.value.code == "not_a_holder"
    with pytest.raises(ReportError) as vague:
        breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.OTHER,
                      person_id=rworld.orgs[0].executor.pk)
    assert vague.value.field == "note"
    with pytest.raises(ReportError):
        breach_decide(breach_id=breach.pk, user=rworld.regional, measure="firing")


def test_it_records_who_decided_when_and_the_latest_decision_stands(rworld, breach):
    executor = rworld.orgs[0].executor
    first = breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.REPRIMAND,
                          person_id=executor.pk, note="Второе нарушение", now=local(2026, 3, 25))
    assert (first.decided_by, first.decided_at, first.person) == (rworld.regional, local(2026, 3, 25), executor)
    breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.MEETING, note="Совещание 27.03",
                  now=local(2026, 3, 26))
    march = measures_applied(dt.date(2026, 3, 1), dt.date(2026, 3, 31), None)
    assert sorted(row["measure"] for row in march) == sorted([str(Measure.REPRIMAND.label),
                                                              str(Measure.MEETING.label)])
    # On review the reprimand is withdrawn: no measure is due for the executor any more.
    breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.NONE_DUE, person_id=executor.pk,
                  now=local(2026, 3, 28))
    march = measures_applied(dt.date(2026, 3, 1), dt.date(2026, 3, 31), None)
    assert [row["measure"] for row in march] == [str(Measure.MEETING.label)]
    assert DisciplinaryDecision.objects.filter(breach=breach).count() == 3  # the history is kept
    only_org1 = measures_applied(dt.date(2026, 3, 1), dt.date(2026, 3, 31), frozenset({rworld.orgs[1].org.pk}))
    assert only_org1 == []


def test_the_register_page_records_a_decision(rworld, breach, client):
    client.force_login(rworld.regional)
    page = client.get("/reports/breaches/", {"undecided": "1"})
    assert page.status_code == 200 and breach.appeal.number in page.content.decode()
    response = client.post(f"/reports/breaches/{breach.pk}/decide/", {
        f"b{breach.pk}-measure": Measure.REMARK, f"b{breach.pk}-person": rworld.orgs[0].coordinator.pk,
        f"b{breach.pk}-note": "",
    })
    assert response.status_code == 302
    decision = DisciplinaryDecision.objects.get()
    assert (decision.measure, decision.person, decision.decided_by) == (Measure.REMARK, rworld.orgs[0].coordinator,
                                                                       rworld.regional)
    assert breach.appeal.number not in client.get("/reports/breaches/", {"undecided": "1"}).content.decode()
    # The organisation's head records measures for their organisation; its coordinator only sees them.
    client.force_login(rworld.orgs[0].head)
    page = client.get("/reports/breaches/").content.decode()
    assert breach.appeal.number in page and "/decide/" in page
    client.force_login(rworld.orgs[0].coordinator)
    page = client.get("/reports/breaches/").content.decode()
    assert breach.appeal.number in page and "/decide/" not in page
    client.force_login(rworld.orgs[1].head)
    assert breach.appeal.number not in client.get("/reports/breaches/").content.decode()
