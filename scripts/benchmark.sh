#!/usr/bin/env bash
# Runs every side-by-side comparison in bench/ and prints one summary of the ratios.
# Each bench starts its anchor itself (Redis, etcd, nginx, BullMQ on Redis) on loopback; this
# script installs the Debian packages they need. Full logs go to ${BENCH_LOGS:-.tmp/bench}.
#   scripts/benchmark.sh                 # everything (about 15 minutes)
#   scripts/benchmark.sh resp_vs_redis   # one or more by name
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
DENO=${DENO:-tools/deno/node_modules/.bin/deno}
[ -x "$DENO" ] || npm ci --prefix tools/deno --no-audit --no-fund >/dev/null

need=()
command -v redis-server >/dev/null || need+=(redis-server redis-tools)
command -v etcd >/dev/null || need+=(etcd-server)
command -v nginx >/dev/null || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(resp_vs_redis atlas_recovery raft_vs_etcd gateway login_storm jobs_vs_bullmq proxy_vs_nginx)
logs=${BENCH_LOGS:-.tmp/bench}
mkdir -p "$logs"
status=0
for bench in "${benches[@]}"; do
  echo "== $bench (log: $logs/$bench.log)"
  if ! "$DENO" run -A "bench/$bench/main.ts" >"$logs/$bench.log" 2>&1; then
    echo "   FAILED (see the log)"
    status=1
  fi
done

echo
echo "== Summary (each bench's closing table; ratios are Helios ÷ anchor)"
for bench in "${benches[@]}"; do
  echo
  echo "--- $bench"
  # The closing table or summary lines: everything from the last header on.
  grep -E '\||ratio|[0-9]\.[0-9]+x' "$logs/$bench.log" | tail -n 20
done
exit "$status"
