"""What the monthly report counts of public participation (reports/figures.py reads this module):
events that ended in the period, per organisation and kind, and whether they were held on time —
an event with any late stage (seed 004 §4: start, finish, results) is held late."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from otklik.participation.models import Event, Kind

COLUMN_OF_KIND = {Kind.DISCUSSION: "discussions", Kind.HEARING: "discussions", Kind.BUDGET: "votes",
                  Kind.POLL: "polls"}


def monthly_counts(start: dt.date, end: dt.date, org_ids: frozenset[int] | None) -> dict[int, dict[str, int]]:
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    queryset = Event.objects.filter(ends_at__gte=low, ends_at__lt=high)
    if org_ids is not None:
        queryset = queryset.filter(organization_id__in=sorted(org_ids))
    late = set(queryset.filter(lateness__isnull=False).values_list("pk", flat=True))
    rows: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pk, org_id, kind in queryset.values_list("pk", "organization_id", "kind"):
        row = rows[org_id]
        row[COLUMN_OF_KIND[Kind(kind)]] += 1
        row["held_late" if pk in late else "held_on_time"] += 1
    return {org: dict(row) for org, row in rows.items()}
