"""Issue 16 §6: one task story. Every periodic job is a Django Tasks API task, scheduled in
core/tasks.py and nowhere else; the schedule's entries run the task they name."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.utils.module_loading import import_string
from django_tasks.base import Task
from huey.contrib.djhuey import HUEY

from otklik.core.tasks import PERIODIC, SCHEDULE

ROOT = Path(__file__).resolve().parents[2] / "otklik"


def test_every_scheduled_job_is_a_tasks_api_task_and_huey_knows_its_schedule():
    periodic_names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    for path, _fields, why in SCHEDULE:
        assert isinstance(import_string(path), Task), path
        assert why
        assert PERIODIC[path].name in periodic_names


def test_no_module_but_core_tasks_uses_hueys_decorators():
    offenders = []
    for source in ROOT.rglob("*.py"):
        if source == ROOT / "core" / "tasks.py":
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("huey"):
                names = {alias.name for alias in node.names}
                if names & {"db_periodic_task", "periodic_task", "db_task", "task", "crontab"}:
                    offenders.append(f"{source.relative_to(ROOT)}: {sorted(names)}")
    assert offenders == []


@pytest.mark.django_db
def test_a_scheduled_entry_runs_its_task(settings, tmp_path):
    import time_machine

    from otklik.intake.models import Attachment
    from otklik.intake.services import attachment_store
    from tests.intake.conftest import png_bytes
    from tests.intake.test_uploads import upload

    settings.MEDIA_ROOT = str(tmp_path)
    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        attachment_store(upload=upload("фото.png", png_bytes()), draft_key="portal:old")
    with time_machine.travel(start + dt.timedelta(hours=5), tick=False):
        PERIODIC["otklik.intake.tasks.purge_abandoned_uploads"].call_local()
    assert not Attachment.objects.exists()
