import assert from "node:assert/strict";
import { startAtlasServer } from "../server.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";
import { clientNames, clientTotMem, RawClient, waitUntil } from "../testing/atlasd_harness.ts";
import type { ReplicationHooks } from "./types.ts";

async function withServer(
  maxmemoryBytes: number,
  replication: ReplicationHooks | undefined,
  body: (control: RawClient, port: number) => Promise<void>,
): Promise<void> {
  const executor = new RecordingExecutor();
  executor.store.setMaxmemory(maxmemoryBytes, "noeviction");
  const server = startAtlasServer({
    executor,
    store: executor.store,
    port: 0,
    replication,
  });
  const control = await RawClient.connect(server.addr.port);
  try {
    await body(control, server.addr.port);
  } finally {
    await control.close();
    await server.close();
  }
}

/**
 * A connection named `name` (NO-EVICT if asked) that sent `bytes` of a larger argument: its
 * request stays incomplete.
 */
async function halfSent(
  port: number,
  name: string,
  bytes: number,
  noEvict = false,
): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const header = `*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$${name.length}\r\n${name}\r\n` +
    (noEvict ? "*3\r\n$6\r\nCLIENT\r\n$8\r\nNO-EVICT\r\n$2\r\non\r\n" : "") +
    `*1\r\n$${bytes + 1000}\r\n`;
  await conn.write(new TextEncoder().encode(header));
  const body = new Uint8Array(bytes).fill(0x76);
  for (let off = 0; off < body.length;) off += await conn.write(body.subarray(off));
  return conn;
}

Deno.test("maxmemory counts what clients hold; a Raft node counts its data only", async () => {
  for (const raft of [false, true]) {
    const replication = raft ? { offset: () => 0, replicasAt: () => 0 } : undefined;
    await withServer(1_000_000, replication, async (control, port) => {
      assert.deepEqual(await control.one("SET", "before", "x"), { t: "simple", v: "OK" });
      const dead = await halfSent(port, "dead", 1_200_000);
      try {
        await waitUntil(async () => await clientTotMem(control, "dead") >= 1_200_000);
        const reply = await control.one("SET", "after", "x");
        if (raft) assert.deepEqual(reply, { t: "simple", v: "OK" });
        else assert.match((reply as { v: string }).v, /^OOM /);
      } finally {
        dead.close();
      }
    });
  }
});

Deno.test("maxmemory-clients closes the largest clients first, spares NO-EVICT ones, stops under it", async () => {
  await withServer(0, undefined, async (control, port) => {
    await control.call(["CLIENT", "NO-EVICT", "on"]);
    const conns = [
      await halfSent(port, "small", 300_000),
      await halfSent(port, "medium", 600_000),
      await halfSent(port, "large", 900_000),
      await halfSent(port, "spared", 1_000_000, true),
    ];
    try {
      const sizes = { small: 300_000, medium: 600_000, large: 900_000, spared: 1_000_000 };
      for (const [name, bytes] of Object.entries(sizes)) {
        await waitUntil(async () => await clientTotMem(control, name) >= bytes);
      }
      // 2.8 MB in all: closing `large` alone brings it under 2.1 MB.
      await control.call(["CONFIG", "SET", "maxmemory-clients", "2100000"]);
      await waitUntil(async () => !(await clientNames(control)).includes("large"));
      const names = await clientNames(control);
      for (const kept of ["small", "medium", "spared"]) assert.ok(names.includes(kept), kept);
      const [stats] = await control.call(["INFO", "stats"]);
      assert.match((stats as { v: string }).v, /evicted_clients:1\r\n/);
    } finally {
      for (const conn of conns) conn.close();
    }
  });
});
