"""Make anonymous the applicants of appeals finished longer ago than the region's term (region settings:
«applicants' personal data are kept … years»). Run it daily (the schedule does); --dry-run only counts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from otklik.privacy import selectors, services


class Command(BaseCommand):
    help = "Erase applicants' personal data of appeals past the region's term, keeping statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count the appeals due, change nothing")
        parser.add_argument("--limit", type=int, default=None, help="at most this many appeals in one run")

    def handle(self, *args: Any, dry_run: bool = False, limit: int | None = None, **options: Any) -> None:
        now = timezone.now()
        cutoff = selectors.retention_cutoff(now)
        if cutoff is None:
            self.stdout.write("the region keeps personal data without a term: nothing to do")
            return
        due = selectors.due_for_anonymisation(now).count()
        if dry_run:
            self.stdout.write(f"{due} appeal(s) finished before {cutoff:%Y-%m-%d} would be made anonymous")
            return
        done = services.applicants_anonymise(now=now, limit=limit)
        self.stdout.write(f"{done} appeal(s) made anonymous (finished before {cutoff:%Y-%m-%d})")
