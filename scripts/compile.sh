#!/usr/bin/env bash
# `deno task compile`: the single binary dist/helios for this machine, plus, with
# `--all`, dist/helios-<target> for Linux x64/arm64 and macOS x64/arm64.
# deno compile downloads Deno's runtime for each target: it needs network access (it cannot run
# on an offline machine; `deno task bundle` is the offline fallback).
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-deno}
# The password hashing worker is loaded by URL at run time, so it must be included explicitly.
INCLUDE=(--include src/auth/password_worker.ts)
mkdir -p dist
"$DENO" compile -A --frozen "${INCLUDE[@]}" --output dist/helios main.ts
if [ "${1:-}" = "--all" ]; then
  for target in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin; do
    "$DENO" compile -A --frozen "${INCLUDE[@]}" --target "$target" --output "dist/helios-$target" main.ts
  done
fi
ls -l dist/
