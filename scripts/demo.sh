#!/usr/bin/env bash
# Starts the task worker, the deadline sweeper and the web server; stops them all on Ctrl-C.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
py=.venv/bin/python
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

mkdir -p var/log
$py manage.py run_huey --quiet >var/log/worker.log 2>&1 & pids+=($!)
$py manage.py sweep_deadlines --loop >var/log/sweeper.log 2>&1 & pids+=($!)

echo
echo "Otklik is running at http://$host:$port/"
echo "Demo logins (password for all: demo12345):"
$py manage.py load_demo --print-logins
echo "Worker log: var/log/worker.log; sweeper log: var/log/sweeper.log. Stop with Ctrl-C."
echo
.venv/bin/granian --interface wsgi --host "$host" --port "$port" --workers 1 \
  --blocking-threads 4 --backpressure 16 --static-path-mount var/static --static-path-route /static \
  otklik.wsgi:application
