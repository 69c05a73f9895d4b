/**
 * `helios user add NAME --role admin` (password on stdin) on an embedded data directory: the
 * user is durable in that directory's ATLAS and can log in through the gateway afterwards.
 */
import assert from "node:assert/strict";
import { AtlasEngine } from "../atlas/mod.ts";
import { createGateway } from "../routes/mod.ts";
import { configSchema } from "../src/config/schema.ts";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { EmbeddedAtlasClient } from "../src/storage/embedded_client.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function helios(args: string[], stdin: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

Deno.test("helios user add creates a durable admin on the data directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-user-" });
  try {
    const added = await helios(
      ["user", "add", "root", "--role", "admin", "--data-dir", dir],
      "root-password-1\n",
    );
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /Created user "root" .* with roles admin/);
    const again = await helios(["user", "add", "root", "--data-dir", dir], "root-password-1\n");
    assert.equal(again.code, 1);
    assert.match(again.err, /already taken/);
    const weak = await helios(["user", "add", "bob", "--data-dir", dir], "short\n");
    assert.equal(weak.code, 1);
    assert.match(weak.err, /at least 8 characters/);

    const engine = await AtlasEngine.open({ dataDir: dir, snapshotIntervalMs: 0 });
    const gateway = await createGateway({
      config: configSchema.parse({ gateway: { password_workers: 1 } }),
      logger: new Logger("gateway", { sink: () => {} }),
      metrics: new MetricsRegistry({ defaultMetrics: false }),
      atlas: new EmbeddedAtlasClient(engine),
      reaper: false,
    });
    try {
      const login = await gateway.app.request("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "root", password: "root-password-1" }),
      });
      assert.equal(login.status, 200);
      const { token } = await login.json();
      const users = await gateway.app.request("/api/v1/admin/users", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(users.status, 200);
      assert.equal((await users.json()).total, 1);
    } finally {
      await gateway.close();
      await engine.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("helios serve with HELIOS_ADMIN_PASSWORD creates the first admin once", async () => {
  const { HeliosProcess } = await import("./helpers/helios_process.ts");
  const dataDir = await Deno.makeTempDir({ prefix: "helios-first-admin-" });
  const args = [
    "serve",
    "--data-dir",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--resp-listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "127.0.0.1:0",
  ];
  const login = async (gateway: string, password: string) => {
    const res = await fetch(`http://${gateway}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    await res.body?.cancel();
    return res.status;
  };
  try {
    const first = HeliosProcess.start(args, { HELIOS_ADMIN_PASSWORD: "first-admin-pass" });
    try {
      assert.equal(await login(await first.address("gateway"), "first-admin-pass"), 200);
    } finally {
      assert.equal((await first.stop("SIGINT")).code, 0, first.stderr.join("\n"));
    }
    // A later start with another password changes nothing: the admin exists, durably.
    const second = HeliosProcess.start(args, { HELIOS_ADMIN_PASSWORD: "other-password-1" });
    try {
      const gateway = await second.address("gateway");
      assert.equal(await login(gateway, "other-password-1"), 401);
      assert.equal(await login(gateway, "first-admin-pass"), 200);
    } finally {
      assert.equal((await second.stop("SIGINT")).code, 0, second.stderr.join("\n"));
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
