#!/usr/bin/env bash
# Starts a local 3-node ATLAS Raft cluster on loopback and stops it on Ctrl-C.
#   RESP:    127.0.0.1:6381, :6382, :6383      (redis-cli -p 6381)
#   Raft:    127.0.0.1:7001, :7002, :7003
#   Metrics: 127.0.0.1:9091, :9092, :9093      (curl 127.0.0.1:9091/raft/status)
# Data goes to ${DATA:-./data/cluster}/node-N. Logs are JSON lines in that folder's helios.log.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-tools/deno/node_modules/.bin/deno}
[ -x "$DENO" ] || { echo "Run: npm ci --prefix tools/deno" >&2; exit 1; }
DATA=${DATA:-./data/cluster}
SECRET=${HELIOS_ATLAS__RAFT__SECRET:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
pids=()
stop() {
  trap - INT TERM EXIT # once: Ctrl-C would otherwise run this again on the way out
  echo "Stopping the cluster..."
  kill -INT "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT
for i in 1 2 3; do
  peers=""
  for j in 1 2 3; do
    [ "$j" = "$i" ] || peers="${peers:+$peers,}node-$j=127.0.0.1:700$j"
  done
  mkdir -p "$DATA/node-$i"
  HELIOS_ATLAS__RAFT__SECRET="$SECRET" "$DENO" run -A main.ts atlasd \
    --data-dir "$DATA/node-$i" --listen "127.0.0.1:638$i" --metrics-listen "127.0.0.1:909$i" \
    --raft --raft-node-id "node-$i" --raft-addr "127.0.0.1:700$i" --raft-peers "$peers" \
    >"$DATA/node-$i/helios.log" 2>&1 &
  pids+=($!)
done
sleep 2
cat <<MSG
A 3-node ATLAS cluster is running:
  redis-cli -p 6381 set greeting hello      # any node takes writes (followers forward)
  redis-cli -p 6383 get greeting
  curl -s 127.0.0.1:9091/raft/status
  $DENO run -A main.ts cluster status --atlas 127.0.0.1:6381
Logs: $DATA/node-N/helios.log. Press Ctrl-C to stop.
MSG
wait "${pids[@]}"
