/**
 * The keyspace: key → value in one Map, deadlines in a second Map holding only volatile keys (like
 * Redis's `expires` dict), the memory estimate, and the hooks every change goes through (snapshot
 * copy-on-write, the modification listener, the log of the running command).
 *
 * Values: a string value is the binary string itself (no wrapper object, so a small string key
 * costs one Map entry + two strings); collections are HashValue, ListValue, SetValue, ZSetValue,
 * StreamValue.
 */
import type { AtlasLimits } from "../limits.ts";
import { HashValue } from "./hash_value.ts";
import { ListValue } from "./list_value.ts";
import { ScanCursors } from "./scan.ts";
import { SetValue } from "./set_value.ts";
import { StreamValue } from "./stream_value.ts";
import { ZSetValue } from "./zset_value.ts";

export type Value = string | HashValue | ListValue | SetValue | ZSetValue | StreamValue;
export type TypeName = "string" | "hash" | "list" | "set" | "zset" | "stream";

/** Time and randomness come in; the store never reads a clock. */
export interface ExecContext {
  nowMs: number;
  random(): number;
  /**
   * Set while replaying a log (AOF load, replica / follower apply): write commands see keys past
   * their deadline as still alive and nothing is evicted, because the log already holds the DELs
   * the original run produced (as Redis does while loading and on replicas); read commands see
   * such keys as absent without deleting them. Relative-time commands never appear in a log.
   */
  replaying?: boolean;
}

/** Memory model (docs/atlas_store.md): per-key and per-element estimates of V8 heap bytes. */
/** Process memory as Deno.memoryUsage() reports it (bytes). */
export interface ProcessMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

export const KEY_OVERHEAD_BYTES = 56;
export const STRING_OVERHEAD_BYTES = 16;
export const EXPIRE_OVERHEAD_BYTES = 40;
export const COLLECTION_OVERHEAD_BYTES = 96;
/** Extra per key under allkeys-lru (the access-order Map entry). */
export const LRU_OVERHEAD_BYTES = 28;

export function valueBytes(value: Value): number {
  return typeof value === "string"
    ? STRING_OVERHEAD_BYTES + value.length
    : COLLECTION_OVERHEAD_BYTES + value.bytes;
}

export function typeOf(value: Value): TypeName {
  if (typeof value === "string") return "string";
  if (value instanceof HashValue) return "hash";
  if (value instanceof ListValue) return "list";
  if (value instanceof SetValue) return "set";
  if (value instanceof StreamValue) return "stream";
  return "zset";
}

export function isEmptyCollection(value: Value): boolean {
  if (typeof value === "string") return false;
  // A stream stays when its last entry goes (XDEL, XTRIM, MAXLEN 0), as in Redis.
  if (value instanceof StreamValue) return false;
  return value instanceof ListValue ? value.length === 0 : value.size === 0;
}

/** Receives each key about to change, so an open snapshot view can keep its old payload. */
export interface ChangeHook {
  preserve(key: string): void;
}

/** 2020-01-01T00:00:00Z in Unix seconds: the zero of lruClock(). */
const LRU_EPOCH_S = 1_577_836_800;

export class Keyspace {
  readonly data = new Map<string, Value>();
  readonly expires = new Map<string, number>();
  usedBytes = 0;
  nowMs = 0;
  replaying = false;
  /** The running command is a write (its flags say so). */
  writing = false;
  /**
   * Reads hide expired keys instead of deleting them (so a read never returns a log). Writes
   * still delete them. Off by default: Redis deletes on any access.
   */
  readsHideExpired = false;
  ctx: ExecContext = { nowMs: 0, random: () => 0 };
  /** Log forms of the running command (and of expiries/evictions it caused). */
  log: string[][] | null = null;
  listener: ((key: string | null) => void) | null = null;
  /** Keys changed by the running command, told to the listener when it ends. */
  readonly touched: (string | null)[] = [];
  readonly hooks: ChangeHook[] = [];
  /**
   * allkeys-lru only: every key in access order (front = least recently used) with the time of
   * that access (lruClock(); OBJECT IDLETIME); an access moves the key to the end (delete + set).
   * Kept apart from `data` so SCAN's order stays stable.
   */
  lru: Map<string, number> | null = null;
  /** KEY_OVERHEAD_BYTES, plus LRU_OVERHEAD_BYTES under allkeys-lru. */
  keyOverheadBytes = KEY_OVERHEAD_BYTES;
  /** The process's memory for MEMORY STATS / DOCTOR / MALLOC-STATS (injected: no I/O here). */
  processMemory: (() => ProcessMemory) | null = null;
  /** The highest heap used + external those commands have seen (V8 keeps no peak). */
  peakAllocatedBytes = 0;
  expiredKeysTotal = 0;
  evictedKeysTotal = 0;

  readonly scans: ScanCursors;

  /** Turns on allkeys-lru bookkeeping (only on an empty keyspace). */
  enableLru(): void {
    if (this.data.size !== 0) throw new Error("enableLru needs an empty keyspace");
    this.lru = new Map();
    this.keyOverheadBytes = KEY_OVERHEAD_BYTES + LRU_OVERHEAD_BYTES;
  }

  constructor(readonly limits: AtlasLimits) {
    this.scans = new ScanCursors(limits.scanCursorsMax);
  }

  /**
   * What one key adds to `usedBytes`: its Map entry and string, its value, its TTL entry if any
   * (MEMORY USAGE). `valueEstimate` stands in for valueBytes(value) when the caller sampled it.
   */
  entryBytes(key: string, value: Value, valueEstimate = valueBytes(value)): number {
    const ttl = this.expires.size !== 0 && this.expires.has(key) ? EXPIRE_OVERHEAD_BYTES : 0;
    return this.keyOverheadBytes + key.length + valueEstimate + ttl;
  }

  emit(argv: string[]): void {
    if (this.log === null) this.log = [argv];
    else this.log.push(argv);
  }

  /**
   * The access time kept per key under allkeys-lru: whole seconds since 2020, like Redis's LRU
   * clock in resolution, and small enough to stay a V8 small integer (a millisecond timestamp
   * would box a heap number per key and per access).
   */
  lruClock(): number {
    return Math.floor(this.nowMs / 1000) - LRU_EPOCH_S;
  }

  /** Reads a key: lazy expiry, LRU touch. */
  lookup(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    const lru = this.lru;
    if (lru !== null) {
      lru.delete(key);
      lru.set(key, this.lruClock());
    }
    return value;
  }

  /** Reads a key with lazy expiry but without an LRU touch (SCAN, EXISTS, TYPE, as Redis). */
  peek(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return value;
  }

  /**
   * True when `key` is past its deadline and must be treated as absent. Deletes it and logs a DEL,
   * except in reads that only hide (replaying, readsHideExpired). Replayed writes see it alive.
   */
  expireIfNeeded(key: string): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.nowMs) return false;
    if (this.replaying) return !this.writing;
    if (this.readsHideExpired && !this.writing) return true;
    this.deleteKey(key);
    this.emit(["DEL", key]);
    this.expiredKeysTotal++;
    return true;
  }

  /** Must run before any change to `key`: copy-on-write for snapshot views, listener notice. */
  beforeChange(key: string): void {
    if (this.hooks.length !== 0) { for (const hook of this.hooks) hook.preserve(key); }
    if (this.listener !== null) this.touched.push(key);
  }

  /** Stores a whole new value (string or a new collection). Clears the TTL unless keepTtl. */
  setValue(key: string, value: Value, keepTtl = false): void {
    this.beforeChange(key);
    const old = this.data.get(key);
    if (old === undefined) {
      this.usedBytes += this.keyOverheadBytes + key.length;
      this.lru?.set(key, this.lruClock());
    } else this.usedBytes -= valueBytes(old);
    this.data.set(key, value);
    this.usedBytes += valueBytes(value);
    if (!keepTtl && this.expires.size !== 0 && this.expires.delete(key)) {
      this.usedBytes -= EXPIRE_OVERHEAD_BYTES;
    }
  }

  /** Creates an empty collection under `key` (the caller fills it inside a mutation bracket). */
  createCollection<T extends Exclude<Value, string>>(
    key: string,
    value: T,
  ): T {
    this.setValue(key, value);
    return value;
  }

  /** Deletes a key with its TTL; true when it existed. */
  deleteKey(key: string): boolean {
    const old = this.data.get(key);
    if (old === undefined) return false;
    this.beforeChange(key);
    this.removeRaw(key, old);
    return true;
  }

  /** Opens an in-place change of a collection; returns its size estimate before. */
  beginMutation(key: string, value: Exclude<Value, string>): number {
    this.beforeChange(key);
    return value.bytes;
  }

  /** Closes an in-place change: accounts the size delta, deletes the key if it became empty. */
  endMutation(key: string, value: Exclude<Value, string>, bytesBefore: number): void {
    this.usedBytes += value.bytes - bytesBefore;
    if (isEmptyCollection(value)) this.removeRaw(key, value);
  }

  setExpire(key: string, atMs: number): void {
    this.beforeChange(key);
    if (this.expires.get(key) === undefined) this.usedBytes += EXPIRE_OVERHEAD_BYTES;
    this.expires.set(key, atMs);
  }

  /** Removes a TTL; true when the key had one. */
  persist(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.beforeChange(key);
    this.expires.delete(key);
    this.usedBytes -= EXPIRE_OVERHEAD_BYTES;
    return true;
  }

  /** Deletes every key. */
  flush(): void {
    for (const hook of this.hooks) for (const key of this.data.keys()) hook.preserve(key);
    this.data.clear();
    this.expires.clear();
    this.lru?.clear();
    this.usedBytes = 0;
    if (this.listener !== null) this.touched.push(null);
  }

  /** Calls the listener for the keys the last command changed (after the change, once each). */
  flushTouched(): void {
    const listener = this.listener;
    const touched = this.touched;
    if (touched.length === 0) return;
    if (listener === null) {
      touched.length = 0;
      return;
    }
    if (touched.length === 1) {
      // The common case (one key per write) without copying the list.
      listener(touched.pop() as string | null);
      return;
    }
    // Copy first: a listener may run commands, which touch keys again.
    const keys = touched.slice();
    touched.length = 0;
    let previous: string | null | undefined = undefined;
    for (const key of keys) {
      if (key !== previous) listener(key);
      previous = key;
    }
  }

  private removeRaw(key: string, old: Value): void {
    this.data.delete(key);
    this.lru?.delete(key);
    this.usedBytes -= this.keyOverheadBytes + key.length + valueBytes(old);
    if (this.expires.size !== 0 && this.expires.delete(key)) {
      this.usedBytes -= EXPIRE_OVERHEAD_BYTES;
    }
  }
}
