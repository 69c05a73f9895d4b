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
# Deno.serve's request.signal aborts only when the client goes away, as deno.json's "unstable"
# list asks for `deno run` (the legacy mode prints a warning to stderr on the first read).
FLAGS=(-A --frozen --unstable-no-legacy-abort)
mkdir -p dist
"$DENO" compile "${FLAGS[@]}" "${INCLUDE[@]}" --output dist/helios main.ts
if [ "${1:-}" = "--all" ]; then
  for target in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin; do
    "$DENO" compile "${FLAGS[@]}" "${INCLUDE[@]}" --target "$target" --output "dist/helios-$target" main.ts
  done
fi
ls -l dist/
