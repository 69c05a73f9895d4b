import assert from "node:assert/strict";
import { HeliosProcess, promtoolCheck } from "./helpers/helios_process.ts";

Deno.test("helios serve: healthz, a promtool-clean /metrics, and a clean Ctrl-C", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "helios-serve-" });
  const helios = HeliosProcess.start([
    "serve",
    "--data-dir",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--resp-listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "127.0.0.1:0",
  ]);
  try {
    const gateway = await helios.address("gateway");
    const metrics = await helios.address("metrics");
    const health = await fetch(`http://${gateway}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });

    const scrape = await fetch(`http://${metrics}/metrics`);
    assert.equal(scrape.status, 200);
    const exposition = await scrape.text();
    assert.match(exposition, /^helios_build_info\{version="[^"]+",.*\} 1$/m);
    assert.match(exposition, /^process_resident_memory_bytes \d+/m);
    assert.match(
      exposition,
      /^helios_requests_total\{method="GET",route="\/healthz",status="200"\} 1$/m,
    );
    const promtool = await promtoolCheck(exposition);
    assert.ok(promtool.ok, promtool.output);

    const notFound = await fetch(`http://${gateway}/no/such/route`);
    assert.equal(notFound.headers.get("content-type"), "application/problem+json");
    await notFound.body?.cancel();
  } finally {
    const status = await helios.stop("SIGINT");
    await Deno.remove(dataDir, { recursive: true });
    assert.equal(status.code, 0, helios.stderr.join("\n"));
    const errors = helios.lines.filter((line) => line.level === "ERROR");
    assert.deepEqual(errors, []);
    assert.ok(helios.lines.some((line) => line.message === "Stopped"));
  }
});
