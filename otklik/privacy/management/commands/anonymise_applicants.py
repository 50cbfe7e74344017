"""Make anonymous the applicants of appeals finished longer ago than the region's term (region settings:
«applicants' personal data are kept … years»). Run it daily (the schedule does); --dry-run only counts;
--appeal NUMBER erases one finished appeal's applicant now, before the term (the person asked, art. 21)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from otklik.privacy import selectors, services


class Command(BaseCommand):
    help = "Erase applicants' personal data of appeals past the region's term, keeping statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count the appeals due, change nothing")
        parser.add_argument("--limit", type=int, default=None, help="at most this many appeals in one run")
        parser.add_argument("--appeal", default="", help="one finished appeal's number: erase it now")

    def handle(self, *args: Any, dry_run: bool = False, limit: int | None = None, appeal: str = "",
               **options: Any) -> None:
        now = timezone.now()
        if appeal:
            found = selectors.finished_appeal(appeal)
            if found is None:
                raise CommandError(f"no finished appeal {appeal}")
            if dry_run:
                self.stdout.write(f"appeal {appeal} would be made anonymous")
                return
            made = services.applicant_anonymise(appeal_id=found.pk, now=now, before_term=True)
            self.stdout.write(f"appeal {appeal} made anonymous" if made else f"appeal {appeal} was already anonymous")
            return
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
