"""Reads of the privacy domain: who may read the log of openings, the log itself with its filters, and
which appeals have outlived the region's term of keeping personal data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from otklik.accounts.models import User
from otklik.accounts.permissions import reviews_personal_data
from otklik.appeals.lifecycle import OPEN_STATES
from otklik.appeals.models import Appeal, PersonalDataAccess
from otklik.privacy.models import Anonymisation
from otklik.registry.selectors import region_settings


def may_review(user: User) -> bool:
    """The privacy officer (any organisation: the role is the region's) and the superuser read the log."""
    return reviews_personal_data(user)


@dataclass(frozen=True)
class AccessFilters:
    appeal: str = ""  # the appeal's number, or its beginning
    person: str = ""  # the official's login, surname or name
    since: dt.date | None = None
    until: dt.date | None = None


def accesses(filters: AccessFilters) -> QuerySet[PersonalDataAccess]:
    """The openings of applicants' data, newest first. Only for ``may_review`` (the view checks)."""
    queryset = PersonalDataAccess.objects.select_related("user", "appeal").order_by("-at", "-id")
    if filters.appeal:
        queryset = queryset.filter(appeal__number__istartswith=filters.appeal.strip())
    if filters.person:
        words = filters.person.split()
        for word in words:
            queryset = queryset.filter(Q(user__username__iexact=word) | Q(user__last_name__icontains=word)
                                       | Q(user__first_name__icontains=word))
    if filters.since:
        queryset = queryset.filter(at__date__gte=filters.since)
    if filters.until:
        queryset = queryset.filter(at__date__lte=filters.until)
    return queryset


def anonymised_count(user: User) -> int:
    """How many applicants have been made anonymous, for those who ``may_review``."""
    return Anonymisation.objects.count() if may_review(user) else 0


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February of a leap year
        return moment.replace(year=moment.year - years, day=28)


def retention_cutoff(now: dt.datetime) -> dt.datetime | None:
    """Appeals finished before this moment have outlived the term; None: the region keeps data for good."""
    years = region_settings().personal_data_retention_years
    return years_before(now, years) if years else None


def due_for_anonymisation(now: dt.datetime) -> QuerySet[Appeal]:
    """Finished appeals older than the region's term whose applicant is not yet anonymous."""
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return Appeal.objects.none()
    done = Anonymisation.objects.values("appeal_id")
    return (Appeal.objects.exclude(state__in=sorted(str(s) for s in OPEN_STATES)).exclude(pk__in=done)
            .annotate(finished_at=Coalesce("closed_at", "state_changed_at"))
            .filter(finished_at__lt=cutoff).order_by("finished_at", "id"))


def finished_appeal(number: str) -> Appeal | None:
    return Appeal.objects.exclude(state__in=sorted(str(s) for s in OPEN_STATES)).filter(number=number).first()
