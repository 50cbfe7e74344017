#!/usr/bin/env bash
# The Open311 endpoints under one granian worker at each OTKLIK_CONCURRENCY, 16 wrk connections:
#   bench/serving.sh VAR_DIR KEY_FILE [SECONDS] [CONCURRENCY...]
# VAR_DIR holds a built database (migrate, load_demo, generate_load; it is copied, never changed) and
# KEY_FILE an Open311 API key (intake.services.api_key_create). Prints req/s and p99 per endpoint.
set -euo pipefail
var=${1:?VAR_DIR}; key=$(cat "${2:?KEY_FILE}"); seconds=${3:-5}; shift $(( $# < 3 ? $# : 3 ))
levels=("${@:-0 1 2 4}"); read -r -a levels <<<"${levels[*]}"
cd "$(dirname "$0")/.."
port=18900 run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
cat >"$run/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "service_code=roads.potholes&lat=51.73&long=36.19&description=%D0%AF%D0%BC%D0%B0&api_key=$key"
LUA
for c in "${levels[@]}"; do
  rm -rf "$run/var"; cp -R "$var" "$run/var"
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=otklik.settings \
    OTKLIK_VAR_DIR="$run/var" OTKLIK_CONCURRENCY="$c" PYTHONPATH="$PWD" \
    .venv/bin/granian --interface wsgi --workers 1 --host 127.0.0.1 --port $port otklik.wsgi:application \
    >"$run/granian.log" 2>&1 &
  pid=$!
  for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:$port/open311/v2/services.json" && break; sleep 0.5; done
  base=http://127.0.0.1:$port/open311/v2
  for ep in services list post; do
    case $ep in
      services) args=("$base/services.json") ;;
      list) args=("$base/requests.json?page_size=100") ;;
      post) args=(-s "$run/post.lua" "$base/requests.json") ;;
    esac
    out=$(wrk -t1 -c16 -d"${seconds}s" --latency "${args[@]}")
    echo "concurrency=$c $ep $(grep Requests/sec <<<"$out" | awk '{print $2}') req/s p99 $(grep ' 99%' <<<"$out" | awk '{print $2}') $(grep Non-2xx <<<"$out" || true)"
  done
  kill -INT $pid; wait $pid 2>/dev/null || true
done
