from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Fetch every active social source once and print {sources, fetched, new, duplicates, errors}."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass over every active source (the default)")
        parser.add_argument("--source", type=int, help="only this source id")

    def handle(self, *args: Any, **options: Any) -> None:
        from otklik.intake.social.fetch import FetchSummary, fetch_all, fetch_source
        from otklik.intake.social.models import Source

        if options["source"]:
            source = Source.objects.select_related("territory", "organization").filter(pk=options["source"]).first()
            if source is None:
                raise CommandError(f"no source {options['source']}")
            summary: FetchSummary = fetch_source(source)
        else:
            summary = fetch_all()
        self.stdout.write(json.dumps(asdict(summary)))
