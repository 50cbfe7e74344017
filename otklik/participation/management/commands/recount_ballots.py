"""The auditor's recount: count an event again from its stored ballots and compare with the published
results and with the number of people recorded as having voted. Exit status 1 on any difference."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.participation import selectors
from otklik.participation.models import Event


class Command(BaseCommand):
    help = "Recount a participation event from its stored ballots"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_id", type=int)
        parser.add_argument("--json", action="store_true", help="print the whole count as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        event = Event.objects.filter(pk=options["event_id"]).first()
        if event is None:
            raise CommandError(f"no event {options['event_id']}")
        result = selectors.recount(event)
        self.stdout.write(f"{event.title}: ballots {result.ballots}, people who voted {result.participants}")
        if options["json"]:
            self.stdout.write(json.dumps(result.fresh, ensure_ascii=False, indent=2))
        if not result.ballots_match_participants:
            raise CommandError("the number of ballots differs from the number of people who voted")
        if result.published and not result.matches:
            raise CommandError("the recount differs from the published results")
        self.stdout.write("the recount matches" if result.published else "no results published yet")
