/**
 * Spec-derived fuzzing: for every operation in /openapi.json, random and invalid path params,
 * query strings, headers and bodies. The gateway must never answer 5xx, and every error must be
 * problem+json with the documented fields. Seeded: a failure prints SEED=n; replay with
 * HELIOS_FUZZ_SEED=n (HELIOS_FUZZ_ROUNDS raises the count).
 */
import assert from "node:assert/strict";
import { createPrng } from "../src/lib/prng.ts";
import { configSchema } from "../src/config/schema.ts";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { createGateway } from "../routes/mod.ts";
import { memoryAtlas } from "../src/gateway/testing/memory_atlas.ts";

const ADMIN_PASSWORD = "fuzz-admin-123";

/** The full gateway (createGateway, as helios serve builds it) with a logged-in admin. */
async function fullGateway() {
  const gateway = await createGateway({
    config: configSchema.parse({
      gateway: {
        password_workers: 1,
        rate_limit: { default_capacity: 1_000_000, default_rate_num: 1000 },
      },
    }),
    logger: new Logger("gateway", { sink: () => {} }),
    metrics: new MetricsRegistry({ defaultMetrics: false }),
    atlas: memoryAtlas().client,
    env: { get: (name) => (name === "HELIOS_ADMIN_PASSWORD" ? ADMIN_PASSWORD : undefined) },
    reaper: false,
  });
  const login = await gateway.fetch(
    new Request("http://fuzz/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    }),
  );
  const { token } = await login.json();
  return { gateway, token: token as string };
}

const SEED = Number(Deno.env.get("HELIOS_FUZZ_SEED") ?? Date.now() % 1_000_000);
const ROUNDS = Number(Deno.env.get("HELIOS_FUZZ_ROUNDS") ?? 150);

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)];

const NASTY_STRINGS = [
  "",
  " ",
  "a",
  "orders/42",
  "\u0000",
  "\n",
  "%00",
  "%2F",
  "..%2F..%2Fetc%2Fpasswd",
  "ключ",
  "🔑".repeat(50),
  "x".repeat(401),
  "x".repeat(5000),
  "*",
  "[",
  "\\",
  '"quoted"',
  'W/"weak"',
  "null",
  "-1",
  "1e309",
  "<script>",
];

function randomString(r: Random): string {
  if (r() < 0.6) return pick(r, NASTY_STRINGS);
  const length = Math.floor(r() * 40);
  let text = "";
  for (let i = 0; i < length; i++) {
    const code = Math.floor(r() * (r() < 0.9 ? 128 : 0xd7ff)); // no lone surrogates
    text += String.fromCharCode(code);
  }
  return text;
}

function randomJson(r: Random, depth = 0): unknown {
  const kind = Math.floor(r() * (depth > 2 ? 5 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r() < 0.5 ? Math.floor(r() * 1e6) - 5e5 : r() * 1e20;
    case 2:
      return r() < 0.5;
    case 3:
    case 4:
      return randomString(r);
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
    default: {
      const keys = ["value", "ttl", "key", "extra", randomString(r)];
      return Object.fromEntries(
        keys.filter(() => r() < 0.6).map((key) => [key, randomJson(r, depth + 1)]),
      );
    }
  }
}

function randomBody(r: Random): { body?: string; type?: string } {
  const roll = r();
  if (roll < 0.1) return {};
  if (roll < 0.2) return { body: "{not json", type: "application/json" };
  if (roll < 0.3) {
    return { body: randomString(r), type: pick(r, ["text/plain", "application/xml", ""]) };
  }
  if (roll < 0.55) {
    const value = r() < 0.5 ? randomString(r) : randomJson(r);
    const ttl = r() < 0.5 ? undefined : randomJson(r);
    return { body: JSON.stringify({ value, ttl }), type: "application/json" };
  }
  return { body: JSON.stringify(randomJson(r)), type: "application/json" };
}

function randomHeaders(r: Random, token: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const auth = r();
  if (auth < 0.75) headers.authorization = `Bearer ${token}`;
  else if (auth < 0.85) {
    headers.authorization = `Bearer ${randomString(r).replace(/[^\x21-\x7e]/g, "")}`;
  } else if (auth < 0.9) headers.authorization = "Basic abc";
  const safe = (s: string) => s.replace(/[^\x20-\x7e]/g, "");
  if (r() < 0.3) {
    headers["if-match"] = safe(pick(r, ["*", '"abc"', 'W/"x"', '"a", "b"', randomString(r)]));
  }
  if (r() < 0.3) headers["if-none-match"] = safe(pick(r, ["*", '"abc"', randomString(r)]));
  if (r() < 0.1) headers["x-request-id"] = safe(randomString(r));
  return headers;
}

function fillPath(r: Random, template: string): string {
  return template.replace(/\{[^}]+\}/g, () => {
    const text = randomString(r);
    return r() < 0.8 ? encodeURIComponent(text) : text.replace(/[#?]/g, "");
  });
}

function randomQuery(r: Random, names: string[]): string {
  const pairs = [...names, "junk"].filter(() => r() < 0.5)
    .map((name) => `${name}=${encodeURIComponent(randomString(r))}`);
  if (r() < 0.2) pairs.push(`limit=${pick(r, ["0", "-1", "1001", "1.5", "abc", "5"])}`);
  if (r() < 0.2) pairs.push(`cursor=${pick(r, ["!!", "MTIuMA", "AAAA", "x".repeat(100)])}`);
  return pairs.length ? `?${pairs.join("&")}` : "";
}

Deno.test(`fuzz every route from the spec (SEED=${SEED})`, async () => {
  const { gateway, token } = await fullGateway();
  const r = createPrng(SEED);
  try {
    const spec = await (await gateway.fetch(new Request("http://fuzz/openapi.json"))).json();
    const operations: { method: string; path: string; query: string[] }[] = [];
    for (
      const [path, item] of Object.entries(
        spec.paths as Record<
          string,
          Record<string, { parameters?: { in: string; name: string }[] }>
        >,
      )
    ) {
      for (const method of ["get", "post", "put", "delete", "patch"]) {
        const op = item[method];
        if (!op) continue;
        const query = (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
        operations.push({ method: method.toUpperCase(), path, query });
      }
    }
    assert.ok(operations.length >= 6);
    let requests = 0;
    for (const op of operations) {
      for (let round = 0; round < ROUNDS; round++) {
        const url = `http://fuzz${fillPath(r, op.path)}${randomQuery(r, op.query)}`;
        const headers = randomHeaders(r, token);
        const { body, type } = op.method === "GET" || op.method === "DELETE"
          ? (r() < 0.1 ? randomBody(r) : {})
          : randomBody(r);
        if (type) headers["content-type"] = type;
        let request: Request;
        try {
          request = new Request(url, { method: op.method, headers, body });
        } catch {
          continue; // not even a valid HTTP request (the client refuses to send it)
        }
        const response = await gateway.fetch(request);
        requests++;
        const context = `SEED=${SEED} ${op.method} ${url} -> ${response.status}`;
        assert.ok(response.status < 500, context + " " + await response.clone().text());
        if (response.status >= 400) {
          assert.equal(response.headers.get("content-type"), "application/problem+json", context);
          const problem = await response.json();
          assert.equal(problem.status, response.status, context);
          assert.equal(typeof problem.code, "string", context);
          assert.match(problem.type, /^urn:helios:problem:/, context);
        } else {
          await response.body?.cancel();
        }
      }
    }
    assert.ok(requests > operations.length * ROUNDS * 0.9);
  } finally {
    await gateway.close();
  }
});
