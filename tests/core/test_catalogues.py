import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted([ROOT / "locale/ru/LC_MESSAGES/django.po", *ROOT.glob("otklik/*/locale/ru/LC_MESSAGES/django.po")])


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_has_a_russian_translation(catalogue):
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext (msgfmt) is required")
    result = subprocess.run(["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(catalogue)],
                            capture_output=True, text=True, check=True)
    stats = result.stderr.strip()
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
