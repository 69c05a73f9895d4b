/**
 * The gateway as a real process — `helios serve` and `helios gateway` on --data-dir TMP, listening
 * on 127.0.0.1:0, the bound port read from the "Listening" log line — with real auth (first admin from HELIOS_ADMIN_PASSWORD, a
 * read-only user, an API token), every KV route checked against the spec (checkRoutes), and every
 * operation in the spec answering with a documented status and a body matching its schema.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeliosProcess } from "./helpers/helios_process.ts";
import { checkRoutes } from "./gateway_route_checks.ts";
import { conforms } from "./gateway_support.ts";

const PASSWORD = "admin-password-123";

async function json(
  base: string,
  path: string,
  init: RequestInit,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, init);
  const body = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

const post = (body: unknown, token?: string): RequestInit => ({
  method: "POST",
  headers: {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify(body),
});

/** Logs in the admin, makes a read-only user and an API token. */
async function tokens(base: string) {
  const admin = String(
    (await json(base, "/api/v1/auth/login", post({ username: "admin", password: PASSWORD }))).token,
  );
  const user = await json(
    base,
    "/api/v1/auth/register",
    post({ username: "reader", password: "reader-pass-123" }),
  );
  await json(base, `/api/v1/admin/users/${user.user_id}/roles`, post({ role: "readonly" }, admin));
  const removed = await fetch(`${base}/api/v1/admin/users/${user.user_id}/roles/user`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${admin}` },
  });
  await removed.body?.cancel();
  const reader = String(
    (await json(
      base,
      "/api/v1/auth/login",
      post({ username: "reader", password: "reader-pass-123" }),
    )).token,
  );
  const apiToken = String(
    (await json(base, "/api/v1/auth/tokens", post({ name: "test" }, admin))).token,
  );
  return { admin, reader, apiToken };
}

/** Calls every operation once with plausible input and checks the answer against the spec. */
async function everyOperation(base: string, admin: string) {
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  const checked: string[] = [];
  for (
    const [template, item] of Object.entries(
      spec.paths as Record<string, Record<string, Record<string, unknown>>>,
    )
  ) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method];
      if (!op) continue;
      const path = template.replace(/\{[^}]+\}/g, "probe-1");
      const content =
        (op.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)
          ?.content;
      const example = content?.["application/json"]?.example ?? {};
      const response = await fetch(`${base}${path}`, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: method === "get" || method === "delete" ? undefined : JSON.stringify(example),
      });
      assert.ok(response.status < 500, `${method} ${template}: ${response.status}`);
      await conforms(spec, method, template, response);
      checked.push(`${method.toUpperCase()} ${template}`);
    }
  }
  return checked;
}

for (const command of ["serve", "gateway"]) {
  Deno.test(`helios ${command} (real process): every route per the spec`, async (t) => {
    const dataDir = await Deno.makeTempDir({ prefix: `helios-${command}-` });
    const configFile = join(dataDir, "config.yaml");
    await Deno.writeTextFile(
      configFile,
      'gateway:\n  cors_origins: ["https://app.example"]\n  body_limit_bytes: 4096\n',
    );
    const listeners = command === "serve" ? ["--resp-listen", "127.0.0.1:0"] : [];
    const helios = HeliosProcess.start([
      command,
      "--config",
      configFile,
      "--data-dir",
      join(dataDir, "data"),
      "--listen",
      "127.0.0.1:0",
      "--metrics-listen",
      "127.0.0.1:0",
      ...listeners,
    ], { HELIOS_ADMIN_PASSWORD: PASSWORD });
    try {
      const base = `http://${await helios.address("gateway")}`;
      const target = { base, ...(await tokens(base)) };
      await checkRoutes(t, target);
      if (command === "serve") {
        await t.step("the README's job waits for a worker with its handler", async () => {
          const headers = { authorization: `Bearer ${target.admin}` };
          const readme = await json(
            base,
            "/api/v1/jobs",
            post({ payload: { task: "process_data", data: "..." } }, target.admin),
          );
          // A webhook job after it, on the same queue: once the in-process worker finished it,
          // it has looked at the queue and passed over the job it has no handler for.
          const hook = await json(
            base,
            "/api/v1/jobs",
            post(
              { task: "http", payload: { method: "GET", url: `${base}/healthz` } },
              target.admin,
            ),
          );
          let status = "";
          for (let i = 0; i < 200 && status !== "COMPLETED"; i++) {
            status = String((await json(base, `/api/v1/jobs/${hook.id}`, { headers })).status);
            if (status !== "COMPLETED") await new Promise((r) => setTimeout(r, 25));
          }
          assert.equal(status, "COMPLETED");
          const waiting = await json(base, `/api/v1/jobs/${readme.id}`, { headers });
          assert.equal(waiting.status, "PENDING");
          assert.equal(waiting.attempt, 0);
          const pending = await json(base, "/api/v1/jobs?status=PENDING", { headers });
          assert.ok((pending.jobs as { id: string }[]).some((job) => job.id === readme.id));
        });
      }
      await t.step("every operation in the spec answers as documented", async () => {
        const checked = await everyOperation(base, target.admin);
        assert.ok(checked.includes("GET /api/v1/kv/{key}"));
        assert.ok(checked.length >= 10, checked.join(", "));
      });
    } finally {
      const status = await helios.stop("SIGINT");
      assert.equal(status.code, 0);
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}
