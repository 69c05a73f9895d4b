/**
 * QueueData over the ATLAS store's own data types: each operation is a nested store.execute of a
 * primitive command (GET/SET/ZADD/ZRANGE ...), so job state is ordinary keyspace content and is
 * in snapshots and AOF rewrites like any other key. `log` collects the log forms of the nested
 * writes: the module command logs those plain commands (not itself), so an AOF or a replica can
 * be replayed by a store without the module, and before modules are registered.
 */
import type { Reply, Store } from "../../atlas/mod.ts";

type ExecContext = Parameters<Store["execute"]>[1];
import type { QueueData } from "./data.ts";

export class StoreQueueData implements QueueData {
  readonly log: string[][] = [];

  constructor(private readonly store: Store, private readonly ctx: ExecContext) {}

  get(key: string): string | null {
    const reply = this.run(["GET", key]);
    return reply.kind === "bulk" ? reply.value : null;
  }
  set(key: string, value: string): void {
    this.run(["SET", key, value]);
  }
  setExpiring(key: string, value: string, atMs: number): void {
    this.run(["SET", key, value, "PXAT", String(Math.max(1, Math.floor(atMs)))]);
  }
  del(key: string): void {
    this.run(["DEL", key]);
  }
  incr(key: string): number {
    return Number(integerOf(this.run(["INCR", key])));
  }
  zadd(key: string, score: number, member: string): void {
    this.run(["ZADD", key, formatScore(score), member]);
  }
  zrem(key: string, member: string): void {
    this.run(["ZREM", key, member]);
  }
  zcard(key: string): number {
    return Number(integerOf(this.run(["ZCARD", key])));
  }
  zscore(key: string, member: string): number | null {
    const reply = this.run(["ZSCORE", key, member]);
    return reply.kind === "nil" ? null : scoreOf(reply);
  }
  zrangeByScore(key: string, min: number, max: number, offset: number, limit: number) {
    const reply = this.run([
      "ZRANGE",
      key,
      formatScore(min),
      formatScore(max),
      "BYSCORE",
      "LIMIT",
      String(offset),
      String(limit),
      "WITHSCORES",
    ]);
    const flat = flatten(reply);
    const out: [string, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      out.push([stringOf(flat[i]), scoreOf(flat[i + 1])]);
    }
    return out;
  }
  sadd(key: string, member: string): void {
    this.run(["SADD", key, member]);
  }
  sismember(key: string, member: string): boolean {
    return Number(integerOf(this.run(["SISMEMBER", key, member]))) === 1;
  }
  scard(key: string): number {
    return Number(integerOf(this.run(["SCARD", key])));
  }
  smembers(key: string): string[] {
    return flatten(this.run(["SMEMBERS", key])).map(stringOf);
  }

  private run(argv: string[]): Reply {
    const { reply, log } = this.store.execute(argv, this.ctx);
    if (log !== null) { for (const form of log) this.log.push(form); }
    if (reply.kind === "error") {
      // The store refused a primitive (OOM, keyspace full): surfaces as the command's error.
      throw new StoreRefusedError(`${argv[0]} refused: ${reply.value}`);
    }
    return reply;
  }
}

export class StoreRefusedError extends Error {
  override name = "StoreRefusedError";
}

function formatScore(score: number): string {
  if (score === Infinity) return "+inf";
  if (score === -Infinity) return "-inf";
  return String(score);
}

function flatten(reply: Reply): Reply[] {
  if (reply.kind === "array" || reply.kind === "set") return reply.value.flatMap(flatten);
  if (reply.kind === "map") return reply.value.flatMap(([k, v]) => [k, v]);
  if (reply.kind === "nil" || reply.kind === "nilArray") return [];
  return [reply];
}

function stringOf(reply: Reply): string {
  if (reply.kind === "bulk" || reply.kind === "simple") return reply.value;
  return String((reply as { value: unknown }).value);
}

function scoreOf(reply: Reply): number {
  if (reply.kind === "double" || reply.kind === "integer") return Number(reply.value);
  const text = stringOf(reply);
  return text === "inf" || text === "+inf" ? Infinity : text === "-inf" ? -Infinity : Number(text);
}

function integerOf(reply: Reply): number | bigint {
  return reply.kind === "integer" ? reply.value : Number(stringOf(reply));
}
