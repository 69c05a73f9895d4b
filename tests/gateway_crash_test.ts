/**
 * kill -9 of a gateway process (embedded ATLAS, `--sync-mode every`) in the middle of HTTP writes:
 * concurrent clients create, overwrite and delete keys through /api/v1/kv and register users; the
 * process is killed at a random moment, restarted on the same data directory, and every write
 * the gateway acknowledged (2xx) must be there — created keys with their values, deleted keys
 * gone, each overwritten key at its last acknowledged value or the one in flight, never older,
 * and every registered user able to log in. Three rounds on one directory, so recovery also runs
 * over the earlier crashes' leftovers.
 */
import assert from "node:assert/strict";
import * as processes from "./jobs_processes.ts";

const ROUNDS = 3;
const WRITERS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Acknowledged {
  /** Created and never deleted: key -> value. */
  present: Map<string, string>;
  /** Deleted with a 204. */
  deleted: Set<string>;
  /** Its DELETE was in flight at the kill: key -> value, present or gone. */
  maybeDeleted: Map<string, string>;
  /** Each writer's overwritten key -> its highest acknowledged sequence number. */
  latest: Map<string, number>;
  /** Each writer's overwritten key -> the last sequence number sent (acknowledged or in flight). */
  attempted: Map<string, number>;
  /** Registered with a 201: username -> password. */
  users: Map<string, string>;
}

/** One writer: create, overwrite, sometimes delete, until a request fails (the process died). */
async function write(
  base: string,
  token: string,
  round: number,
  writer: number,
  ack: Acknowledged,
) {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const kv = (key: string) => `${base}/api/v1/kv/${encodeURIComponent(key)}`;
  const last = `crash/last/w${writer}`;
  for (let i = 0;; i++) {
    try {
      const key = `crash/r${round}/w${writer}/${i}`;
      const created = await fetch(kv(key), {
        method: "POST",
        headers,
        body: JSON.stringify({ value: `v${i}` }),
      });
      await created.body?.cancel();
      if (!created.ok) throw new Error(`POST ${key}: ${created.status}`);
      ack.present.set(key, `v${i}`);

      const seq = round * 1_000_000 + i;
      ack.attempted.set(last, seq);
      const overwritten = await fetch(kv(last), {
        method: "POST",
        headers,
        body: JSON.stringify({ value: String(seq) }),
      });
      await overwritten.body?.cancel();
      if (!overwritten.ok) throw new Error(`POST ${last}: ${overwritten.status}`);
      ack.latest.set(last, seq);

      if (i % 3 === 2) {
        const victim = `crash/r${round}/w${writer}/${i - 1}`;
        ack.maybeDeleted.set(victim, ack.present.get(victim)!);
        ack.present.delete(victim);
        const removed = await fetch(kv(victim), { method: "DELETE", headers });
        await removed.body?.cancel();
        if (removed.status !== 204) throw new Error(`DELETE ${victim}: ${removed.status}`);
        ack.maybeDeleted.delete(victim);
        ack.deleted.add(victim);
      }
      if (writer === 0 && i % 10 === 0) {
        const username = `crash_r${round}_${i}`;
        const password = `pw-${round}-${i}-secret`;
        const registered = await fetch(`${base}/api/v1/auth/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password }),
        });
        await registered.body?.cancel();
        if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
        ack.users.set(username, password);
      }
    } catch (error) {
      // The kill: the request in flight fails (refused, reset). Its outcome is unknown, so the
      // write is not in `ack`; anything else is a real failure.
      if (error instanceof TypeError) return;
      throw error;
    }
  }
}

async function verify(base: string, token: string, ack: Acknowledged) {
  const headers = { authorization: `Bearer ${token}` };
  const get = async (key: string) => {
    const response = await fetch(`${base}/api/v1/kv/${encodeURIComponent(key)}`, { headers });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    assert.equal(response.status, 200, `GET ${key}`);
    return (await response.json()).value as string;
  };
  for (const [key, value] of ack.present) assert.equal(await get(key), value, `lost ${key}`);
  for (const key of ack.deleted) assert.equal(await get(key), null, `resurrected ${key}`);
  for (const [key, value] of ack.maybeDeleted) {
    const stored = await get(key);
    assert.ok(stored === null || stored === value, `${key} is ${stored}`);
  }
  for (const [key, seq] of ack.latest) {
    const stored = Number(await get(key));
    // The write in flight at the kill may or may not have landed; nothing older may come back.
    const inFlight = ack.attempted.get(key);
    assert.ok(stored === seq || stored === inFlight, `${key} is ${stored}, acknowledged ${seq}`);
  }
  for (const [username, password] of ack.users) {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    await login.body?.cancel();
    assert.equal(login.status, 200, `user ${username} cannot log in`);
  }
}

Deno.test("gateway kill -9 during HTTP writes (every): every acknowledged write survives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-gw-crash-" });
  const port = processes.freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = await processes.writeGatewayConfig(dir, port, "every");
  let gateway = processes.startGateway(config);
  const ack: Acknowledged = {
    present: new Map(),
    deleted: new Set(),
    maybeDeleted: new Map(),
    latest: new Map(),
    attempted: new Map(),
    users: new Map(),
  };
  try {
    await gateway.ready(base);
    const token = await processes.apiToken(base);
    for (let round = 0; round < ROUNDS; round++) {
      const before = ack.present.size + ack.deleted.size;
      const writers = Array.from(
        { length: WRITERS },
        (_, writer) => write(base, token, round, writer, ack),
      );
      await sleep(400 + Math.floor(Math.random() * 800));
      await gateway.kill("SIGKILL");
      await Promise.all(writers);
      assert.ok(ack.present.size + ack.deleted.size > before, "no write was acknowledged");

      gateway = processes.startGateway(config);
      await gateway.ready(base);
      await verify(base, token, ack);
    }
    assert.ok(ack.deleted.size > 0 && ack.users.size > 0 && ack.latest.size === WRITERS);
  } finally {
    await gateway.kill("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});
