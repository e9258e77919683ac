#!/bin/bash
# Embedded start-up: `npm start`'s server on a fresh DATA_DIR (initdb and
# every migration), then two restarts on the same data; for each, the time
# from exec to the first 200 from /ready, and the resident memory after 3 s
# idle. Run `npm run build` first. SERVER_JS picks another build to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_JS=${SERVER_JS:-dist/bin/server.js}
PORT=${PORT:-3116}
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
for run in first restart restart; do
  start=$(date +%s%N)
  PORT=$PORT DATA_DIR=$DATA LOG_LEVEL=warn node --max-semi-space-size=2 --v8-pool-size=1 "$SERVER_JS" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.02; done
  ready=$(date +%s%N)
  sleep 3
  rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status")
  echo "$run: /ready after $(( (ready - start) / 1000000 )) ms, idle RSS $rss MB"
  kill "$pid"
  wait "$pid" || true
done
