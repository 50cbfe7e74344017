"""All benchmarks at one size, each in its own process, with a JSON record of every run.

    make bench [BENCH_SIZE=small|medium|large] [BENCH_ONLY="sweep queues"]
    .venv/bin/python bench/suite.py --size small [--only sweep queues] [--out bench/results]

Each benchmark runs against its own PostgreSQL database (created when missing) or, where it needs none,
without one; the record (``<out>/<date>-<commit>-<size>.json``) keeps the machine, the date, the commit,
each command line, its exit status, its wall time, the figures it wrote with ``--json`` and the last
lines it printed. bench/README.md keeps the table and the history; a figure that got worse is a bug.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PG = "postgresql://postgres@127.0.0.1:5432/"
DATA = ROOT.parent / "shared" / "data" / "kursk-appeals-2022" / "train_dataset_train.csv"
KURSK = ["--file", str(DATA), "--text-col", "Текст Сообщения"]

# name: (database or None, takes --json, arguments by size)
SIZES = {"small": 0, "medium": 1, "large": 2}
SUITE: dict[str, tuple[str | None, bool, tuple[list[str], list[str], list[str]]]] = {
    "sweep": ("otk_bench", True, (["--appeals", "20000", "--repeat", "1"], ["--appeals", "200000"],
                                  ["--appeals", "1000000"])),
    "queues": ("otk_bench_queues", True, (["--appeals", "20000", "--repeat", "5"], ["--appeals", "100000"],
                                          ["--appeals", "1000000"])),
    "reports": ("otk_reports_bench", False, (["--appeals", "20000", "--repeat", "1"], ["--appeals", "200000"],
                                             ["--appeals", "1000000"])),
    "api_action": ("otk_bench", True, (["--requests", "100", "--repeat", "1"], [], ["--repeat", "5"])),
    "participation_ballots": ("otk_bench", True, (["--voters", "5000", "--prefilled", "4000", "--timed", "500"],
                                                  [], [])),
    "escalations_detect": ("otk_bench", False, (["--days", "30", "--live", "50"], [], [])),
    "social_pipeline": ("otk_bench", False, (["--posts", "2000"], [], ["--posts", "100000"])),
    "routing_predict": (None, False, ([*KURSK, "--label-col", "Категория", "--repeats", "1"],
                                      [*KURSK, "--label-col", "Категория"], [*KURSK, "--label-col", "Категория"])),
    "personal_data": (None, False, ([*KURSK, "--count", "100"], KURSK, [*KURSK, "--count", "3000"])),
}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def _machine() -> dict[str, object]:
    memory = ""
    with open("/proc/meminfo") as meminfo:
        memory = meminfo.readline().split(":", 1)[1].strip()
    return {"node": platform.node(), "cpus": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "system": platform.platform(), "load": os.getloadavg()}


def _database(name: str) -> str:
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)
    return PG + name


def run(name: str, size: int) -> dict[str, object]:
    database, takes_json, by_size = SUITE[name]
    command = [PY, f"bench/{name}.py", *by_size[size]]
    env = {**os.environ, "OTKLIK_DEV": "1"}
    if database:
        env["DATABASE_URL"] = _database(database)
    figures: object = None
    with tempfile.TemporaryDirectory() as scratch:
        if takes_json:
            command += ["--json", f"{scratch}/figures.json"]
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = round(time.monotonic() - started, 1)
        figures_file = Path(scratch) / "figures.json"
        if figures_file.exists():
            figures = json.loads(figures_file.read_text())
    return {"command": " ".join(([f"DATABASE_URL={env['DATABASE_URL']}"] if database else []) + command),
            "rc": done.returncode, "wall_s": wall, "figures": figures,
            "output_tail": (done.stdout + done.stderr).splitlines()[-25:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--only", nargs="*", choices=list(SUITE), default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    names = args.only or list(SUITE)
    record: dict[str, object] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")), "size": args.size,
        "machine": _machine(), "results": {},
    }
    results: dict[str, object] = {}
    record["results"] = results
    failed = 0
    for name in names:
        print(f"bench: {name} ({args.size})", flush=True)
        results[name] = outcome = run(name, SIZES[args.size])
        failed += outcome["rc"] != 0
        print(f"  rc {outcome['rc']}, {outcome['wall_s']} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{dt.datetime.now():%Y-%m-%dT%H%M%S}-{str(record['commit'])[:8]}-{args.size}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1))
    print(f"bench: written {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
