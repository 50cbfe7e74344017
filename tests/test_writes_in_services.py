"""Issue 16 §3: writes happen in services.py (and migrations, and the benchmarks' bulk sink), checked
on the syntax tree, not by regular expressions. Each rule fails on a deliberate violation (tested)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "otklik"
WRITE_METHODS = {"save", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create",
                 "update_or_create"}
RAW_WRITE = re.compile(r"^\s*(UPDATE \S+ SET|INSERT INTO|DELETE FROM|TRUNCATE)\b")
# The bulk sink (and the synthetic region it fills) writes millions of rows for benchmarks, deriving every
# column from the same deadline functions (tests/demo/test_stories.py proves they are the services' rows).
BULK_SINK = {"demo/sinks.py", "demo/load.py"}
# Known writes still outside services.py, to be moved into their domain's services (the demo region's
# went to registry, accounts and workspace services in issue 16). Empty; a new file here is a review question.
NOT_YET_MOVED: dict[str, str] = {}
# Receivers whose save/delete is not the ORM's (Pillow images, stored files).
NOT_MODELS = re.compile(r"(^|\.)(image|file|convert\(.*\))$")


def _receiver(node: ast.Attribute) -> str:
    return ast.unparse(node.value)


def orm_writes(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS:
            receiver = _receiver(node.func)
            manager = ".objects" in receiver or receiver.endswith("objects")
            instance = node.func.attr in {"save", "delete"} and not NOT_MODELS.search(receiver)
            if manager or instance:
                found.append((node.lineno, f"{receiver[:50]}.{node.func.attr}()"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and RAW_WRITE.search(node.value):
            found.append((node.lineno, "raw SQL write"))
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if RAW_WRITE.search(text):
                found.append((node.lineno, "raw SQL write"))
    return found


def _checked_files():
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if "migrations" in path.parts or path.name == "services.py" or name in BULK_SINK:
            continue
        yield name, path


def test_no_orm_write_outside_services():
    offenders = []
    for name, path in _checked_files():
        if name in NOT_YET_MOVED:
            continue
        for line, what in orm_writes(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{name}:{line} {what}")
    assert offenders == []


def test_the_files_not_yet_moved_still_write_so_the_list_only_shrinks():
    for name, why in NOT_YET_MOVED.items():
        assert orm_writes(ast.parse((SOURCE / name).read_text(encoding="utf-8"))), f"{name} ({why}): drop it"


def test_each_kind_of_write_is_caught():
    samples = {
        "Appeal.objects.filter(pk=1).update(state='closed')": True,
        "Notice.objects.create(kind='x')": True,
        "appeal.save()": True,
        "breach.delete()": True,
        "Version.objects.get_or_create(name='x')": True,
        "cursor.execute('UPDATE appeals_appeal SET state = %s', [s])": True,
        "cursor.execute(f'DELETE FROM {table} WHERE id = %s', [1])": True,
        "image.save(buffer, format='JPEG')": False,
        "attachment.file.delete(save=False)": False,
        "context.update(extra)": False,
        "Appeal.objects.filter(pk=1).first()": False,
    }
    for code, expected in samples.items():
        assert bool(orm_writes(ast.parse(code))) is expected, code
