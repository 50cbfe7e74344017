#!/usr/bin/env bash
# Starts the task worker, the deadline sweeper and the web server (granian, WSGI), waits until the
# site answers, prints the URL and the demo logins, and stops all three on Ctrl-C or when one dies.
# `make demo` runs it after migrating and loading the demo region.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
py=.venv/bin/python
url="http://$host:$port/"
# Links in notices point at this server.
export SITE_URL=${SITE_URL:-http://$host:$port}
# Demo e-mail goes to files (one per message) so applicants' notices can be read: var/mail/.
export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}

# Each process gets its own process group, so Ctrl-C reaches only this script, which then stops
# each of them with one signal (granian 2.8.7 hangs when a second signal arrives while it stops).
set -m
pids=()
web=""
cleanup() {
  trap - EXIT INT TERM HUP
  set +m  # no "Terminated" job reports
  echo "Stopping Otklik..." >&2
  local pid alive
  for pid in "${pids[@]}"; do
    # granian stops cleanly on SIGINT, the others on SIGTERM.
    if [ "$pid" = "$web" ]; then kill -INT "$pid" 2>/dev/null || true; else kill "$pid" 2>/dev/null || true; fi
  done
  # Give them ten seconds to finish what they are doing, then stop them by force.
  for _ in $(seq 1 40); do
    alive=""
    for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    if [ -z "$alive" ]; then return 0; fi
    sleep 0.25
  done
  if [ -n "$web" ]; then pkill -KILL -P "$web" 2>/dev/null || true; fi  # granian's worker processes
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir -p var/log
$py manage.py run_huey --quiet >var/log/worker.log 2>&1 & pids+=($!)
$py manage.py sweep_deadlines --loop >var/log/sweeper.log 2>&1 & pids+=($!)
# A local fake social network (marked as a demo): its posts reach the social queue, answers go back under them.
$py manage.py demo_social_network >var/log/social-demo.log 2>&1 & pids+=($!)
.venv/bin/granian --interface wsgi --host "$host" --port "$port" --workers 1 \
  --blocking-threads 4 --backpressure 16 --static-path-mount var/static --static-path-route /static \
  otklik.wsgi:application >var/log/web.log 2>&1 & web=$!
pids+=("$web")

# Tell people to open the site only once it answers.
ready=""
for _ in $(seq 1 120); do
  if ! kill -0 "$web" 2>/dev/null; then
    echo "The web server stopped; its log (var/log/web.log) ends with:" >&2
    tail -n 20 var/log/web.log >&2
    exit 1
  fi
  if $py -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
      "${url}accounts/login/" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "The web server does not answer at $url; see var/log/web.log" >&2
  exit 1
fi

echo
echo "Otklik is running at $url"
echo
$py manage.py load_demo --print-logins
echo
echo "Demo social network (posts and replies): http://127.0.0.1:8025/ — the moderator's queue: ${url}workspace/social/"
echo "Logs: var/log/web.log, var/log/worker.log, var/log/sweeper.log, var/log/social-demo.log. Stop with Ctrl-C."
# Stop everything as soon as any of the three exits on its own.
status=0
wait -n "${pids[@]}" || status=$?
echo "A process exited with status $status (see var/log/)." >&2
exit 1
