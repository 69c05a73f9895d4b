/**
 * Conformance of a real gateway process (`main.ts gateway`, embedded engine) to its own
 * /openapi.json: every operation is driven through its success responses and its documented
 * errors (400, 401, 403, 404, 409, 412, 429), and every response is checked against the
 * operation it belongs to — the status is declared, the content type is the declared one, the
 * declared headers are sent, and the body validates (ajv, JSON Schema 2020-12, $refs resolved
 * inside the spec) — and every error is RFC 9457 problem+json with type/title/status/detail.
 * All mismatches are collected and reported together.
 */
import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { ADMIN_PASSWORD, Child, freePort } from "./jobs_processes.ts";

type Json = Record<string, unknown>;
type Response_ = {
  description?: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema?: Json }>;
};
type Operation = { responses: Record<string, Response_>; security?: unknown[]; requestBody?: Json };

const METHODS = ["get", "put", "post", "delete", "patch"];
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
}

/** Checks responses against the spec and collects every mismatch. */
class Conformance {
  readonly mismatches: string[] = [];
  readonly seen = new Map<string, Set<string>>();
  readonly ops = new Map<string, Operation>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(readonly spec: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(spec, "helios:spec");
    for (const [path, item] of Object.entries(spec.paths as Record<string, Json>)) {
      for (const method of METHODS) {
        if (item[method]) {
          this.ops.set(`${method.toUpperCase()} ${path}`, item[method] as Operation);
        }
      }
    }
  }

  /** A request body the spec accepts must not be refused as invalid, and the reverse. */
  checkRequest(op: string, body: unknown, status: number, problem: Json): void {
    const operation = this.ops.get(op);
    if (!operation?.requestBody || body === undefined) return;
    const [method, path] = op.split(" ");
    const ref = `helios:spec#/${
      pointer("paths", path, method.toLowerCase(), "requestBody", "content", "application/json")
    }/schema`;
    const validate = this.ajv.getSchema(ref) ?? this.ajv.compile({ $ref: ref });
    const valid = validate(body);
    const fields = (problem.errors ?? []) as { path: string }[];
    if (valid && status === 400 && fields.some((f) => f.path.startsWith("json"))) {
      this.mismatches.push(`${op}: spec-valid body refused: ${JSON.stringify(body)}`);
    }
    if (!valid && status >= 200 && status < 300) {
      const rule = validate.errors?.[0];
      this.mismatches.push(
        `${op}: body invalid per spec accepted (${rule?.instancePath} ${rule?.schemaPath}): ` +
          JSON.stringify(body).slice(0, 200),
      );
    }
  }

  check(op: string, status: number, headers: Headers, text: string): void {
    const operation = this.ops.get(op);
    if (!operation) {
      this.mismatches.push(`${op}: not in the spec`);
      return;
    }
    const seen = this.seen.get(op) ?? new Set();
    seen.add(String(status));
    this.seen.set(op, seen);
    const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) =>
      operation.responses[k]
    );
    const where = `${op} → ${status}`;
    if (!key) {
      this.mismatches.push(`${where}: status not declared (body ${text.slice(0, 200)})`);
      return;
    }
    const declared = operation.responses[key];
    for (const name of Object.keys(declared.headers ?? {})) {
      if (!headers.has(name)) {
        this.mismatches.push(`${where}: declared header ${name} missing`);
      }
    }
    const mediaTypes = Object.keys(declared.content ?? {});
    const type = (headers.get("content-type") ?? "").split(";")[0].trim();
    if (mediaTypes.length === 0) {
      if (text !== "") this.mismatches.push(`${where}: declares no body, sent ${type} ${text}`);
      return;
    }
    if (!mediaTypes.includes(type)) {
      this.mismatches.push(`${where}: content-type ${type || "(none)"}, declared ${mediaTypes}`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (_error) {
      this.mismatches.push(`${where}: body is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    const [path, method] = [op.slice(op.indexOf(" ") + 1), op.slice(0, op.indexOf(" "))];
    const ref = `helios:spec#/${
      pointer("paths", path, method.toLowerCase(), "responses", key, "content", type, "schema")
    }`;
    const validate = this.ajv.getSchema(ref) ?? this.ajv.compile({ $ref: ref });
    if (!validate(body)) {
      for (const error of validate.errors ?? []) {
        this.mismatches.push(
          `${where}: ${error.instancePath || "/"} ${error.schemaPath} ${error.message} ` +
            `(${JSON.stringify(error.params)})`,
        );
      }
    }
    if (status >= 400) {
      const problem = body as Json;
      if (type !== "application/problem+json") {
        this.mismatches.push(`${where}: error is ${type}, not application/problem+json`);
      }
      for (const field of ["type", "title", "status", "detail"]) {
        if (problem?.[field] === undefined) {
          this.mismatches.push(`${where}: problem lacks ${field}`);
        }
      }
      if (problem?.status !== status) {
        this.mismatches.push(`${where}: problem status ${problem?.status} ≠ ${status}`);
      }
    }
  }
}

/** Public operations the rate limiter applies to (healthz and readyz are never limited). */
const PUBLIC_LIMITED = [
  "POST /api/v1/auth/register",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/refresh",
  "GET /.well-known/jwks.json",
];

/** The worker protocol's routes have route policies (routes/jobs.ts); the config overrides them. */
const WORKER_LIMITED = [
  "POST /api/v1/jobs/claim",
  "POST /api/v1/jobs/{id}/heartbeat",
  "POST /api/v1/jobs/{id}/ack",
  "POST /api/v1/jobs/ack",
  "POST /api/v1/jobs/{id}/nack",
  "POST /api/v1/jobs/{id}/release",
];

interface Call {
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  expect?: number;
}

Deno.test("every response of a real gateway matches its OpenAPI operation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-conformance-" });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Rate limiting on: a generous default, one bucket for the role `throttled` and small route
  // policies on the public and worker routes, so 429 can be reached on every limited operation.
  const publicLimit = { capacity: 30, rate_num: 1, rate_den: 86_400 };
  const config = `${dir}/gateway.yaml`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      atlas: { data_dir: `${dir}/data`, aof_fsync: "none" },
      gateway: {
        listen: `127.0.0.1:${port}`,
        jwt_expiry: "2h",
        rate_limit: {
          default_capacity: 100_000,
          default_rate_num: 1000,
          trusted_proxies: ["127.0.0.1"],
          roles: { throttled: { capacity: 1, rate_num: 1, rate_den: 86_400 } },
          routes: [...PUBLIC_LIMITED, ...WORKER_LIMITED].map((op) => {
            const [method, path] = op.split(" ");
            return { method, path, ...publicLimit };
          }),
        },
      },
      observability: { metrics_listen: "127.0.0.1:0", log_level: "warn" },
    }),
  );
  const gw = new Child(["main.ts", "gateway", "--config", config], {
    HELIOS_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });
  try {
    await gw.ready(base);
    const spec = await (await fetch(`${base}/openapi.json`)).json() as Json;
    await SwaggerParser.validate(structuredClone(spec) as never); // valid OpenAPI 3.1
    const c = new Conformance(spec);
    const unexpected: string[] = [];

    /** Sends one request for operation `op` ("POST /api/v1/kv/{key}") to `url`. */
    const call = async (op: string, url: string, init: Call = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined = init.raw;
      if (init.body !== undefined) body = JSON.stringify(init.body);
      if (body !== undefined) headers["content-type"] ??= "application/json";
      const response = await fetch(`${base}${url}`, {
        method: op.slice(0, op.indexOf(" ")),
        headers,
        body,
      });
      const text = await response.text();
      c.check(op, response.status, response.headers, text);
      if (init.expect !== undefined && response.status !== init.expect) {
        unexpected.push(`${op} ${url}: ${response.status}, expected ${init.expect}: ${text}`);
      }
      let json: Json = {};
      try {
        json = JSON.parse(text);
      } catch (_error) {
        // Empty or not JSON: check() reported it if the spec says otherwise.
      }
      c.checkRequest(op, init.body, response.status, json);
      return { status: response.status, headers: response.headers, json };
    };

    // --- public operations and the admin's session -----------------------------------------
    await call("GET /healthz", "/healthz", { expect: 200 });
    await call("GET /readyz", "/readyz", { expect: 200 });
    await call("GET /.well-known/jwks.json", "/.well-known/jwks.json", { expect: 200 });
    const login = (username: string, password: string, expect = 200) =>
      call("POST /api/v1/auth/login", "/api/v1/auth/login", {
        body: { username, password },
        expect,
      });
    const admin = (await login("admin", ADMIN_PASSWORD)).json;
    const A = admin.token as string;
    await login("admin", "wrong-password", 401);
    await call("POST /api/v1/auth/login", "/api/v1/auth/login", { body: {}, expect: 400 });
    await call("POST /api/v1/auth/login", "/api/v1/auth/login", { raw: "{", expect: 400 });

    const registered = await call("POST /api/v1/auth/register", "/api/v1/auth/register", {
      body: { username: "bob", password: "bob-password-1" },
      expect: 201,
    });
    await call("POST /api/v1/auth/register", "/api/v1/auth/register", {
      body: { username: "bob", password: "bob-password-1" },
      expect: 409,
    });
    await call("POST /api/v1/auth/register", "/api/v1/auth/register", {
      body: { username: "" },
      expect: 400,
    });
    const bobId = registered.json.user_id as string;
    const bob = (await login("bob", "bob-password-1")).json;
    const refreshed = await call("POST /api/v1/auth/refresh", "/api/v1/auth/refresh", {
      body: { refresh_token: bob.refresh_token },
      expect: 200,
    });
    await call("POST /api/v1/auth/refresh", "/api/v1/auth/refresh", {
      body: { refresh_token: "not-a-refresh-token" },
      expect: 401,
    });
    await call("POST /api/v1/auth/refresh", "/api/v1/auth/refresh", { body: {}, expect: 400 });
    const B2 = refreshed.json.token as string;

    await call("GET /api/v1/auth/me", "/api/v1/auth/me", { token: A, expect: 200 });
    await call("GET /api/v1/auth/me", "/api/v1/auth/me", { token: "garbage", expect: 401 });
    await call("GET /api/v1/auth/me/permissions", "/api/v1/auth/me/permissions", {
      token: B2,
      expect: 200,
    });

    // --- API tokens ----------------------------------------------------------------------------
    const created = await call("POST /api/v1/auth/tokens", "/api/v1/auth/tokens", {
      token: A,
      body: { name: "ci", expires_in: 3600 },
      expect: 201,
    });
    const T = created.json.token as string;
    await call("POST /api/v1/auth/tokens", "/api/v1/auth/tokens", {
      token: A,
      body: { name: "" },
      expect: 400,
    });
    await call("GET /api/v1/auth/tokens", "/api/v1/auth/tokens", { token: A, expect: 200 });
    const noRoles = await call("POST /api/v1/auth/tokens", "/api/v1/auth/tokens", {
      token: A,
      body: { name: "nothing", roles: [] },
    });
    const N = (noRoles.json.token as string | undefined) ?? B2;
    const doomed = await call("POST /api/v1/auth/tokens", "/api/v1/auth/tokens", {
      token: A,
      body: { name: "doomed" },
      expect: 201,
    });
    await call("DELETE /api/v1/auth/tokens/{id}", `/api/v1/auth/tokens/${doomed.json.id}`, {
      token: A,
      expect: 204,
    });
    await call("DELETE /api/v1/auth/tokens/{id}", `/api/v1/auth/tokens/${doomed.json.id}`, {
      token: A,
      expect: 404,
    });

    // --- authz and admin -----------------------------------------------------------------------
    await call("POST /api/v1/authz/check", "/api/v1/authz/check", {
      token: A,
      body: { subject: "bob", action: "write", resource: "kv:orders/42" },
      expect: 200,
    });
    await call("POST /api/v1/authz/check", "/api/v1/authz/check", {
      token: A,
      body: { subject: "bob" },
      expect: 400,
    });
    await call("GET /api/v1/admin/users", "/api/v1/admin/users?limit=10", {
      token: A,
      expect: 200,
    });
    await call("GET /api/v1/admin/users", "/api/v1/admin/users?limit=abc", {
      token: A,
      expect: 400,
    });
    await call("GET /api/v1/admin/users", "/api/v1/admin/users", { token: B2, expect: 403 });
    await call("GET /api/v1/admin/users/{id}", `/api/v1/admin/users/${bobId}`, {
      token: A,
      expect: 200,
    });
    await call("GET /api/v1/admin/users/{id}", "/api/v1/admin/users/u_missing", {
      token: A,
      expect: 404,
    });
    await call("PUT /api/v1/admin/roles/{name}", "/api/v1/admin/roles/ops", {
      token: A,
      body: { description: "operators", rules: ["kv:read", "jobs:*"] },
      expect: 200,
    });
    await call("PUT /api/v1/admin/roles/{name}", "/api/v1/admin/roles/ops2", {
      token: A,
      body: { rules: "kv:read" },
      expect: 400,
    });
    await call("PUT /api/v1/admin/roles/{name}", "/api/v1/admin/roles/admin", {
      token: A,
      body: { rules: ["kv:read"] },
      expect: 409,
    });
    await call("GET /api/v1/admin/roles", "/api/v1/admin/roles", { token: A, expect: 200 });
    await call("GET /api/v1/admin/roles/{name}", "/api/v1/admin/roles/ops", {
      token: A,
      expect: 200,
    });
    await call("GET /api/v1/admin/roles/{name}", "/api/v1/admin/roles/nope", {
      token: A,
      expect: 404,
    });
    await call("POST /api/v1/admin/users/{id}/roles", `/api/v1/admin/users/${bobId}/roles`, {
      token: A,
      body: { role: "ops" },
      expect: 200,
    });
    await call("POST /api/v1/admin/users/{id}/roles", `/api/v1/admin/users/${bobId}/roles`, {
      token: A,
      body: { role: "no-such-role" },
    });
    await call("POST /api/v1/admin/users/{id}/roles", `/api/v1/admin/users/${bobId}/roles`, {
      token: A,
      body: {},
      expect: 400,
    });
    await call("POST /api/v1/admin/users/{id}/roles", "/api/v1/admin/users/u_missing/roles", {
      token: A,
      body: { role: "ops" },
      expect: 404,
    });
    await call(
      "DELETE /api/v1/admin/users/{id}/roles/{role}",
      `/api/v1/admin/users/${bobId}/roles/ops`,
      { token: A, expect: 200 },
    );
    await call(
      "DELETE /api/v1/admin/users/{id}/roles/{role}",
      "/api/v1/admin/users/u_missing/roles/ops",
      { token: A, expect: 404 },
    );
    await call("DELETE /api/v1/admin/roles/{name}", "/api/v1/admin/roles/admin", {
      token: A,
      expect: 409,
    });
    await call("DELETE /api/v1/admin/roles/{name}", "/api/v1/admin/roles/ops", {
      token: A,
      expect: 204,
    });
    await call("DELETE /api/v1/admin/roles/{name}", "/api/v1/admin/roles/ops", {
      token: A,
      expect: 404,
    });
    await call("PATCH /api/v1/admin/users/{id}", `/api/v1/admin/users/${bobId}`, {
      token: A,
      body: { disabled: "yes" },
      expect: 400,
    });
    await call("PATCH /api/v1/admin/users/{id}", "/api/v1/admin/users/u_missing", {
      token: A,
      body: { disabled: true },
      expect: 404,
    });
    await call("POST /api/v1/admin/keys/rotate", "/api/v1/admin/keys/rotate", {
      token: A,
      expect: 200,
    });

    // --- KV ------------------------------------------------------------------------------------
    const kv = "/api/v1/kv/orders%2F42";
    const write = await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "placed", ttl: 3600 },
      headers: { "if-none-match": "*" },
      expect: 201,
    });
    await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "placed" },
      headers: { "if-none-match": "*" },
      expect: 412,
    });
    const etag = write.headers.get("etag") ?? "";
    await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "shipped" },
      headers: { "if-match": etag },
      expect: 200,
    });
    await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "lost" },
      headers: { "if-match": etag },
      expect: 412,
    });
    await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "x", extra: 1 },
      expect: 400,
    });
    await call("POST /api/v1/kv/{key}", kv, { token: T, raw: "{", expect: 400 });
    await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "x" },
      headers: { "if-match": 'W/"weak"' },
      expect: 400,
    });
    await call("POST /api/v1/kv/{key}", kv, {
      token: T,
      body: { value: "x".repeat(600 * 1024) },
      expect: 413,
    });
    const got = await call("GET /api/v1/kv/{key}", kv, { token: T, expect: 200 });
    await call("GET /api/v1/kv/{key}", kv, {
      token: T,
      headers: { "if-none-match": got.headers.get("etag") ?? "" },
      expect: 304,
    });
    await call("GET /api/v1/kv/{key}", "/api/v1/kv/missing", { token: T, expect: 404 });
    await call("GET /api/v1/kv", "/api/v1/kv?prefix=orders&limit=10", { token: T, expect: 200 });
    await call("GET /api/v1/kv", "/api/v1/kv?limit=0", { token: T, expect: 400 });
    await call("DELETE /api/v1/kv/{key}", kv, {
      token: T,
      headers: { "if-match": '"0000"' },
      expect: 412,
    });
    await call("DELETE /api/v1/kv/{key}", kv, { token: T, expect: 204 });
    await call("DELETE /api/v1/kv/{key}", kv, { token: T, expect: 404 });

    // --- jobs ----------------------------------------------------------------------------------
    const job = await call("POST /api/v1/jobs", "/api/v1/jobs", {
      token: A,
      body: { queue: "emails", task: "send", payload: { to: "a@example.com" } },
      expect: 201,
    });
    await call("POST /api/v1/jobs", "/api/v1/jobs", {
      token: A,
      body: { queue: "bad queue!" },
      expect: 400,
    });
    await call("POST /api/v1/jobs", "/api/v1/jobs", { token: A, raw: "{", expect: 400 });
    await call("POST /api/v1/queues/{queue}/jobs", "/api/v1/queues/emails/jobs", {
      token: A,
      body: { task: "send", payload: 1 },
      expect: 201,
    });
    await call("POST /api/v1/jobs/batch", "/api/v1/jobs/batch", {
      token: A,
      body: {
        jobs: [{ queue: "emails", task: "send", payload: 2 }, {
          queue: "emails",
          priority: 5,
          payload: null,
        }],
      },
      expect: 200,
    });
    await call("POST /api/v1/jobs/batch", "/api/v1/jobs/batch", {
      token: A,
      body: { jobs: [] },
      expect: 400,
    });
    await call("POST /api/v1/jobs/batch", "/api/v1/jobs/batch", {
      token: A,
      body: { jobs: [{ queue: "emails", task: "send" }] }, // payload is required
      expect: 400,
    });
    await call("GET /api/v1/jobs", "/api/v1/jobs?queue=emails&limit=10", { token: A, expect: 200 });
    await call("GET /api/v1/jobs", "/api/v1/jobs?status=bogus", { token: A, expect: 400 });
    const jobId = job.json.id as string;
    await call("GET /api/v1/jobs/{id}", `/api/v1/jobs/${jobId}`, { token: A, expect: 200 });
    await call("GET /api/v1/jobs/{id}", "/api/v1/jobs/j_missing", { token: A, expect: 404 });
    const claim = await call("POST /api/v1/jobs/claim", "/api/v1/jobs/claim", {
      token: A,
      body: { worker_id: "w1", queues: ["emails"], max: 4, lease_ms: 60_000 },
      expect: 200,
    });
    await call("POST /api/v1/jobs/claim", "/api/v1/jobs/claim", {
      token: A,
      body: { worker_id: "w1", queues: [] },
      expect: 400,
    });
    const claimed = (claim.json.jobs ?? []) as Json[];
    assert.ok(
      claimed.length >= 4,
      `claimed ${JSON.stringify(claim.json)}; ${unexpected.join("\n")}; ${c.mismatches.join("\n")}`,
    );
    const [j1, j2, j3, j4] = claimed;
    const lease = (j: Json) => ({ worker_id: "w1", attempt: j.attempt });
    await call("POST /api/v1/jobs/{id}/heartbeat", `/api/v1/jobs/${j1.id}/heartbeat`, {
      token: A,
      body: { ...lease(j1), progress: { done: 1 } },
      expect: 200,
    });
    await call("POST /api/v1/jobs/{id}/heartbeat", `/api/v1/jobs/${j1.id}/heartbeat`, {
      token: A,
      body: { worker_id: "w2", attempt: 9 },
      expect: 409,
    });
    await call("POST /api/v1/jobs/{id}/heartbeat", "/api/v1/jobs/j_missing/heartbeat", {
      token: A,
      body: { worker_id: "w1", attempt: 1 },
      expect: 404,
    });
    await call("POST /api/v1/jobs/{id}/heartbeat", `/api/v1/jobs/${j1.id}/heartbeat`, {
      token: A,
      body: { worker_id: "w1" },
      expect: 400,
    });
    await call("POST /api/v1/jobs/{id}/ack", `/api/v1/jobs/${j1.id}/ack`, {
      token: A,
      body: { ...lease(j1), result: "ok" },
      expect: 200,
    });
    await call("POST /api/v1/jobs/{id}/ack", `/api/v1/jobs/${j1.id}/ack`, {
      token: A,
      body: lease(j1),
      expect: 409,
    });
    await call("POST /api/v1/jobs/{id}/ack", "/api/v1/jobs/j_missing/ack", {
      token: A,
      body: { worker_id: "w1", attempt: 1 },
      expect: 404,
    });
    await call("POST /api/v1/jobs/ack", "/api/v1/jobs/ack", {
      token: A,
      body: { worker_id: "w1", acks: [{ id: j2.id, attempt: j2.attempt }] },
      expect: 200,
    });
    await call("POST /api/v1/jobs/ack", "/api/v1/jobs/ack", {
      token: A,
      body: { worker_id: "w1", acks: [] },
      expect: 400,
    });
    await call("POST /api/v1/jobs/{id}/release", `/api/v1/jobs/${j3.id}/release`, {
      token: A,
      body: lease(j3),
      expect: 200,
    });
    await call("POST /api/v1/jobs/{id}/release", `/api/v1/jobs/${j3.id}/release`, {
      token: A,
      body: lease(j3),
      expect: 409,
    });
    await call("POST /api/v1/jobs/{id}/nack", `/api/v1/jobs/${j4.id}/nack`, {
      token: A,
      body: { ...lease(j4), error: "boom", fatal: true },
      expect: 200,
    });
    await call("POST /api/v1/jobs/{id}/nack", `/api/v1/jobs/${j4.id}/nack`, {
      token: A,
      body: { ...lease(j4), error: "boom" },
      expect: 409,
    });
    await call("POST /api/v1/jobs/{id}/nack", "/api/v1/jobs/j_missing/nack", {
      token: A,
      body: { worker_id: "w1", attempt: 1, error: "boom" },
      expect: 404,
    });
    await call("POST /api/v1/jobs/{id}/retry", `/api/v1/jobs/${j4.id}/retry`, {
      token: A,
      expect: 200,
    });
    await call("POST /api/v1/jobs/{id}/retry", `/api/v1/jobs/${j1.id}/retry`, {
      token: A,
    });
    await call("POST /api/v1/jobs/{id}/retry", "/api/v1/jobs/j_missing/retry", {
      token: A,
      expect: 404,
    });
    await call("POST /api/v1/jobs/{id}/cancel", `/api/v1/jobs/${j3.id}/cancel`, {
      token: A,
      expect: 200,
    });
    await call("POST /api/v1/jobs/{id}/cancel", `/api/v1/jobs/${j1.id}/cancel`, {
      token: A,
      expect: 409,
    });
    await call("POST /api/v1/jobs/{id}/cancel", "/api/v1/jobs/j_missing/cancel", {
      token: A,
      expect: 404,
    });
    await call("GET /api/v1/queues", "/api/v1/queues", { token: A, expect: 200 });
    await call("GET /api/v1/queues/{queue}/dead", "/api/v1/queues/emails/dead?limit=5", {
      token: A,
      expect: 200,
    });
    await call("POST /api/v1/queues/{queue}/dead/redrive", "/api/v1/queues/emails/dead/redrive", {
      token: A,
      body: { max: 10 },
      expect: 200,
    });
    await call("POST /api/v1/queues/{queue}/dead/redrive", "/api/v1/queues/emails/dead/redrive", {
      token: A,
      body: { max: 0 },
      expect: 400,
    });
    await call("POST /api/v1/queues/{queue}/dead/purge", "/api/v1/queues/emails/dead/purge", {
      token: A,
      body: { max: 10 },
      expect: 200,
    });
    await call("POST /api/v1/queues/{queue}/dead/purge", "/api/v1/queues/emails/dead/purge", {
      token: A,
      body: { before: "yesterday" },
      expect: 400,
    });

    // --- every secured operation: 401 without a token, 403 (or allowed) with no roles -------
    for (const [op, operation] of c.ops) {
      if (!operation.security?.length) continue;
      const url = op.slice(op.indexOf(" ") + 1).replace(/\{[^}]+\}/g, "probe");
      const body = operation.requestBody ? {} : undefined;
      await call(op, url, { body, expect: 401 });
      await call(op, url, { body, token: N });
    }

    // --- every operation with a body: malformed JSON is a documented 400 -----------------------
    for (const [op, operation] of c.ops) {
      if (!operation.requestBody) continue;
      const url = op.slice(op.indexOf(" ") + 1).replace(/\{[^}]+\}/g, "probe");
      await call(op, url, { raw: "{", token: A, expect: 400 });
    }

    // --- 429: a caller whose role has a one-request bucket, and an address over the public
    // route policies --------------------------------------------------------------------------
    await call("PUT /api/v1/admin/roles/{name}", "/api/v1/admin/roles/throttled", {
      token: A,
      body: { rules: ["*"] },
      expect: 200,
    });
    const carol = await call("POST /api/v1/auth/register", "/api/v1/auth/register", {
      body: { username: "carol", password: "carol-password-1" },
      expect: 201,
    });
    await call(
      "POST /api/v1/admin/users/{id}/roles",
      `/api/v1/admin/users/${carol.json.user_id}/roles`,
      { token: A, body: { role: "throttled" }, expect: 200 },
    );
    const C = (await login("carol", "carol-password-1")).json.token as string;
    await call("GET /api/v1/auth/me", "/api/v1/auth/me", { token: C, expect: 200 });
    for (const [op, operation] of c.ops) {
      if (!operation.security?.length) continue;
      const url = op.slice(op.indexOf(" ") + 1).replace(/\{[^}]+\}/g, "probe");
      const body = operation.requestBody ? {} : undefined;
      if (WORKER_LIMITED.includes(op)) {
        for (let i = 0; i < publicLimit.capacity; i++) await call(op, url, { body, token: C });
      }
      const limited = await call(op, url, { body, token: C, expect: 429 });
      if (!limited.headers.get("retry-after")) unexpected.push(`${op}: 429 without Retry-After`);
    }
    for (const op of PUBLIC_LIMITED) {
      const url = op.slice(op.indexOf(" ") + 1);
      const body = op.startsWith("POST") ? {} : undefined;
      const headers = { "x-forwarded-for": "198.51.100.7" };
      for (let i = 0; i < publicLimit.capacity; i++) await call(op, url, { body, headers });
      await call(op, url, { body, headers, expect: 429 });
    }

    // --- account operations last: they end sessions --------------------------------------------
    await call("PUT /api/v1/auth/password", "/api/v1/auth/password", {
      token: B2,
      body: { current_password: "wrong-password", new_password: "bob-password-2" },
      expect: 401,
    });
    await call("PUT /api/v1/auth/password", "/api/v1/auth/password", {
      token: B2,
      body: { current_password: "bob-password-1" },
      expect: 400,
    });
    await call("PUT /api/v1/auth/password", "/api/v1/auth/password", {
      token: B2,
      body: { current_password: "bob-password-1", new_password: "bob-password-2" },
      expect: 204,
    });
    const bob3 = (await login("bob", "bob-password-2")).json;
    await call("POST /api/v1/auth/logout", "/api/v1/auth/logout?scope=bogus", {
      token: bob3.token as string,
      expect: 400,
    });
    await call("POST /api/v1/auth/logout", "/api/v1/auth/logout", {
      token: bob3.token as string,
      expect: 204,
    });
    await call("PATCH /api/v1/admin/users/{id}", `/api/v1/admin/users/${bobId}`, {
      token: A,
      body: { disabled: true },
      expect: 200,
    });
    await call("DELETE /api/v1/admin/users/{id}", `/api/v1/admin/users/${bobId}`, {
      token: A,
      expect: 204,
    });
    await call("DELETE /api/v1/admin/users/{id}", `/api/v1/admin/users/${bobId}`, {
      token: A,
      expect: 404,
    });

    // --- coverage: every operation answered at least one success -------------------------------
    const uncovered = [...c.ops.keys()].filter((op) =>
      ![...(c.seen.get(op) ?? [])].some((s) => s.startsWith("2"))
    );
    assert.deepEqual(uncovered, [], "operations never driven to a success");
    assert.deepEqual(unexpected, [], "statuses other than the flow expects");
    assert.deepEqual(c.mismatches, [], "responses that do not match the spec");
  } finally {
    await gw.kill("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
});
