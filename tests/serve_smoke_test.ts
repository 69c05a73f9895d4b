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

Deno.test("a port already taken: one line naming the listener and its address, exit 1", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "helios-taken-" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${(taken.addr as Deno.NetAddr).port}`;
  const run = async (args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, ...args],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr).trim() };
  };
  try {
    // Before, an uncaught AddrInUse with a stack trace and neither the listener nor the address.
    const resp = await run([
      "atlasd",
      ...["--data-dir", dataDir, "--listen", address, "--metrics-listen", "127.0.0.1:0"],
    ]);
    assert.equal(resp.code, 1);
    assert.equal(
      resp.stderr,
      `helios atlasd: cannot listen on ${address} (resp): address already in use`,
    );
    const metrics = await run([
      "gateway",
      ...["--data-dir", dataDir, "--listen", "127.0.0.1:0", "--metrics-listen", address],
    ]);
    assert.equal(metrics.code, 1);
    assert.match(metrics.stderr, new RegExp(`cannot listen on ${address} \\(metrics\\)`));
    assert.doesNotMatch(metrics.stderr, /Uncaught|at /);
    const proxy = await run(["proxy", "--listen", address, "--metrics-listen", "127.0.0.1:0"]);
    assert.equal(proxy.code, 1);
    assert.match(proxy.stderr, new RegExp(`cannot listen on ${address} \\(proxy\\)`));
    const raft = await run([
      "atlasd",
      ...["--data-dir", dataDir, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"],
      ...["--raft", "--raft-node-id", "n1", "--raft-addr", address],
    ]);
    assert.equal(raft.code, 1);
    assert.match(raft.stderr, new RegExp(`cannot listen on ${address} \\(raft\\)`));
  } finally {
    taken.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
