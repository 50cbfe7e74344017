"""Reading a file of messages for the replay: CSV or JSONL, UTF-8, with a header.

Columns: ``created`` (ISO time with an offset, or the region's local time), ``text``, and any of
``category``, ``reason``, ``district`` (a territory's name), ``lat``, ``lon``. The rows are sorted by
time (stable) before detection, so a file in any order replays the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from otklik.escalations.detector import Item


class RowError(ValueError):
    pass


def parse_time(value: str, tz: dt.tzinfo) -> dt.datetime:
    value = value.strip()
    if not value:
        raise ValueError("empty")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def _coordinate(value: Any, low: float, high: float) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    number = float(str(value).replace(",", "."))
    if not low <= number <= high:
        raise ValueError(number)
    return number


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def row_item(row: dict[str, Any], number: int, tz: dt.tzinfo) -> Item:
    try:
        created = parse_time(str(row.get("created") or ""), tz)
    except ValueError as exc:
        raise RowError(_("Row %(row)s: the time “%(value)s” is not an ISO date and time.")
                       % {"row": number, "value": row.get("created") or ""}) from exc
    try:
        lat = _coordinate(row.get("lat"), -90, 90)
        lon = _coordinate(row.get("lon"), -180, 180)
    except ValueError as exc:
        raise RowError(_("Row %(row)s: the coordinates are not numbers in range.") % {"row": number}) from exc
    return Item(created=created, text=str(row.get("text") or ""), category=_text(row.get("category")),
                reason=_text(row.get("reason")), territory=_text(row.get("district")), lat=lat, lon=lon, ref=number)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    raw = path.read_bytes().decode("utf-8-sig")
    first = raw.lstrip()[:1]
    if first in "{[" and first:
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RowError(_("Line %(row)s is not a JSON object.") % {"row": number}) from exc
            if not isinstance(value, dict):
                raise RowError(_("Line %(row)s is not a JSON object.") % {"row": number})
            yield number, value
        return
    reader = csv.DictReader(io.StringIO(raw, newline=""), dialect=_dialect(raw))
    if not reader.fieldnames or "created" not in [name.strip() for name in reader.fieldnames]:
        raise RowError(_("The file has no header with a “created” column."))
    for number, row in enumerate(reader, start=2):
        yield number, {(key or "").strip(): value for key, value in row.items()}


def _dialect(raw: str) -> type[csv.Dialect] | csv.Dialect:
    header = raw.split("\n", 1)[0]
    if header.count(";") > header.count(","):
        return _Semicolon
    return csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def read_items(path: Path, tz: dt.tzinfo) -> list[Item]:
    """Every row as an item, in time order; the first bad row stops the replay with its number."""
    items = [row_item(row, number, tz) for number, row in _rows(path)]
    items.sort(key=lambda item: item.created)
    return items
