/**
 * A typed client generated from the live spec with openapi-typescript, calling the server
 * through openapi-fetch. The typed call site (gateway_client_calls.ts) is type-checked against
 * freshly generated types, so spec drift fails this test (and `deno check`).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateTypes } from "./gateway_api_gen.ts";
import { startGateway } from "./gateway_support.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

Deno.test("openapi-typescript types + openapi-fetch call the live gateway", async () => {
  const gw = startGateway();
  const dir = await Deno.makeTempDir({ prefix: "helios-client-" });
  try {
    const spec = await (await fetch(`${gw.base}/openapi.json`)).json();
    await Deno.writeTextFile(join(dir, "gateway_api_types.ts"), await generateTypes(spec));
    await Deno.copyFile(
      join(HERE, "gateway_client_calls.ts"),
      join(dir, "gateway_client_calls.ts"),
    );
    const check = await new Deno.Command(Deno.execPath(), {
      args: [
        "check",
        "--config",
        join(HERE, "..", "deno.json"),
        join(dir, "gateway_client_calls.ts"),
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));

    const { exercise } = await import(join(dir, "gateway_client_calls.ts"));
    const run = await exercise(gw.base, "admin-token");
    assert.deepEqual({ ...run, etag: typeof run.etag }, {
      createdStatus: 201,
      value: "from a typed client",
      ttl: 60,
      etag: "string",
      keys: ["typed/1"],
      healthy: "ok",
    });
  } finally {
    await gw.close();
    await Deno.remove(dir, { recursive: true });
  }
});
