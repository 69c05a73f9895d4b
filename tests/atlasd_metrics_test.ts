/**
 * `helios atlasd`'s Prometheus metrics, scraped from a real process: per-command counts and
 * durations, connections (open, refused), and what the clients hold in memory with the clients
 * closed for maxmemory-clients.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  RawClient,
  startAtlasd,
  waitUntil,
} from "../atlas/testing/atlasd_harness.ts";

Deno.test("atlasd metrics: commands, connections, clients' memory and client evictions", async () => {
  // maxmemory-clients 1 MiB from the configuration (atlas.maxmemory_clients).
  const atlasd = await startAtlasd(["--sync-mode", "none"], undefined, {
    env: { HELIOS_ATLAS__MAXMEMORY_CLIENTS: "1048576" },
  });
  const client = await RawClient.connect(atlasd.port);
  const partial = await Deno.connect({ hostname: "127.0.0.1", port: atlasd.port });
  try {
    assert.ok(atlasd.metricsPort !== undefined && atlasd.metricsPort > 0);
    const scrape = () => scrapeMetrics(atlasd.metricsPort!);
    await client.call(["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3"], ["GET", "a"]);
    await client.call(["CLIENT", "NO-EVICT", "on"]);
    const before = await scrape();
    assert.equal(before.get('atlas_commands_total{command="set"}'), 3);
    assert.equal(before.get('atlas_commands_total{command="get"}'), 1);
    assert.ok(before.get('atlas_command_duration_seconds_total{command="set"}')! > 0);
    assert.equal(before.get("atlas_connected_clients"), 2);
    assert.equal(before.get("atlas_rejected_connections_total"), 0);
    assert.equal(before.get("atlas_evicted_clients_total"), 0);
    const idle = before.get("atlas_clients_memory_bytes")!;
    assert.ok(idle > 0, "two read buffers at least");

    // 1.5 MB of a 2 MB argument: the second client passes maxmemory-clients and is closed.
    await partial.write(encodeCommand(["CLIENT", "SETNAME", "partial"]));
    await partial.write(new TextEncoder().encode("*1\r\n$2000000\r\n"));
    const chunk = new Uint8Array(64 * 1024).fill(0x76);
    try {
      for (let sent = 0; sent < 1_500_000; sent += chunk.length) {
        for (let off = 0; off < chunk.length;) off += await partial.write(chunk.subarray(off));
      }
    } catch {
      // Closed by the server on the way.
    }
    await waitUntil(async () => (await scrape()).get("atlas_evicted_clients_total") === 1, 5000);
    const after = await scrape();
    assert.equal(after.get("atlas_connected_clients"), 1);
    assert.ok(after.get("atlas_clients_memory_bytes")! < idle, "the evicted client's share left");
  } finally {
    partial.close();
    await client.close();
    await atlasd.stop();
  }
});

/** The samples of a Prometheus text exposition, by `name{labels}`. */
async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
