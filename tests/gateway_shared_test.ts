/**
 * Remote mode with real processes: one `helios serve` (its ATLAS on RESP) and two
 * `helios gateway --atlas` processes sharing it, with `rate_limit.store: atlas`. A token issued by
 * one gateway works on the other (auth state lives in ATLAS), a key written through one is read
 * through the other, and 30 requests spread over both admit exactly the one bucket's capacity.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeliosProcess } from "./helpers/helios_process.ts";

const PASSWORD = "shared-admin-123";

Deno.test("two gateways over one ATLAS share auth, data and one rate limit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-shared-" });
  const config = join(dir, "config.yaml");
  await Deno.writeTextFile(
    config,
    "gateway:\n  rate_limit:\n    store: atlas\n    default_capacity: 10\n    default_rate_num: 1\n" +
      "    default_rate_den: 3600\n",
  );
  const common = ["--config", config, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"];
  const serve = HeliosProcess.start(
    ["serve", ...common, "--data-dir", join(dir, "data"), "--resp-listen", "127.0.0.1:0"],
    { HELIOS_ADMIN_PASSWORD: PASSWORD },
  );
  const gateways: HeliosProcess[] = [];
  try {
    const resp = await serve.address("resp");
    for (let i = 0; i < 2; i++) {
      gateways.push(HeliosProcess.start(["gateway", ...common, "--atlas", resp]));
    }
    const [a, b] = await Promise.all(
      gateways.map(async (g) => `http://${await g.address("gateway")}`),
    );
    const login = await fetch(`${a}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    const { token } = await login.json();
    const auth = { authorization: `Bearer ${token}` };
    const written = await fetch(`${a}/api/v1/kv/shared`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: '{"value":"via a"}',
    });
    assert.equal(written.status, 200);
    await written.body?.cancel();
    const read = await fetch(`${b}/api/v1/kv/shared`, { headers: auth });
    assert.equal(read.status, 200);
    assert.equal((await read.json()).value, "via a");

    let admitted = 2; // the write and the read above took two tokens
    for (let i = 0; i < 15; i++) {
      for (const base of [a, b]) {
        const response = await fetch(`${base}/api/v1/kv/shared`, { headers: auth });
        await response.body?.cancel();
        if (response.status === 200) admitted++;
        else assert.equal(response.status, 429);
      }
    }
    assert.equal(admitted, 10, "2 gateways x 16 requests admit the one shared bucket's 10");
  } finally {
    for (const gateway of gateways) await gateway.stop("SIGINT");
    await serve.stop("SIGINT");
    await Deno.remove(dir, { recursive: true });
  }
});
