/**
 * Test entry for real-process tests (until `helios atlasd` exists): opens an AtlasEngine on the
 * data dir given as the first argument and serves RESP on 127.0.0.1, port 0 unless `--port N`.
 * Prints one JSON line {"message":"listening","addr":"127.0.0.1:PORT"}; stops on SIGTERM/SIGINT.
 * Flags: --sync-mode every|interval|none, --requirepass PW, --port N.
 */
import { AtlasEngine } from "../engine.ts";
import { startAtlasServer } from "../server.ts";
import { engineHooks } from "../server/engine_hooks.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

if (import.meta.main) {
  const dataDir = Deno.args[0];
  if (dataDir === undefined || dataDir.startsWith("--")) {
    throw new Error("Usage: atlasd_main.ts DATA_DIR [--sync-mode M] [--port N] [--requirepass PW]");
  }
  const fsync = flag("sync-mode", "every") as "every" | "interval" | "none";
  const engine = await AtlasEngine.open({ dataDir, fsync, blockingFsync: true }); // as atlasd
  const server = startAtlasServer({
    executor: engine,
    store: engine.store,
    persistence: engineHooks(engine, dataDir),
    hostname: "127.0.0.1",
    port: Number(flag("port", "0")),
    requirepass: flag("requirepass", ""),
  });
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ message: "listening", addr: `127.0.0.1:${server.addr.port}` }));
  const stop = async () => {
    await server.close();
    await engine.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
