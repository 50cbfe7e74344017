"""``manage.py escalations_replay FILE [--from DATE]``: detection over a file of messages, the rows'
time as the clock; one JSON object per escalation, then ``{"escalations": N, "rows": M}``.

Rows before ``--from`` only build the history (the baseline); escalations opened from that local
date on are printed. The region's lexicon and significant categories are read from the database
when it is there; without one, the built-in lexicon is used and detection runs the same.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from otklik.escalations.detector import Detector, Item, Params
from otklik.escalations.replay import RowError, read_items


def _region_rules() -> tuple[Any, set[str], Params]:
    """(lexicon or None, significant category names and codes, parameters) from the database, if any."""
    try:
        from otklik.escalations.selectors import detector_params, region_lexicon, significant_category_names

        return region_lexicon(), significant_category_names(), detector_params()
    except Exception:
        return None, set(), Params()


class Command(BaseCommand):
    help = "Replay a CSV or JSONL file of messages through escalation detection and print the escalations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--from", dest="since", default=None,
                            help="print escalations opened from this local date (YYYY-MM-DD); earlier rows "
                                 "only build the history")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("File %(path)s not found.") % {"path": path})
        since: dt.date | None = None
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError(_("--from must be a date, YYYY-MM-DD.")) from exc
        tz = ZoneInfo(settings.TIME_ZONE)
        try:
            items = read_items(path, tz)
        except (RowError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc) if isinstance(exc, RowError) else _("The file is not UTF-8.")) from exc
        lexicon, significant, params = _region_rules()
        detector = Detector(params, lexicon=lexicon, tz=tz)
        for item in items:
            if significant and (item.category in significant):
                item = Item(created=item.created, text=item.text, category=item.category, reason=item.reason,
                            territory=item.territory, lat=item.lat, lon=item.lon, ref=item.ref, significant=True)
            detector.feed(item)
        shown = [esc for esc in detector.escalations
                 if since is None or esc.opened_at.astimezone(tz).date() >= since]
        write = self.stdout.write
        for esc in shown:
            write(json.dumps(esc.as_json(tz), ensure_ascii=False))
        write(json.dumps({"escalations": len(shown), "rows": len(items)}))
