/**
 * The offline fallback: `scripts/bundle.sh` builds plain JavaScript (dist/helios.js with its
 * password worker and Swagger UI assets) and that bundle runs `serve` with the main features:
 * health, register + login (bcrypt in the worker), KV, the docs page, RESP, clean shutdown.
 */
import assert from "node:assert/strict";
import { RespConnection } from "../src/storage/resp_connection.ts";

const root = new URL("../", import.meta.url).pathname;

Deno.test({
  name: "the JavaScript bundle starts and passes a smoke test of the main features",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "helios-bundle-" });
    const data = await Deno.makeTempDir({ prefix: "helios-bundle-data-" });
    try {
      const build = await new Deno.Command("bash", {
        args: [`${root}scripts/bundle.sh`, out],
        env: { DENO: Deno.execPath(), NO_COLOR: "1" },
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));

      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${out}/helios.js`,
          "serve",
          "--data-dir",
          data,
          "--listen",
          "127.0.0.1:0",
          "--resp-listen",
          "127.0.0.1:0",
          "--metrics-listen",
          "127.0.0.1:0",
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const listeners = new Map<string, string>();
      const lines: Record<string, unknown>[] = [];
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const stderr = new Response(child.stderr).text();
      let buffered = "";
      while (listeners.size < 3) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`bundle exited early: ${await stderr}`);
        buffered += value;
        let newline;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const record = JSON.parse(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          lines.push(record);
          if (record.message === "Listening") {
            listeners.set(record.extra.listener, record.extra.address);
          }
        }
      }
      const drain = (async () => {
        for (;;) {
          const { done } = await reader.read();
          if (done) return;
        }
      })();
      try {
        const base = `http://${listeners.get("gateway")}`;
        assert.equal((await (await fetch(`${base}/healthz`)).json()).status, "ok");
        const creds = { username: "bundle", password: "correct horse battery" };
        const json = { "content-type": "application/json" };
        const registered = await fetch(`${base}/api/v1/auth/register`, {
          method: "POST",
          headers: json,
          body: JSON.stringify(creds),
        });
        assert.equal(registered.status, 201, await registered.text());
        const login = await (await fetch(`${base}/api/v1/auth/login`, {
          method: "POST",
          headers: json,
          body: JSON.stringify(creds),
        })).json();
        const auth = { authorization: `Bearer ${login.token}` };
        const put = await fetch(`${base}/api/v1/kv/greeting`, {
          method: "POST",
          headers: { ...auth, ...json },
          body: JSON.stringify({ value: "hi" }),
        });
        assert.ok(put.ok, await put.text());
        assert.equal(
          (await (await fetch(`${base}/api/v1/kv/greeting`, { headers: auth })).json()).value,
          "hi",
        );
        const docs = await fetch(`${base}/docs`);
        assert.equal(docs.status, 200);
        assert.match(await docs.text(), /swagger-ui-bundle\.js/);
        const asset = await fetch(`${base}/assets/swagger-ui-dist/swagger-ui-bundle.js`);
        assert.equal(asset.status, 200);
        await asset.body?.cancel();
        const [host, port] = listeners.get("resp")!.split(":");
        const resp = await RespConnection.open({
          hostname: host,
          port: Number(port),
          connectTimeoutMs: 2000,
        });
        assert.deepEqual(await resp.send(["PING"]), { kind: "simple", value: "PONG" });
        resp.close();
      } finally {
        child.kill("SIGINT");
        const status = await child.status;
        await drain;
        assert.equal(status.code, 0, await stderr);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
      await Deno.remove(data, { recursive: true });
    }
  },
});
