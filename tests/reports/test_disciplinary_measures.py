"""Issue 9, point 10 (seed 004 §4): the head of an organisation records the disciplinary measure taken
for a breach in their organisation; the regional coordinator sees and records for every organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from otklik.accounts.models import Absence
from otklik.appeals.models import DeadlineBreach
from otklik.appeals.sweeps import sweep
from otklik.reports.figures import measures_applied
from otklik.reports.models import DisciplinaryDecision, Measure
from otklik.reports.services import ReportError, breach_decide
from tests import factories as f
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def breaches(rworld) -> tuple[DeadlineBreach, DeadlineBreach]:
    """A missed answer term in organisation A (orgs[0]) and one in organisation B (orgs[2])."""
    make_appeal(rworld, at=local(2026, 3, 2), category=rworld.heating)
    make_appeal(rworld, at=local(2026, 3, 2), category=rworld.heating, people=rworld.orgs[2])
    sweep(now=local(2026, 3, 20))
    in_a = DeadlineBreach.objects.get(stage="answer", organization=rworld.orgs[0].org)
    in_b = DeadlineBreach.objects.get(stage="answer", organization=rworld.orgs[2].org)
    return in_a, in_b


def test_the_head_records_the_measure_taken_for_a_breach_in_their_organisation(rworld, breaches):
    in_a, _in_b = breaches
    head, executor = rworld.orgs[0].head, rworld.orgs[0].executor
    decision = breach_decide(breach_id=in_a.pk, user=head, measure=Measure.REMARK, person_id=executor.pk,
                             now=local(2026, 3, 23))
    assert (decision.decided_by, decision.decided_as, decision.person) == (
        head, DisciplinaryDecision.DecidedAs.HEAD, executor)
    # The measure the head recorded is in the month's report like the coordinator's.
    march = measures_applied(dt.date(2026, 3, 1), dt.date(2026, 3, 31), frozenset({rworld.orgs[0].org.pk}))
    assert [row["measure"] for row in march] == [str(Measure.REMARK.label)]


def test_a_head_of_organisation_b_cannot_record_or_see_organisation_as_measures(rworld, breaches, client):
    in_a, in_b = breaches
    head_b = rworld.orgs[2].head
    breach_decide(breach_id=in_a.pk, user=rworld.orgs[0].head, measure=Measure.MEETING, note="Совещание 24.03")
    with pytest.raises(ReportError) as refused:
        breach_decide(breach_id=in_a.pk, user=head_b, measure=Measure.NONE_DUE)
    assert refused.value.status == 404

    client.force_login(head_b)
    page = client.get("/reports/breaches/").content.decode()
    assert in_b.appeal.number in page and in_a.appeal.number not in page and "Совещание 24.03" not in page
    form = {f"b{in_a.pk}-measure": Measure.NONE_DUE, f"b{in_a.pk}-person": "", f"b{in_a.pk}-note": ""}
    assert client.post(f"/reports/breaches/{in_a.pk}/decide/", form).status_code == 404
    listed = client.get("/api/reports/breaches").json()
    assert [row["id"] for row in listed] == [in_b.pk] and listed[0]["may_record"] is True
    made = client.post(f"/api/reports/breaches/{in_a.pk}/decisions", {"measure": "none_due"},
                       content_type="application/json")
    assert made.status_code == 404
    assert DisciplinaryDecision.objects.filter(breach=in_a).count() == 1
    # Their own organisation's breach they record, through the page and the API.
    own = {f"b{in_b.pk}-measure": Measure.REMARK, f"b{in_b.pk}-person": rworld.orgs[2].executor.pk,
           f"b{in_b.pk}-note": ""}
    assert client.post(f"/reports/breaches/{in_b.pk}/decide/", own).status_code == 302
    made = client.post(f"/api/reports/breaches/{in_b.pk}/decisions", {"measure": "none_due",
                       "person_id": rworld.orgs[2].executor.pk}, content_type="application/json")
    assert made.status_code == 201 and made.json()["decided_as"] == "head"
    assert DisciplinaryDecision.objects.filter(breach=in_b, decided_by=head_b).count() == 2


def test_the_regional_coordinator_sees_and_records_measures_for_every_organisation(rworld, breaches, client):
    in_a, in_b = breaches
    breach_decide(breach_id=in_a.pk, user=rworld.orgs[0].head, measure=Measure.MEETING, note="Совещание 24.03")
    client.force_login(rworld.regional)
    page = client.get("/reports/breaches/").content.decode()
    assert in_a.appeal.number in page and in_b.appeal.number in page and "Совещание 24.03" in page
    for breach in (in_a, in_b):
        decision = breach_decide(breach_id=breach.pk, user=rworld.regional, measure=Measure.NONE_DUE)
        assert decision.decided_as == DisciplinaryDecision.DecidedAs.REGIONAL_COORDINATOR


def test_a_stand_in_of_the_head_records_the_measure_while_the_head_is_away(rworld, breaches):
    in_a, _in_b = breaches
    deputy = f.user("deputy")
    today = timezone.localdate()
    Absence.objects.create(user=rworld.orgs[0].head, stand_in=deputy, reason=Absence.Reason.VACATION,
                           starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=5))
    decision = breach_decide(breach_id=in_a.pk, user=deputy, measure=Measure.NONE_DUE)
    assert decision.decided_as == DisciplinaryDecision.DecidedAs.HEAD


def test_a_missed_stage_budget_is_not_in_the_disciplinary_register(rworld, breaches, client):
    in_a, _in_b = breaches
    DeadlineBreach.objects.filter(pk=in_a.pk).update(internal=True)
    with pytest.raises(ReportError) as refused:
        breach_decide(breach_id=in_a.pk, user=rworld.regional, measure=Measure.NONE_DUE)
    assert refused.value.status == 404
    client.force_login(rworld.regional)
    assert in_a.pk not in [row["id"] for row in client.get("/api/reports/breaches").json()]
