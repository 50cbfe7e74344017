"""A month's report computed from a generated history must match counts made here, independently,
straight from the event log and the breach log."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.appeals import services as s
from otklik.appeals.lifecycle import OPEN_STATES, Regime
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach
from otklik.reports.models import Report, ReportKind
from otklik.reports.rollup import rollup_update
from otklik.reports.services import report_generate
from tests.reports import history
from tests.reports.conftest import local

pytestmark = pytest.mark.django_db

MONTH_START, MONTH_END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
KINDS = {"messages": (Regime.POS, Regime.FZ59), "social": (Regime.SOCIAL,)}


def _in_month(moment: dt.datetime) -> bool:
    return MONTH_START <= timezone.localtime(moment).date() <= MONTH_END


def expected_counts() -> dict[str, dict[int, Counter]]:
    """Replay every appeal's events here, with nothing from the reports package."""
    regime_of = dict(Appeal.objects.values_list("pk", "regime"))
    result: dict[str, dict[int, Counter]] = {kind: defaultdict(Counter) for kind in KINDS}

    def kind_of(appeal_id: int) -> str:
        return next(kind for kind, regimes in KINDS.items() if regime_of[appeal_id] in regimes)

    by_appeal: dict[int, list[AppealEvent]] = defaultdict(list)
    for event in AppealEvent.objects.order_by("id"):
        by_appeal[event.appeal_id].append(event)
    month_end = dt.datetime.combine(MONTH_END + dt.timedelta(days=1), dt.time.min,
                                    tzinfo=timezone.get_current_timezone())
    for appeal_id, events in by_appeal.items():
        counts = result[kind_of(appeal_id)]
        org, state, replied = 0, "", False
        # The term in force and the start of the current consideration, followed from the events alone.
        due: dt.datetime | None = None
        since = events[0].at
        for event in events:
            if event.action in ("register", "reclassify", "reconsider", "extend", "intermediate") and \
                    event.payload.get("due_at"):
                due = dt.datetime.fromisoformat(event.payload["due_at"])
            if event.action == "postpone":
                until = dt.date.fromisoformat(event.payload["until"])
                due = dt.datetime.combine(until, dt.time(23, 59, 59, 999999), tzinfo=timezone.get_current_timezone())
            if event.action in ("register", "reconsider"):
                since = event.at
            new_org = event.organization_id or 0
            inside = _in_month(event.at)
            if event.action in ("accept", "route", "redirect") and inside:
                counts[new_org]["received"] += 1
                if org and org != new_org:
                    counts[org]["redirected"] += 1
            if inside and event.action in ("return_to_moderation", "transfer"):
                counts[org]["redirected"] += 1
            if inside and event.action in ("reject", "leave_without_answer"):
                counts[org]["closed_without_answer"] += 1
            if inside and event.action == "publish":
                counts[org]["answered"] += 1
                breached = DeadlineBreach.objects.filter(appeal_id=appeal_id, stage="answer", detected_at__gte=since,
                                                         detected_at__lte=event.at).exists()
                on_time = (due is None or event.at <= due) and not breached
                counts[org]["answered_on_time" if on_time else "answered_late"] += 1
            if inside and event.action == "postpone":
                counts[org]["postponed"] += 1
            if event.action in ("intermediate", "publish") and regime_of[appeal_id] == Regime.SOCIAL and not replied:
                replied = True
                if inside:
                    counts[org]["first_replies"] += 1
            if event.at < month_end:
                state = event.to_state
                org = new_org
            else:
                break
        if state in OPEN_STATES:
            counts[org]["in_progress"] += 1
    # Missed stage budgets are internal (issue 9 §4): only breaches of the acts' terms are counted.
    for breach in DeadlineBreach.objects.filter(internal=False):
        if _in_month(breach.detected_at):
            result[kind_of(breach.appeal_id)][breach.organization_id or 0]["breaches"] += 1
    return result


@pytest.fixture
def march(rworld):
    history.generate(rworld, seed=7, count=90, first=local(2026, 2, 5), last=local(2026, 3, 31, 20),
                     horizon=local(2026, 4, 25))
    rollup_update(gap_wait=dt.timedelta(0))
    return rworld


def _rows(report: Report, kind: str) -> dict[int, dict]:
    return {row["organization_id"]: row for row in report.data["sections"][kind]["rows"]}


def test_it_matches_counts_made_independently_from_the_event_log(march):
    report = report_generate(kind=ReportKind.MONTHLY, day=dt.date(2026, 3, 15), now=local(2026, 4, 26))
    expected = expected_counts()
    for kind, section_expected in expected.items():
        rows = _rows(report, kind)
        columns = report.data["sections"][kind]["columns"]
        for org_id, counts in section_expected.items():
            for column in columns:
                if column in counts:
                    assert rows[org_id][column] == counts[column], (kind, org_id, column)
        for org_id, row in rows.items():
            for column in ("received", "answered", "answered_on_time", "answered_late", "postponed", "in_progress",
                           "breaches"):
                assert row[column] == section_expected.get(org_id, Counter())[column], (kind, org_id, column)
    # The history is rich enough for the comparison to mean something.
    messages = report.data["sections"]["messages"]["total"]
    assert messages["received"] > 20 and messages["answered"] > 5 and messages["in_progress"] > 5
    assert messages["answered_late"] > 0 and messages["answered_on_time"] > 0
    assert messages["breaches"] > 0 and messages["postponed"] > 0 and messages["redirected"] > 0
    assert report.data["sections"]["social"]["total"]["first_replies"] > 0
    actions = set(AppealEvent.objects.values_list("action", flat=True))
    assert {"postpone", "extend", "reconsider", "propose_postponement"} <= actions
    # Late-postponed: a breach recorded, then an answer, which the report counts late.
    late_ids = set(DeadlineBreach.objects.filter(stage="answer").values_list("appeal_id", flat=True))
    assert AppealEvent.objects.filter(action="publish", appeal_id__in=late_ids, payload__on_time=False).exists()


def test_it_freezes_the_report_so_later_events_do_not_change_it(march, rworld):
    first = report_generate(kind=ReportKind.MONTHLY, day=dt.date(2026, 3, 1), now=local(2026, 4, 26))
    frozen = first.data
    # A late correction: an appeal dated inside March is entered after the report was made.
    s.appeal_submit(text="Поздно внесённое", category=rworld.roads, territory=rworld.territories[0],
                    now=local(2026, 3, 20))
    rollup_update(gap_wait=dt.timedelta(0))
    again = report_generate(kind=ReportKind.MONTHLY, day=dt.date(2026, 3, 1), now=local(2026, 4, 27))
    assert again.pk == first.pk and again.data == frozen
    replaced = report_generate(kind=ReportKind.MONTHLY, day=dt.date(2026, 3, 1), now=local(2026, 4, 27), replace=True)
    assert replaced.data["summary"]["submitted"] == frozen["summary"]["submitted"] + 1


def check_xlsx(report: Report) -> None:
    book = openpyxl.load_workbook(io.BytesIO(bytes(report.xlsx)), data_only=True)
    expected_sheets = [_("Summary"), _("Messages"), _("Public messages"), _("Discussions, votes and polls"),
                       _("Deadline breaches"), _("Disciplinary measures")]
    assert book.sheetnames == [name[:31] for name in expected_sheets]
    for kind, title in (("messages", _("Messages")), ("social", _("Public messages"))):
        sheet = book[title[:31]]
        section = report.data["sections"][kind]
        header = [cell.value for cell in sheet[3]]
        total_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == _("Total"))
        for column in ("received", "answered", "answered_on_time", "answered_late", "in_progress"):
            index = section["columns"].index(column) + 1
            assert total_row[index] == section["total"][column], (kind, column, header[index])
            assert kind == "social" or total_row[index] > 0
        body = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] and row[0] != _("Total")]
        received = section["columns"].index("received") + 1
        assert sum(row[received] for row in body[: len(section["rows"])]) == section["total"]["received"]
        assert sheet._charts, "a native chart on the sheet"
    breaches = book[_("Deadline breaches")[:31]]
    assert breaches.max_row - 1 == report.data["summary"]["breaches"]


def check_pdf(report: Report, tmp_path: Path) -> None:
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is missing: .ci/run must install poppler-utils")
        pytest.skip("poppler-utils is not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(bytes(report.pdf))
    assert bytes(report.pdf).startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(page.stat().st_size > 5000 for page in pages)
    keep = Path(__file__).resolve().parents[2] / "test-output" / "reports"
    keep.mkdir(parents=True, exist_ok=True)
    for page in pages[:2]:  # for a person to look at
        shutil.copy(page, keep / f"monthly-{page.name}")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, timeout=60).stdout.decode()
    assert report.data["sections"]["messages"]["rows"][0]["organization"] in text


def test_it_makes_the_xlsx_with_sheets_and_totals_and_the_pdf_pages(march, tmp_path):
    report = report_generate(kind=ReportKind.MONTHLY, day=dt.date(2026, 3, 1), now=local(2026, 4, 26))
    check_xlsx(report)
    check_pdf(report, tmp_path)
