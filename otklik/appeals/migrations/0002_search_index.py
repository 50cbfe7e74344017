"""Full-text search index of appeals (text and address), one per database vendor.

SQLite: an FTS5 table with external content (the appeal table itself), kept in step by triggers.
PostgreSQL: a GIN index on the ``russian`` text-search vector; the expression must stay identical to
``selectors.PG_DOCUMENT`` so the planner uses it.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS appeals_appeal_fts USING fts5("
    "text, address, content='appeals_appeal', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS appeals_appeal_fts_ai AFTER INSERT ON appeals_appeal BEGIN "
    "INSERT INTO appeals_appeal_fts(rowid, text, address) VALUES (new.id, new.text, new.address); END",
    "CREATE TRIGGER IF NOT EXISTS appeals_appeal_fts_ad AFTER DELETE ON appeals_appeal BEGIN "
    "INSERT INTO appeals_appeal_fts(appeals_appeal_fts, rowid, text, address) "
    "VALUES ('delete', old.id, old.text, old.address); END",
    "CREATE TRIGGER IF NOT EXISTS appeals_appeal_fts_au AFTER UPDATE OF text, address ON appeals_appeal BEGIN "
    "INSERT INTO appeals_appeal_fts(appeals_appeal_fts, rowid, text, address) "
    "VALUES ('delete', old.id, old.text, old.address); "
    "INSERT INTO appeals_appeal_fts(rowid, text, address) VALUES (new.id, new.text, new.address); END",
    "INSERT INTO appeals_appeal_fts(appeals_appeal_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS appeals_appeal_fts_ai",
    "DROP TRIGGER IF EXISTS appeals_appeal_fts_ad",
    "DROP TRIGGER IF EXISTS appeals_appeal_fts_au",
    "DROP TABLE IF EXISTS appeals_appeal_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS appeal_fts_russian ON appeals_appeal USING gin ("
    "to_tsvector('russian'::regconfig, COALESCE(\"text\", '') || ' ' || COALESCE(address, '')))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS appeal_fts_russian"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
            elidable=False,
        ),
    ]
