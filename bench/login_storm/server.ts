// deno-lint-ignore-file no-console -- a benchmark script: its output is the result
/**
 * The gateway under test for bench/login_storm: buildGateway with the real auth services over
 * the durable ATLAS engine in a temp dir, bcrypt cost 10, listening on 127.0.0.1:0. With
 * `--inline` the hashing runs on the main thread (what the worker pool prevents). Prints one
 * line `READY <port>` once users bench0..bench{N-1} (password "bench-password") exist.
 */
import { AtlasEngine } from "../../atlas/mod.ts";
import { buildGateway, registerGatewayCommands } from "../../routes/mod.ts";
import { clientIpOf, gatewayAuth } from "../../routes/auth.ts";
import { createAuthServices, InlinePasswordRunner } from "../../src/auth/mod.ts";
import { TrustedProxies } from "../../src/gateway/client_ip.ts";
import { configSchema } from "../../src/config/schema.ts";
import { Logger } from "../../src/observability/logger.ts";
import { MetricsRegistry } from "../../src/observability/metrics.ts";
import { EmbeddedAtlasClient } from "../../src/storage/embedded_client.ts";

const dir = await Deno.makeTempDir({ prefix: "helios-login-storm-" });
// `--fsync none` isolates hashing from the AOF: reads wait for an in-flight group-commit fsync
// (no reply before the write it may follow is durable), and each login writes its session.
const fsyncArg = Deno.args.find((a) => a.startsWith("--fsync="))?.slice("--fsync=".length);
const fsync = fsyncArg === "none" || fsyncArg === "interval" ? fsyncArg : "every";
const engine = await AtlasEngine.open({ dataDir: dir, snapshotIntervalMs: 0, fsync });
registerGatewayCommands(engine.store);
const inline = Deno.args.includes("--inline");
const config = configSchema.parse({ gateway: { bcrypt_cost: 10, rate_limit: { enabled: false } } });
const logger = new Logger("gateway", { level: "error" });
const metrics = new MetricsRegistry({ defaultMetrics: false });
const atlas = new EmbeddedAtlasClient(engine);
const auth = await createAuthServices({
  atlas,
  config: config.gateway,
  logger,
  metrics,
  passwordRunner: inline ? new InlinePasswordRunner() : undefined,
});
const gateway = buildGateway({
  config,
  logger,
  metrics,
  atlas,
  auth: gatewayAuth(auth, clientIpOf(new TrustedProxies([]))),
});
const users = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? "20");
await Promise.all(Array.from({ length: users }, async (_, i) => {
  const register = await gateway.app.request("/api/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: `bench${i}`, password: "bench-password" }),
  });
  if (register.status !== 201) throw new Error(`register failed: ${register.status}`);
}));
// Event-loop lag: a 5 ms timer's lateness, max per 250 ms window, printed as `LAG <ms>` so the
// bench can attribute it to quiet and storm phases (the direct measure of "held the loop").
let expected = performance.now() + 5;
let windowMax = 0;
const lagTimer = setInterval(() => {
  const now = performance.now();
  windowMax = Math.max(windowMax, now - expected);
  expected = now + 5;
}, 5);
const lagReport = setInterval(() => {
  console.log(`LAG ${windowMax.toFixed(2)}`);
  windowMax = 0;
}, 250);
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`READY ${port}`),
}, gateway.fetch);
Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(lagTimer);
  clearInterval(lagReport);
  await server.shutdown();
  auth.close();
  await engine.close();
  await Deno.remove(dir, { recursive: true });
  Deno.exit(0);
});
