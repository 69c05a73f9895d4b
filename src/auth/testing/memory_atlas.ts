/**
 * An in-memory AtlasClient with the Redis commands auth uses (strings, hashes, sets, sorted
 * sets, expiry), for tests and benchmarks until every one of them runs on the real ATLAS store.
 * Single-threaded JS makes each call atomic; `transaction` runs its commands back to back.
 */
import type { AtlasClient, Value } from "../../storage/atlas_client.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";

type Data = string | Map<string, string> | Set<string> | Map<string, number>;
interface Entry {
  kind: "string" | "hash" | "set" | "zset";
  data: Data;
  expiresAtMs?: number;
}

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };

export class MemoryAtlasClient implements AtlasClient {
  private readonly keys = new Map<string, Entry>();
  /** Commands executed, for tests asserting "no store read per request". */
  commandCount = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  call(command: string, ...args: (string | number)[]): Promise<Value> {
    return Promise.resolve(this.exec(command, args.map(String)));
  }

  transaction(commands: (string | number)[][]): Promise<Value[]> {
    return Promise.resolve(commands.map(([c, ...a]) => this.exec(String(c), a.map(String))));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private get(key: string): Entry | undefined {
    const entry = this.keys.get(key);
    if (entry?.expiresAtMs !== undefined && entry.expiresAtMs <= this.clock.nowMs()) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }

  private typed<T extends Data>(key: string, kind: Entry["kind"], create: () => T): T | null {
    const entry = this.get(key);
    if (!entry) {
      const data = create();
      this.keys.set(key, { kind, data });
      return data;
    }
    return entry.kind === kind ? entry.data as T : null;
  }

  private exec(command: string, a: string[]): Value {
    this.commandCount++;
    const cmd = command.toUpperCase();
    const now = this.clock.nowMs();
    switch (cmd) {
      case "GET": {
        const e = this.get(a[0]);
        if (!e) return null;
        return e.kind === "string" ? e.data as string : WRONGTYPE;
      }
      case "SET": {
        let nx = false, px: number | undefined;
        for (let i = 2; i < a.length; i++) {
          const opt = a[i].toUpperCase();
          if (opt === "NX") nx = true;
          else if (opt === "PX") px = Number(a[++i]);
          else if (opt === "EX") px = Number(a[++i]) * 1000;
        }
        if (nx && this.get(a[0])) return null;
        this.keys.set(a[0], { kind: "string", data: a[1], expiresAtMs: px ? now + px : undefined });
        return "OK";
      }
      case "DEL": {
        let n = 0;
        for (const key of a) if (this.get(key) && this.keys.delete(key)) n++;
        return n;
      }
      case "EXISTS":
        return a.filter((key) => this.get(key)).length;
      case "INCR": {
        const e = this.get(a[0]);
        const next = (e ? Number(e.data) : 0) + 1;
        this.keys.set(a[0], { kind: "string", data: String(next), expiresAtMs: e?.expiresAtMs });
        return next;
      }
      case "PEXPIRE":
      case "EXPIRE": {
        const e = this.get(a[0]);
        if (!e) return 0;
        e.expiresAtMs = now + Number(a[1]) * (cmd === "EXPIRE" ? 1000 : 1);
        return 1;
      }
      case "PEXPIREAT": {
        const e = this.get(a[0]);
        if (!e) return 0;
        e.expiresAtMs = Number(a[1]);
        return 1;
      }
      default:
        return this.execCollection(cmd, a);
    }
  }

  private execCollection(cmd: string, a: string[]): Value {
    switch (cmd) {
      case "HSET": {
        const h = this.typed(a[0], "hash", () => new Map<string, string>());
        if (!h) return WRONGTYPE;
        let added = 0;
        for (let i = 1; i + 1 < a.length; i += 2) {
          if (!h.has(a[i])) added++;
          (h as Map<string, string>).set(a[i], a[i + 1]);
        }
        return added;
      }
      case "HGET": {
        const e = this.get(a[0]);
        if (!e) return null;
        if (e.kind !== "hash") return WRONGTYPE;
        return (e.data as Map<string, string>).get(a[1]) ?? null;
      }
      case "HGETALL": {
        const e = this.get(a[0]);
        if (!e) return [];
        if (e.kind !== "hash") return WRONGTYPE;
        return [...(e.data as Map<string, string>)].flat();
      }
      case "HDEL": {
        const e = this.get(a[0]);
        if (!e || e.kind !== "hash") return 0;
        return a.slice(1).filter((f) => (e.data as Map<string, string>).delete(f)).length;
      }
      case "SADD": {
        const s = this.typed(a[0], "set", () => new Set<string>());
        if (!s) return WRONGTYPE;
        const before = s.size;
        for (const m of a.slice(1)) s.add(m);
        return s.size - before;
      }
      case "SREM": {
        const e = this.get(a[0]);
        if (!e || e.kind !== "set") return 0;
        return a.slice(1).filter((m) => (e.data as Set<string>).delete(m)).length;
      }
      case "SMEMBERS": {
        const e = this.get(a[0]);
        return e && e.kind === "set" ? [...(e.data as Set<string>)] : [];
      }
      case "SCARD": {
        const e = this.get(a[0]);
        return e && e.kind === "set" ? (e.data as Set<string>).size : 0;
      }
      case "SISMEMBER": {
        const e = this.get(a[0]);
        return e && e.kind === "set" && (e.data as Set<string>).has(a[1]) ? 1 : 0;
      }
      default:
        return this.execZset(cmd, a);
    }
  }

  private execZset(cmd: string, a: string[]): Value {
    switch (cmd) {
      case "ZADD": {
        const z = this.typed(a[0], "zset", () => new Map<string, number>());
        if (!z) return WRONGTYPE;
        let added = 0;
        for (let i = 1; i + 1 < a.length; i += 2) {
          if (!z.has(a[i + 1])) added++;
          (z as Map<string, number>).set(a[i + 1], Number(a[i]));
        }
        return added;
      }
      case "ZREM": {
        const e = this.get(a[0]);
        if (!e || e.kind !== "zset") return 0;
        return a.slice(1).filter((m) => (e.data as Map<string, number>).delete(m)).length;
      }
      case "ZRANGEBYSCORE":
      case "ZREMRANGEBYSCORE": {
        const e = this.get(a[0]);
        if (!e) return cmd === "ZRANGEBYSCORE" ? [] : 0;
        const z = e.data as Map<string, number>;
        const bound = (s: string) => s === "-inf" ? -Infinity : s === "+inf" ? Infinity : Number(s);
        const [min, max] = [bound(a[1]), bound(a[2])];
        const hits = [...z].filter(([, s]) => s >= min && s <= max).sort((x, y) => x[1] - y[1]);
        if (cmd === "ZREMRANGEBYSCORE") {
          for (const [m] of hits) z.delete(m);
          return hits.length;
        }
        const withScores = a.some((x) => x.toUpperCase() === "WITHSCORES");
        return hits.flatMap(([m, s]) => withScores ? [m, String(s)] : [m]);
      }
      default:
        return { error: `ERR unknown command '${cmd}' in MemoryAtlasClient` };
    }
  }
}
