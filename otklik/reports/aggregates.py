"""Reading the rollups: filters, sums, backlog and medians. No user scoping here; selectors.py
decides what a user may ask for and reports/figures.py builds frozen reports on top."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Model, QuerySet, Sum

from otklik.appeals.lifecycle import Regime
from otklik.registry.models import Category, Territory
from otklik.reports.models import COUNTERS, DailyRollup, DurationRollup, MonthlyRollup
from otklik.reports.rollup import bucket_bounds

MESSAGE_REGIMES = (Regime.POS.value, Regime.FZ59.value)
SOCIAL_REGIMES = (Regime.SOCIAL.value,)


@dataclass(frozen=True)
class Slice:
    """Which rollup rows to read. ``organization_ids`` None means every organisation (and "none")."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organization_ids: frozenset[int] | None = None
    territory_id: int | None = None
    category_id: int | None = None
    regimes: Sequence[str] | None = None
    channel: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _descendants(model: type[Category] | type[Territory], root_id: int) -> list[int]:
    """The node and everything below it (trees of reference data are small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in model.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [root_id]
    while stack:
        node = stack.pop()
        if node in found:
            continue
        found.append(node)
        stack.extend(children.get(node, []))
    return found


def apply(queryset: QuerySet[Any], piece: Slice) -> QuerySet[Any]:
    """Filter a rollup table (they all share the key columns)."""
    if piece.date_from is not None:
        queryset = queryset.filter(day__gte=piece.date_from)
    if piece.date_to is not None:
        queryset = queryset.filter(day__lte=piece.date_to)
    if piece.organization_ids is not None:
        queryset = queryset.filter(organization_id__in=sorted(piece.organization_ids))
    if piece.territory_id:
        queryset = queryset.filter(territory_id__in=_descendants(Territory, piece.territory_id))
    if piece.category_id:
        queryset = queryset.filter(category_id__in=_descendants(Category, piece.category_id))
    if piece.regimes:
        queryset = queryset.filter(regime__in=list(piece.regimes))
    if piece.channel:
        queryset = queryset.filter(channel=piece.channel)
    return queryset


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _parts(date_from: dt.date | None, date_to: dt.date | None) -> list[tuple[type[Model], dt.date | None,
                                                                            dt.date | None]]:
    """Read whole months from the monthly rollup and only the partial months at the edges from the
    daily one: a year is twelve monthly slices instead of 365 daily ones."""
    if date_to is None:
        return [(DailyRollup, date_from, date_to)]
    first = date_from if date_from is None or date_from.day == 1 else _month_end(date_from) + dt.timedelta(days=1)
    last = date_to if date_to == _month_end(date_to) else date_to.replace(day=1) - dt.timedelta(days=1)
    if first is not None and first > last:
        return [(DailyRollup, date_from, date_to)]
    parts: list[tuple[type[Model], dt.date | None, dt.date | None]] = []
    if date_from is not None and first is not None and date_from < first:
        parts.append((DailyRollup, date_from, first - dt.timedelta(days=1)))
    parts.append((MonthlyRollup, first, last))
    if last < date_to:
        parts.append((DailyRollup, last + dt.timedelta(days=1), date_to))
    return parts


def _read(piece: Slice, group_by: Sequence[str], aggregates: dict[str, Any], *, until_only: bool = False,
          daily: bool = False) -> list[dict[str, Any]]:
    """Sum over every part of the period and merge the parts' groups."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    low = None if until_only else piece.date_from
    parts = [(DailyRollup, low, piece.date_to)] if daily else _parts(low, piece.date_to)
    for model, start, end in parts:
        part = replace(piece, date_from=start, date_to=end)
        queryset = apply(model._default_manager.all(), part)
        rows = (list(queryset.values(*group_by).annotate(**aggregates).order_by()) if group_by
                else [queryset.aggregate(**aggregates)])
        for row in rows:
            key = tuple(row[name] for name in group_by)
            into = merged.setdefault(key, {**{name: row[name] for name in group_by},
                                           **dict.fromkeys(aggregates, 0)})
            for name in aggregates:
                into[name] += row[name] or 0
    if not group_by and not merged:
        merged[()] = dict.fromkeys(aggregates, 0)
    return [merged[key] for key in sorted(merged, key=lambda k: tuple((v is None, v) for v in k))]


def sums(piece: Slice, *, group_by: Sequence[str] = (), counters: Sequence[str] = COUNTERS,
         daily: bool = False) -> list[dict[str, Any]]:
    """Counter sums over the slice, optionally per group; ``daily`` reads days only (a series by
    day or week must not see a month's total on its first day)."""
    return _read(piece, group_by, {name: Sum(name) for name in counters if name != "open_delta"}, daily=daily)


def totals(piece: Slice, counters: Sequence[str] = COUNTERS) -> dict[str, int]:
    return sums(piece, counters=counters)[0]


def backlog(piece: Slice, *, group_by: Sequence[str] = ()) -> dict[Any, int]:
    """Appeals held open at the end of ``piece.date_to`` (every change up to then, summed)."""
    rows = _read(piece, group_by, {"n": Sum("open_delta")}, until_only=True)
    if not group_by:
        return {(): rows[0]["n"]}
    result: dict[Any, int] = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        result[key[0] if len(key) == 1 else key] = row["n"]
    return result


def histogram(piece: Slice, metric: str) -> dict[int, int]:
    queryset = apply(DurationRollup.objects.filter(metric=metric), piece)
    return {row["bucket"]: row["n"] or 0 for row in queryset.values("bucket").annotate(n=Sum("count")).order_by()}


def median_hours(buckets: dict[int, int]) -> float | None:
    """The median from a bucketed histogram, interpolated linearly inside the bucket that holds it."""
    total = sum(buckets.values())
    if not total:
        return None
    half = total / 2
    seen = 0
    for bucket in sorted(buckets):
        count = buckets[bucket]
        if seen + count >= half:
            low, high = bucket_bounds(bucket)
            share = (half - seen) / count if count else 0
            return round(low + (high - low) * share, 1)
        seen += count
    return None


def ratio(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def hours(seconds: float, count: int) -> float | None:
    return round(seconds / count / 3600, 1) if count else None


def names(model: type[Model], ids: Iterable[int]) -> dict[int, str]:
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return {}
    return {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=wanted)}


def days_of(date_from: dt.date, date_to: dt.date) -> int:
    return (date_to - date_from).days + 1


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + 2
    end = (dt.date(day.year + (end_month == 12), end_month % 12 + 1, 1)) - dt.timedelta(days=1)
    return start, end


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end
