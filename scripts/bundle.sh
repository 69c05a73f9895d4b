#!/usr/bin/env bash
# `deno task bundle`: Helios as plain JavaScript in dist/ — the offline fallback to `deno compile`.
#   dist/helios.js              the program (deno run -A dist/helios.js serve)
#   dist/password_worker.js     the password hashing worker, loaded next to it
#   dist/swagger-ui/            the Swagger UI assets /docs serves
# `deno bundle` fetches esbuild from the npm registry on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-deno}
OUT=${1:-dist}
mkdir -p "$OUT/swagger-ui"
"$DENO" bundle --quiet -o "$OUT/helios.js" main.ts
"$DENO" bundle --quiet -o "$OUT/password_worker.js" src/auth/password_worker.ts
# The worker pool loads its worker by URL next to the module; in the bundle that file is .js.
sed -i 's#"./password_worker.ts"#"./password_worker.js"#' "$OUT/helios.js"
grep -q '"./password_worker.js"' "$OUT/helios.js" || { echo "bundle: password worker reference not found" >&2; exit 1; }
assets=$("$DENO" eval --quiet 'import p from "npm:swagger-ui-dist@^5.35.0/absolute-path.js"; console.log(p())')
for file in swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js favicon-32x32.png favicon-16x16.png; do
  cp "$assets/$file" "$OUT/swagger-ui/$file"
done
echo "Bundled into $OUT/: helios.js, password_worker.js, swagger-ui/"
