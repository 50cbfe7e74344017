"""Issue 16 §2: the layers are import-linter contracts (pyproject.toml) that `make lint` checks. Each
kind of contract fails on a deliberate violation, made in a copy of the package."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, module: str, code: str) -> subprocess.CompletedProcess:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "otklik", copy / "otklik", ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    target = copy / (module.replace(".", "/") + ".py")
    target.write_text(code, encoding="utf-8")
    return subprocess.run([str(LINT), "--no-cache"], cwd=copy, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def test_the_product_keeps_its_layers():
    result = subprocess.run([str(LINT), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("module", "code", "contract"),
    [
        ("otklik.appeals._violation", "import otklik.workspace.views\n", "Layers of the product"),
        ("otklik.core._violation", "from otklik.registry import models\n", "Core imports no domain"),
        ("otklik.reports._violation", "import otklik.demo.region\n", "Nothing depends on the demo"),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(tmp_path, module, code, contract):
    result = _lint(tmp_path, module, code)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert f"{contract} BROKEN" in broken, result.stdout[-2000:]
