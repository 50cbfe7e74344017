"""Reading the version counters of cached reads (core/models.py); core/services.py bumps them."""

from __future__ import annotations

import datetime as dt

from otklik.core.models import Version


def current(name: str) -> tuple[int, dt.datetime | None]:
    row = Version.objects.filter(name=name).values_list("value", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)
