"""Check the event log's hash chain of every appeal: an edited, removed, inserted or reordered event
is reported; the exit status is 1 when anything is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.appeals.selectors import chain_breaks


class Command(BaseCommand):
    help = "Verify the hash chain of the event log (appeals/chain.py)."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, breaks = chain_breaks()
        for item in breaks:
            where = f"event {item.event_id}" if item.event_id else "end of the log"
            self.stdout.write(f"appeal {item.appeal_id}, {where}: {item.problem}")
        if breaks:
            raise CommandError(f"{len(breaks)} break(s) of the event log in {checked} appeals")
        self.stdout.write(f"{checked} appeals: the event log is intact")
