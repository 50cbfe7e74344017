"""The one schedule of periodic work. Every job is a Django Tasks API task in its domain's ``tasks.py``;
the Tasks API has no periodic form, so Huey's scheduler only enqueues them, here and nowhere else.
Tasks are named by path, so core imports no domain.

Tests and ``OTKLIK_QUEUE=immediate`` run tasks in the calling process (``HUEY["immediate"]``, set
once for the whole suite in tests/conftest.py); a worker (``manage.py run_huey``) runs them otherwise.
"""

from __future__ import annotations

from django.utils.module_loading import import_string
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

SCHEDULE: list[tuple[str, dict[str, str], str]] = [
    # (task, crontab fields, why this often)
    ("otklik.appeals.tasks.sweep_deadlines", {"minute": "*"}, "deadlines are minutes; notices retried"),
    ("otklik.reports.tasks.update_rollups", {"minute": "*"}, "dashboards a minute behind the event log"),
    ("otklik.reports.tasks.generate_due_reports", {"minute": "30", "hour": "0-6"},
     "the month's reports early on the 1st; later runs find them made"),
    ("otklik.reports.tasks.retry_report_deliveries", {"minute": "*/10"},
     "a report some recipient has not received is sent again within minutes"),
    ("otklik.escalations.tasks.catch_up", {"minute": "*/5"},
     "appeals a failed detection task left uncounted, within minutes (escalations are due in a day)"),
    ("otklik.intake.tasks.purge_abandoned_uploads", {"minute": "17"}, "files of forms never sent, within hours"),
    ("otklik.intake.social.tasks.fetch_due", {"minute": "*"},
     "each social source at its own interval (5 minutes by default): posts are answered within hours"),
    ("otklik.intake.social.tasks.publish_due", {"minute": "*"},
     "replies refused by a rate limit or lost with a worker go out at the next minute they are due"),
    ("otklik.intake.social.tasks.check_official_accounts", {"minute": "41"},
     "official accounts' newest posts: silence is counted in days"),
    ("otklik.routing.tasks.retrain", {"minute": "40", "hour": "3"},
     "the night's retraining learns the day's routing decisions; a worse version is kept but not activated"),
    ("otklik.participation.tasks.control_deadlines", {"minute": "*/5"},
     "late starts, finishes and results of discussions, votes and polls; notices a failed run left unmade"),
    ("otklik.privacy.tasks.anonymise_due", {"minute": "20", "hour": "2"},
     "applicants past the region's term of keeping personal data are made anonymous within a day"),
]


def _enqueuer(path: str) -> object:
    def enqueue() -> None:
        import_string(path).enqueue()

    return db_periodic_task(crontab(**SCHEDULE_FIELDS[path]), name=f"schedule:{path}")(enqueue)


SCHEDULE_FIELDS = {path: fields for path, fields, _why in SCHEDULE}
PERIODIC = {path: _enqueuer(path) for path, _fields, _why in SCHEDULE}
