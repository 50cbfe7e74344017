"""The rules that keep the code simple, checked rather than remembered (architecture.md, style.md)."""

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "otklik"
# Bulk generators write history directly on purpose (benchmarks need millions of rows in minutes).
LIFECYCLE_WRITERS = {"appeals/services.py", "demo/sinks.py"}


def _files():
    for path in SOURCE.rglob("*.py"):
        if "migrations" not in path.parts:
            yield path.relative_to(SOURCE).as_posix(), path.read_text(encoding="utf-8")


def test_nothing_sets_an_appeal_state_outside_the_lifecycle_services():
    offenders = [
        name for name, text in _files()
        if name not in LIFECYCLE_WRITERS and re.search(r"\bappeal\.state\s*=[^=]", text)
    ]
    assert offenders == []


def test_events_are_recorded_only_by_the_lifecycle_services():
    writes = re.compile(r"AppealEvent\.objects\.(create|bulk_create|update)|(?<!class )AppealEvent\(")
    offenders = [name for name, text in _files() if name not in LIFECYCLE_WRITERS and writes.search(text)]
    assert offenders == []


def test_staff_pages_read_appeals_only_through_selectors():
    offenders = [
        name for name, text in _files()
        if re.match(r"(appeals|workspace|reports|portal)/(views|api|forms)\.py$", name) and "Appeal.objects" in text
    ]
    assert offenders == []
