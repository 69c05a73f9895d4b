/**
 * Test launcher: `helios gateway` on an embedded engine with the JOB.* module registered (until
 * src/cli/modules.ts carries registerQueueCommands for every store, when `main.ts gateway` can
 * replace this). Usage: deno run -A jobs_gateway.ts CONFIG_FILE. Prints one JSON "Listening"
 * line for the gateway on stdout (the log level may hide the normal one), then serves until
 * SIGINT/SIGTERM.
 */
import { loadConfig } from "../../src/config/load.ts";
import { createDaemon } from "../../src/cli/runtime.ts";
import { startAtlasNode } from "../../src/cli/atlas_node.ts";
import { storeModules } from "../../src/cli/modules.ts";
import { createGateway, registerGatewayCommands } from "../../routes/mod.ts";
import { registerQueueCommands } from "../../src/queue/mod.ts";
import { EmbeddedAtlasClient } from "../../src/storage/embedded_client.ts";
import { serveHttp } from "../../src/lib/http_server.ts";
import { parseHostPort } from "../../src/lib/address.ts";
import type { Store } from "../../atlas/mod.ts";

const config = loadConfig({ file: Deno.args[0], env: Deno.env.toObject(), flags: [] });
const daemon = createDaemon("helios", config);
const registerQueueOnce = (store: Store) => {
  if (!store.commands.has("job.enqueue")) registerQueueCommands(store);
};
const node = await startAtlasNode(daemon, {
  listen: null,
  modules: [...storeModules, registerGatewayCommands, registerQueueOnce],
});
const gateway = await createGateway({
  config,
  logger: daemon.logger.child("gateway"),
  metrics: daemon.metrics,
  atlas: new EmbeddedAtlasClient(node.engine),
  env: { get: (name) => Deno.env.get(name) },
});
daemon.onStop("gateway services", () => gateway.close());
const server = serveHttp({
  address: parseHostPort(config.gateway.listen)!,
  handler: gateway.fetch,
  logger: daemon.logger.child("gateway"),
  name: "gateway",
});
daemon.onStop("gateway", () => server.close());
// deno-lint-ignore no-console
console.log(JSON.stringify({
  level: "INFO",
  component: "test",
  message: "Listening",
  extra: { listener: "gateway", address: `127.0.0.1:${server.address.port}` },
}));
Deno.exit(await daemon.run());
