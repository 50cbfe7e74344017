"""Freeze reports: those due now (previous month, previous quarter), or one named period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.reports.models import ReportKind
from otklik.reports.rollup import rollup_update
from otklik.reports.services import report_generate, reports_generate_due


class Command(BaseCommand):
    help = "Generate the reports that are due, or the report of one month (--month YYYY-MM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM: any day of the period")
        parser.add_argument("--kind", default=ReportKind.MONTHLY, choices=ReportKind.values)
        parser.add_argument("--organization", type=int, default=0)
        parser.add_argument("--replace", action="store_true", help="discard a frozen report and make it again")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["month"]:
            for report in reports_generate_due():
                self.stdout.write(f"{report.pk} {report}")
            return
        try:
            day = dt.date.fromisoformat(options["month"] + "-01")
        except ValueError:
            raise CommandError("--month must be YYYY-MM") from None
        rollup_update()
        report = report_generate(kind=options["kind"], day=day, organization_id=options["organization"],
                                 replace=options["replace"])
        self.stdout.write(f"{report.pk} {report}")
