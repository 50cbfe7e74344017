"""The read-replica router (core/replica.py) decides per read; these tests ask it directly, on SQLite
too. Reading a real second PostgreSQL database is tests/reports/test_replica.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from otklik.accounts.models import User
from otklik.core.replica import REPLICA, ReplicaRouter, replica_reads, replica_usable
from otklik.reports.models import Report

ROOT = Path(__file__).resolve().parents[2]
router = ReplicaRouter()


# Overriding DATABASES warns that connections are not remade; these tests never connect to the alias.
quiet = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def with_replica() -> override_settings:
    # Only the router's own check reads the alias here: nothing connects to it.
    return override_settings(DATABASES={**settings.DATABASES, REPLICA: {**settings.DATABASES["default"]}})


@quiet
def test_without_a_replica_every_read_stays_on_the_primary():
    with override_settings(DATABASES={"default": settings.DATABASES["default"]}):
        assert router.db_for_read(Report) is None
        with replica_reads():
            assert router.db_for_read(Report) is None
            assert not replica_usable()


@quiet
def test_only_reads_inside_the_block_go_to_the_replica():
    with with_replica():
        assert router.db_for_read(Report) is None
        with replica_reads():
            assert router.db_for_read(Report) == REPLICA
            with replica_reads():  # nested blocks end where they began
                assert router.db_for_read(Report) == REPLICA
            assert router.db_for_read(Report) == REPLICA
        assert router.db_for_read(Report) is None


@quiet
def test_the_block_ends_when_its_code_fails():
    with with_replica():
        with pytest.raises(RuntimeError), replica_reads():
            raise RuntimeError
        assert router.db_for_read(Report) is None


@quiet
def test_writes_always_go_to_the_primary():
    with with_replica(), replica_reads():
        assert router.db_for_write(Report) == "default"
        assert router.db_for_write(User, instance=User(username="x")) == "default"
    assert router.db_for_write(Report) == "default"


@quiet
@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_sees_the_transaction():
    with with_replica(), replica_reads():
        assert router.db_for_read(Report) == REPLICA
        with transaction.atomic():
            # The primary's writes of this transaction are not on the replica (nor committed at all).
            assert router.db_for_read(Report) is None
        assert router.db_for_read(Report) == REPLICA


@quiet
def test_a_related_row_is_read_where_its_row_came_from():
    from_primary = User(username="p")
    from_primary._state.db = "default"
    with with_replica(), replica_reads():
        # None lets Django use the row's own database.
        assert router.db_for_read(User, instance=from_primary) is None
        assert router.db_for_read(User, instance=User(username="new")) == REPLICA


@quiet
def test_another_thread_does_not_inherit_the_block():
    seen: list[str | None] = []
    with with_replica(), replica_reads():
        worker = threading.Thread(target=lambda: seen.append(router.db_for_read(Report)))
        worker.start()
        worker.join()
        assert router.db_for_read(Report) == REPLICA
    assert seen == [None]


def test_the_replica_is_never_migrated_and_relations_across_both_are_allowed():
    assert router.allow_migrate("default", "reports") is True
    assert router.allow_migrate(REPLICA, "reports") is False
    one, other = User(username="a"), User(username="b")
    one._state.db, other._state.db = "default", REPLICA
    assert router.allow_relation(one, other) is True
    other._state.db = "elsewhere"
    assert router.allow_relation(one, other) is None


@pytest.mark.django_db
def test_reads_in_the_block_without_a_replica_run_on_the_primary():
    with replica_reads():
        assert Report.objects.count() == 0


# --- settings --------------------------------------------------------------------------------------

SHOW = ("import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.DATABASES), s.DATABASES.get('replica', {}).get('NAME'), "
        "s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), getattr(s, 'DATABASE_ROUTERS', []))")


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**environment, "OTKLIK_DEV": "1", "DJANGO_SETTINGS_MODULE": "otklik.settings", **env})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_REPLICA_URL": "postgresql://u@replica/db"}, "DATABASE_REPLICA_URL: a read replica needs"),
        ({"DATABASE_URL": "postgresql://u@h/db", "DATABASE_REPLICA_URL": "mysql://u@replica/db"},
         "DATABASE_REPLICA_URL: only postgresql"),
        ({"DATABASE_URL": "postgresql://u@h/db", "DATABASE_REPLICA_URL": "postgresql://u@replica:port/db"},
         "DATABASE_REPLICA_URL: "),
    ],
)
def test_a_wrong_replica_setting_stops_start_up(env, message):
    result = _start(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_replica_adds_the_alias_the_router_and_no_second_test_database():
    result = _start(DATABASE_URL="postgresql://u@h/db", DATABASE_REPLICA_URL="postgresql://u@replica/copy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("['default', 'replica'] copy default "
                                     "['otklik.core.replica.ReplicaRouter']")
    plain = _start(DATABASE_URL="postgresql://u@h/db")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == "['default'] None None []"
