"""Backup and restore of the whole database: SQLite through its online backup API (consistent while
the site runs), PostgreSQL through pg_dump/pg_restore in their custom format."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection


class BackupError(Exception):
    pass


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # The tools' messages name tables and options, never the password (it travels in PGPASSWORD).
        raise BackupError(result.stderr.strip()[-2000:] or f"{command[0]} failed")


def backup(target: Path) -> Path:
    """Write a consistent copy of the database to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as destination:
            connection.connection.backup(destination)
        destination.close()
        return target
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", str(db["NAME"])], _pg_env(db))
        return target
    raise BackupError(f"no backup for {connection.vendor}")


def restore(source: Path) -> None:
    """Replace the database's contents with the copy in ``source`` (stop the site and workers first)."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(source) as copy:
            copy.backup(connection.connection)
        copy.close()
        return
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        connection.close()  # pg_restore drops and recreates the tables this connection may hold
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={db['NAME']}", str(source)], _pg_env(db))
        return
    raise BackupError(f"no restore for {connection.vendor}")
