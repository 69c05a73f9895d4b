/**
 * The keyspace: numbered databases (SELECT), each with key → value in one Map and deadlines in a
 * second Map holding only volatile keys (like Redis's `expires` dict); the memory estimate; and
 * the hooks every change goes through (snapshot copy-on-write, the modification listener, the log
 * of the running command). Commands see the selected database through `data` / `expires`.
 *
 * Values: a string value is the binary string itself (no wrapper object, so a small string key
 * costs one Map entry + two strings); collections are HashValue, ListValue, SetValue, ZSetValue,
 * StreamValue.
 */
import type { AtlasLimits } from "../limits.ts";
import { HashValue } from "./hash_value.ts";
import { lfuNew, type LfuSettings, lfuTouch } from "./lfu.ts";
import { ListValue } from "./list_value.ts";
import { ExpireCursor } from "./expire.ts";
import { EventClass } from "./notify.ts";
import { ScanCursors } from "./scan.ts";
import { SetValue } from "./set_value.ts";
import { type StreamNodeLimits, StreamValue } from "./stream_value.ts";
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
  /**
   * Set for the commands a Lua script runs: Redis makes a few answers deterministic there (SORT
   * of a set BY nosort is sorted, as with STORE).
   */
  fromScript?: boolean;
  /** The database (SELECT index) the command runs against; absent: 0. */
  db?: number;
  /**
   * Set by a server that can answer other clients while a script runs: a script (EVAL, FCALL...)
   * that has run this many milliseconds (busy-reply-threshold) pauses, and the command answers
   * ExecResult.paused instead of its reply. Absent: scripts run to their end.
   */
  scriptPauseAfterMs?: number;
  /**
   * Set by a server that serves reads outside its log (a Raft replica): a read command then
   * leaves the data exactly as it found it. Redis's reads that may write (PFCOUNT refreshing its
   * HLL's cardinality cache) skip the write; absent, they write and log it as Redis does.
   */
  readsOutsideLog?: boolean;
}

/** Memory model (docs/atlas_store.md): per-key and per-element estimates of V8 heap bytes. */
/** Process memory as Deno.memoryUsage() reports it (bytes). */
export interface ProcessMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/**
 * The server's memory figures for MEMORY STATS, those INFO memory reports at the same moment (the
 * server notes `usedBytes` as a peak first).
 */
export interface ServerMemory {
  /** used_memory: the base, the data estimate, clients' buffers and the script caches. */
  usedBytes: number;
  /** used_memory_startup. */
  startupBytes: number;
  /** used_memory_peak. */
  peakBytes: number;
  /** mem_clients_normal: clients' unparsed input and unsent output. */
  clientsNormalBytes: number;
  /** used_memory_scripts_eval and used_memory_functions (MEMORY STATS lua.caches / functions.caches). */
  evalScriptsBytes: number;
  functionsBytes: number;
}

export const KEY_OVERHEAD_BYTES = 56;
export const STRING_OVERHEAD_BYTES = 16;
export const EXPIRE_OVERHEAD_BYTES = 40;
export const COLLECTION_OVERHEAD_BYTES = 96;
/** Extra per key for its access time or LFU counter (the entry in Keyspace.lru or .lfu). */
export const LRU_OVERHEAD_BYTES = 28;
/**
 * What a server counts against maxmemory besides its data: redis-server 7.0.15's
 * used_memory_startup with 16 databases. Redis compares its whole allocation with maxmemory, so a
 * limit below this refuses every denyoom write even with no key at all (`maxmemory 1`, the usual
 * way to test OOM handling); servers pass it as StoreOptions.baseMemoryBytes.
 */
export const SERVER_BASE_MEMORY_BYTES = 876_136;

/**
 * The thresholds OBJECT ENCODING reports against: Redis 7.0's hash-max-listpack-*,
 * set-max-intset-entries, zset-max-listpack-*, list-max-listpack-size (CONFIG SET changes them in
 * place). ATLAS keeps one representation per type; these only shape the answer.
 */
/**
 * The settings CONFIG SET changes on a running store: the OBJECT ENCODING thresholds, and the
 * layout knobs that shape stored values (stream nodes, sparse HLLs; absent: Redis's defaults).
 */
export interface EncodingLimits extends StreamNodeLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** Kept for CONFIG GET/SET only: Redis 7.0 reports every list as "quicklist". */
  listMaxListpackSize: number;
  /** hll-sparse-max-bytes: a sparse HLL longer than this turns dense (default 3000). */
  hllSparseMaxBytes?: number;
}

/** Redis 7.0.15's defaults. */
export const DEFAULT_ENCODING_LIMITS: Readonly<EncodingLimits> = Object.freeze({
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
});

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

/**
 * One numbered database (SELECT): its keys, their deadlines, the per-key bookkeeping of the
 * eviction policy, and the snapshot views open on it. Keyspace points its working fields at the
 * selected one, so commands read `ks.data` whatever the database.
 */
export class Database {
  readonly data = new Map<string, Value>();
  readonly expires = new Map<string, number>();
  lru: Map<string, number> | null = null;
  lfu: Map<string, number> | null = null;
  readonly rawStrings = new Set<string>();
  readonly hooks: ChangeHook[] = [];
  /** Running estimate of the remaining TTL of its volatile keys (see Keyspace.avgTtlMs). */
  avgTtlMs = 0;
  /** Active expiry's and volatile eviction's rolling cursor over `expires`. */
  readonly expireCursor = new ExpireCursor();
}

/** What a flush listener may ask of a database's keys (see Keyspace.flushListener). */
export interface DbKeys {
  /** Whether the key is held, expired or not. */
  has(key: string): boolean;
  /** Its deadline in Unix ms, or undefined when it has none. */
  expireAtMs(key: string): number | undefined;
}

export type FlushListener = (db: number, emptied: DbKeys, replacedWith: DbKeys | null) => void;

function factsOf(db: Database): DbKeys {
  return { has: (key) => db.data.has(key), expireAtMs: (key) => db.expires.get(key) };
}

/** The SELECT form a log holds where the database its next forms apply to changes. */
export function selectForm(index: number): string[] {
  return ["SELECT", String(index)];
}

export class Keyspace {
  /** Every database, by SELECT index; `db` is the selected one (see select()). */
  readonly databases: Database[];
  db!: Database;
  /** The selected database's index. */
  dbIndex = 0;
  /**
   * The database the running command's log is at: a log starts at database 0, and emit() puts a
   * SELECT form before a form of another database (see Store.execute).
   */
  logDb = 0;
  /** The selected database's keys (select() repoints these working fields). */
  data!: Map<string, Value>;
  expires!: Map<string, number>;
  usedBytes = 0;
  #keyCount = 0;
  nowMs = 0;
  replaying = false;
  /** The running command is a write (its flags say so). */
  writing = false;
  /**
   * Reads hide expired keys instead of deleting them (so a read never returns a log). Writes
   * still delete them. Off by default: Redis deletes on any access.
   */
  readsHideExpired = false;
  /** Set while clients are paused (Store.holdExpiry): reads hide expired keys, like readsHideExpired. */
  expiryHeld = false;
  ctx: ExecContext = { nowMs: 0, random: () => 0 };
  /** Log forms of the running command (and of expiries/evictions it caused). */
  log: string[][] | null = null;
  listener: ((key: string | null, db: number, expired?: boolean) => void) | null = null;
  /**
   * Keys changed by the running command, told to the listener when it ends. A key of a database
   * other than 0 comes after that database's index (see `mark`), so the common case costs one push.
   */
  readonly touched: TouchList = [];
  /**
   * Told the keys blocked stream readers must look at again (Redis's signalKeyAsReady): a key
   * created, replaced or deleted (null: every key, a flush), XADD, XGROUP DESTROY. Unlike
   * `listener` (WATCH, tracking), in-place changes that Redis does not signal never reach it.
   */
  readyListener: ((key: string | null, db: number) => void) | null = null;
  /** Keys signalled by the running command, told to readyListener when it ends (as `touched`). */
  readonly signalled: TouchList = [];
  /** The selected database's snapshot views. */
  hooks!: ChangeHook[];
  /**
   * Keyspace event classes to report (notify.ts bits); 0, the default, reports nothing, so with
   * notifications off an event costs one integer test.
   */
  notifyFlags = 0;
  /** Receives each reported event as it happens (Redis's notifyKeyspaceEvent), with its database. */
  notifier: (event: string, key: string, db: number) => void = noNotifier;
  /**
   * Every key with the time of its last access (lruClock(); OBJECT IDLETIME, LRU eviction), as
   * Redis keeps in each object's header; null only while an LFU policy keeps `lfu` instead. Kept
   * apart from `data` so SCAN's order stays stable. Under allkeys-lru / volatile-lru with maxmemory
   * (`lruOrdered`) the Map is also in access order (front = least recently used): an access moves
   * the key to the end (delete + set); otherwise an access only overwrites its time.
   */
  lru!: Map<string, number> | null;
  /** Whether `lru` is kept in access order (allkeys-lru / volatile-lru with maxmemory). */
  lruOrdered = false;
  /**
   * allkeys-lfu / volatile-lfu only: every key's LFU state (lfu.ts: access counter and the minute
   * it was last decayed), updated on each access; OBJECT FREQ and LFU eviction read it.
   */
  lfu!: Map<string, number> | null;
  /** lfu-log-factor / lfu-decay-time (CONFIG SET changes them in place). */
  readonly lfuSettings: LfuSettings = { logFactor: 10, decayTimeMinutes: 1 };
  /** KEY_OVERHEAD_BYTES, plus LRU_OVERHEAD_BYTES while `lru` or `lfu` is kept (always, by default). */
  keyOverheadBytes = KEY_OVERHEAD_BYTES;
  /** The process's memory for MEMORY STATS / DOCTOR / MALLOC-STATS (injected: no I/O here). */
  processMemory: (() => ProcessMemory) | null = null;
  /** The highest heap used + external those commands have seen (V8 keeps no peak). */
  peakAllocatedBytes = 0;
  /** The highest base + data estimate MEMORY STATS has seen without a server's figures. */
  peakUsedBytes = 0;
  /** What a server counts besides its data (StoreOptions.baseMemoryBytes). */
  baseMemoryBytes = 0;
  /**
   * The server's figures for MEMORY STATS (Store.setServerMemory); null: used memory is the base
   * plus the data estimate, with this store's own peak.
   */
  serverMemory: (() => ServerMemory) | null = null;
  expiredKeysTotal = 0;
  /** Read lookups that found / did not find their key (INFO keyspace_hits / keyspace_misses). */
  keyspaceHits = 0;
  keyspaceMisses = 0;
  /**
   * Redis's lazyfreed_objects: the values UNLINK and FLUSHALL / FLUSHDB ASYNC would have freed in
   * a background thread (keys_commands.ts). ATLAS frees every value at once; the count keeps INFO
   * reading as Redis's does.
   */
  lazyfreedObjects = 0;
  /**
   * String keys Redis would report as "raw" although short (APPEND, SETRANGE, SETBIT, BITFIELD
   * writes, BITOP, PFADD, and COPY / RENAME of such a key): OBJECT ENCODING. Any new value for the
   * key drops it, so only such keys cost an entry.
   */
  rawStrings!: Set<string>;
  /** OBJECT ENCODING thresholds (CONFIG SET). */
  readonly encoding: EncodingLimits = { ...DEFAULT_ENCODING_LIMITS };
  /**
   * The selected database's running estimate of the remaining TTL of volatile keys in ms, updated
   * by each active expiry cycle from the keys it sampled (like Redis's db->avg_ttl): INFO keyspace
   * avg_ttl.
   */
  get avgTtlMs(): number {
    return this.db.avgTtlMs;
  }

  set avgTtlMs(ms: number) {
    this.db.avgTtlMs = ms;
  }
  evictedKeysTotal = 0;

  readonly scans: ScanCursors;

  /**
   * Turns the LFU bookkeeping on or off at run time (CONFIG SET maxmemory-policy). Turning it on
   * counts every present key as new (Redis's keys keep their LRU clock until accessed again);
   * turning it off frees the Map. usedBytes follows LRU_OVERHEAD_BYTES per key, as for LRU.
   */
  setLfuTracking(on: boolean, nowMs = this.nowMs): void {
    if (on === (this.lfu !== null)) return;
    for (const db of this.databases) db.lfu = this.#perKeyMap(db, on, lfuNew(nowMs));
    this.lfu = this.db.lfu;
  }

  /** Keeps `lru` in access order, as allkeys-lru / volatile-lru eviction reads it. */
  enableLru(): void {
    this.setLruTracking(true);
    this.setLruOrdered(true);
  }

  /**
   * Turns the access-time bookkeeping on or off at run time (off while an LFU policy keeps its
   * counters instead, as Redis's object header holds one or the other). Turning it on counts every
   * present key as accessed at `nowMs`; turning it off frees the Map. usedBytes follows
   * LRU_OVERHEAD_BYTES per key.
   */
  setLruTracking(on: boolean, nowMs = this.nowMs): void {
    if (on === (this.lru !== null)) return;
    const clock = Math.floor(nowMs / 1000) - LRU_EPOCH_S;
    for (const db of this.databases) db.lru = this.#perKeyMap(db, on, clock);
    this.lru = this.db.lru;
  }

  /**
   * Whether `lru` is kept in access order (CONFIG SET maxmemory / maxmemory-policy). Turning it on
   * re-sorts each database's Map by access time once, so LRU eviction starts from the key idle
   * longest rather than from the order keys were first stored in.
   */
  setLruOrdered(ordered: boolean): void {
    if (ordered === this.lruOrdered) return;
    this.lruOrdered = ordered;
    if (!ordered) return;
    for (const db of this.databases) {
      const lru = db.lru;
      if (lru === null || lru.size < 2) continue;
      const byAccess = [...lru].sort((a, b) => a[1] - b[1]); // stable: ties keep their order
      lru.clear();
      for (const [key, at] of byAccess) lru.set(key, at);
    }
  }

  /**
   * LRU's or LFU's per-key Map (at most one of them is kept at a time): on, a Map of every present
   * key set to `initial`; off, null. usedBytes follows LRU_OVERHEAD_BYTES per key either way.
   */
  #perKeyMap(db: Database, on: boolean, initial: number): Map<string, number> | null {
    const perKey = db.data.size * LRU_OVERHEAD_BYTES;
    if (!on) {
      this.keyOverheadBytes = KEY_OVERHEAD_BYTES;
      this.usedBytes -= perKey;
      return null;
    }
    const map = new Map<string, number>();
    for (const key of db.data.keys()) map.set(key, initial);
    this.keyOverheadBytes = KEY_OVERHEAD_BYTES + LRU_OVERHEAD_BYTES;
    this.usedBytes += perKey;
    return map;
  }

  constructor(readonly limits: AtlasLimits, databases = 1) {
    this.scans = new ScanCursors(limits.scanCursorsMax);
    this.databases = Array.from({ length: Math.max(1, databases) }, () => new Database());
    this.select(0);
    this.setLruTracking(true); // OBJECT IDLETIME, whatever the policy (see `lru`)
  }

  /** Points the working fields at database `index` (which must exist). */
  select(index: number): void {
    const db = this.databases[index];
    this.db = db;
    this.dbIndex = index;
    this.data = db.data;
    this.expires = db.expires;
    this.lru = db.lru;
    this.lfu = db.lfu;
    this.rawStrings = db.rawStrings;
    this.hooks = db.hooks;
  }

  /**
   * SWAPDB: databases `a` and `b` trade contents. Watchers of a key present in either become
   * dirty (Redis 7's touchAllWatchedKeysInDb), blocked clients of both look again.
   */
  swapDatabases(a: number, b: number): void {
    const dbs = this.databases;
    const [first, second] = [dbs[a], dbs[b]];
    this.flushListener?.(a, factsOf(first), factsOf(second));
    this.flushListener?.(b, factsOf(second), factsOf(first));
    dbs[a] = second;
    dbs[b] = first;
    this.select(this.dbIndex);
    // Blocked clients of both look again; client tracking is told nothing (as in Redis).
    if (this.readyListener !== null) {
      mark(this.signalled, null, a);
      mark(this.signalled, null, b);
    }
  }

  /** Keys in every database (kept as keys come and go: writes check it against keysMax). */
  totalKeys(): number {
    return this.#keyCount;
  }

  /** Volatile keys in every database. */
  totalVolatileKeys(): number {
    let n = 0;
    for (const db of this.databases) n += db.expires.size;
    return n;
  }

  /**
   * What one key adds to `usedBytes`: its Map entry and string, its value, its TTL entry if any
   * (MEMORY USAGE). `valueEstimate` stands in for valueBytes(value) when the caller sampled it.
   */
  entryBytes(key: string, value: Value, valueEstimate = valueBytes(value)): number {
    const ttl = this.expires.size !== 0 && this.expires.has(key) ? EXPIRE_OVERHEAD_BYTES : 0;
    return this.keyOverheadBytes + key.length + valueEstimate + ttl;
  }

  /** Appends a form to the running command's log, after a SELECT if its database differs. */
  emit(argv: string[]): void {
    if (this.dbIndex !== this.logDb) {
      this.logDb = this.dbIndex;
      this.#append(selectForm(this.dbIndex));
    }
    this.#append(argv);
  }

  /**
   * Appends another command's log (Store.execute's: it starts and ends at database 0, see there)
   * as it is, keeping track of the database its SELECT forms leave the log at.
   */
  emitLog(forms: readonly string[][]): void {
    if (this.logDb !== 0) {
      this.logDb = 0;
      this.#append(selectForm(0));
    }
    for (const form of forms) {
      if (form[0] === "SELECT") {
        this.logDb = Number(form[1]);
        // Nested logs end at database 0 and the next may start by leaving it: one SELECT will do.
        const log = this.log;
        if (log !== null && log.length !== 0 && log[log.length - 1][0] === "SELECT") {
          log[log.length - 1] = form;
          continue;
        }
      }
      this.#append(form);
    }
  }

  #append(form: string[]): void {
    if (this.log === null) this.log = [form];
    else this.log.push(form);
  }

  /** Stamps `key`'s access time in `lru` (non-null), moving it to the recent end if ordered. */
  #accessed(key: string): void {
    const lru = this.lru!;
    if (this.lruOrdered) lru.delete(key);
    lru.set(key, this.lruClock());
  }

  /**
   * The access time kept per key (`lru`): whole seconds since 2020, like Redis's LRU
   * clock in resolution, and small enough to stay a V8 small integer (a millisecond timestamp
   * would box a heap number per key and per access).
   */
  lruClock(): number {
    return Math.floor(this.nowMs / 1000) - LRU_EPOCH_S;
  }

  /** Reports a keyspace event of class `type` (EventClass bit) if that class is on. */
  notify(type: number, event: string, key: string): void {
    if ((this.notifyFlags & type) !== 0) this.notifier(event, key, this.dbIndex);
  }

  /** Marks the string under `key` as Redis's "raw" encoding (call after storing it). */
  markRaw(key: string): void {
    this.rawStrings.add(key);
  }

  /**
   * Reads a key: lazy expiry, LRU touch. In a read command the lookup counts as a keyspace hit or
   * miss (INFO keyspace_hits / keyspace_misses) and a miss reports "keymiss", like Redis's
   * lookupKeyRead; a write command's lookups count nothing (lookupKeyWrite).
   */
  lookup(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined || (this.expires.size !== 0 && this.expireIfNeeded(key))) {
      if (!this.writing) this.missed(key);
      return undefined;
    }
    if (!this.writing) this.keyspaceHits++;
    if (this.lru !== null) this.#accessed(key);
    const lfu = this.lfu;
    if (lfu !== null) {
      const packed = lfu.get(key) ?? lfuNew(this.nowMs);
      lfu.set(key, lfuTouch(packed, this.nowMs, this.ctx.random(), this.lfuSettings));
    }
    return value;
  }

  /**
   * What Redis's lookupKeyWrite does to a key a command overwrites whatever it holds (SET, MSET,
   * SETEX): an expired key is deleted first (its DEL logged, "expired" sent, INFO expired_keys
   * counted), and under an LFU policy the access is counted (the new value keeps the counter, as
   * Redis's dbOverwrite keeps it). The LRU stamp comes with the new value (setValue). Cheaper than
   * `lookup` on the hot path: no value is needed.
   */
  touchForOverwrite(key: string): void {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return;
    const lfu = this.lfu;
    if (lfu !== null) {
      const packed = lfu.get(key);
      if (packed !== undefined) {
        lfu.set(key, lfuTouch(packed, this.nowMs, this.ctx.random(), this.lfuSettings));
      }
    }
  }

  /**
   * A read lookup inside a write command (GETDEL, SET GET, COPY's source, SUNIONSTORE's sources...):
   * counted as a hit or miss and a "keymiss" whatever the command, as Redis's lookupKeyRead is.
   */
  lookupRead(key: string): Value | undefined {
    const value = this.lookup(key);
    if (this.writing) {
      if (value === undefined) this.missed(key);
      else this.keyspaceHits++;
    }
    return value;
  }

  /** Reads a key with lazy expiry but without an LRU touch or any count (SCAN, RANDOMKEY). */
  peek(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return value;
  }

  /**
   * peek() that counts as a read lookup (EXISTS, TYPE, TTL: Redis's LOOKUP_NOTOUCH); `notify` false
   * for OBJECT, which counts but reports no "keymiss" (LOOKUP_NONOTIFY).
   */
  peekRead(key: string, notify = true): Value | undefined {
    const value = this.peek(key);
    if (value !== undefined) this.keyspaceHits++;
    else if (notify) this.missed(key);
    else this.keyspaceMisses++;
    return value;
  }

  /** A read lookup missed: the count, and "keymiss" if that class is on. */
  private missed(key: string): void {
    this.keyspaceMisses++;
    if ((this.notifyFlags & EventClass.KeyMiss) !== 0) this.notifier("keymiss", key, this.dbIndex);
  }

  /**
   * True when `key` is past its deadline and must be treated as absent. Deletes it and logs a DEL,
   * except in reads that only hide (replaying, readsHideExpired). Replayed writes see it alive.
   */
  expireIfNeeded(key: string): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.nowMs) return false;
    if (this.replaying) return !this.writing;
    if ((this.readsHideExpired || this.expiryHeld) && !this.writing) return true;
    this.#expiring = true;
    try {
      this.deleteKey(key);
    } finally {
      this.#expiring = false;
    }
    this.notify(EventClass.Expired, "expired", key);
    this.emit(["DEL", key]);
    this.expiredKeysTotal++;
    return true;
  }

  /** Set while expiry deletes a key: the listener hears that change as made by nobody. */
  #expiring = false;

  /** Must run before any change to `key`: copy-on-write for snapshot views, listener notice. */
  beforeChange(key: string): void {
    if (this.hooks.length !== 0) { for (const hook of this.hooks) hook.preserve(key); }
    if (this.listener !== null) mark(this.touched, key, this.dbIndex, this.#expiring);
  }

  /** Forgets the keys touched after `mark` (a touched.length read before): a change undone. */
  untouch(mark: number): void {
    this.touched.length = mark;
  }

  /** Signals `key` to blocked stream readers once the running command ends (readyListener). */
  signalReady(key: string | null): void {
    if (this.readyListener !== null) mark(this.signalled, key, this.dbIndex);
  }

  /** Stores a whole new value (string or a new collection). Clears the TTL unless keepTtl. */
  setValue(key: string, value: Value, keepTtl = false): void {
    this.beforeChange(key);
    this.signalReady(key);
    const old = this.data.get(key);
    if (old === undefined) {
      this.#keyCount++;
      this.usedBytes += this.keyOverheadBytes + key.length;
      this.lru?.set(key, this.lruClock());
      this.lfu?.set(key, lfuNew(this.nowMs));
      if (this.notifyFlags !== 0) this.notify(EventClass.New, "new", key);
    } else {
      this.usedBytes -= valueBytes(old);
      if (this.rawStrings.size !== 0) this.rawStrings.delete(key);
      if (this.lru !== null) this.#accessed(key); // a new value is new to OBJECT IDLETIME
    }
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

  /**
   * Closes an in-place change: accounts the size delta, deletes the key if it became empty
   * (returns true then: the caller reports "del" after its own event, as Redis does).
   */
  endMutation(key: string, value: Exclude<Value, string>, bytesBefore: number): boolean {
    this.usedBytes += value.bytes - bytesBefore;
    if (!isEmptyCollection(value)) return false;
    this.removeRaw(key, value);
    return true;
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

  /**
   * Told just before a flush empties database `db` (`replacedWith` null) or SWAPDB replaces its
   * contents, with what it holds then and what replaces it: WATCH must fail only for watched keys
   * that existed, and not for one already expired that stays gone or expired (Redis 7's
   * touchAllWatchedKeysInDb), which the listener's "everything changed" cannot say afterwards.
   */
  flushListener: FlushListener | null = null;

  /**
   * FLUSHALL: empties every database, told to the listeners as one change of every key of every
   * database (db -1), as Redis signals one flush (one invalidation for client tracking).
   */
  flushAll(): void {
    const home = this.dbIndex;
    for (let i = this.databases.length - 1; i >= 0; i--) {
      this.select(i);
      this.flush(false);
    }
    this.select(home);
    if (this.listener !== null) mark(this.touched, null, -1);
    if (this.readyListener !== null) mark(this.signalled, null, -1);
  }

  /**
   * Deletes every key of the selected database (FLUSHDB), told to the listeners unless `report`
   * is false (flushAll tells them once).
   */
  flush(report = true): void {
    this.flushListener?.(this.dbIndex, factsOf(this.db), null);
    for (const hook of this.hooks) for (const key of this.data.keys()) hook.preserve(key);
    this.#keyCount -= this.data.size;
    // Nothing left anywhere: exactly 0 (no drift from the estimate's rounding).
    this.usedBytes = this.#keyCount === 0 ? 0 : this.usedBytes - this.#bytesOf();
    this.data.clear();
    this.expires.clear();
    this.lru?.clear();
    this.lfu?.clear();
    this.rawStrings.clear();
    if (!report) return;
    if (this.listener !== null) mark(this.touched, null, this.dbIndex);
    this.signalReady(null);
  }

  /** What the selected database's keys add to usedBytes (entryBytes summed). */
  #bytesOf(): number {
    let bytes = this.expires.size * EXPIRE_OVERHEAD_BYTES;
    for (const [key, value] of this.data) {
      bytes += this.keyOverheadBytes + key.length + valueBytes(value);
    }
    return bytes;
  }

  /**
   * Calls readyListener for the keys the last command signalled, then the listener for the keys
   * it changed (after the change, once each).
   */
  flushTouched(): void {
    const signalled = this.signalled;
    if (signalled.length === 1) {
      this.readyListener?.(signalled.pop() as string | null, 0);
    } else if (signalled.length !== 0) {
      const keys = signalled.slice();
      signalled.length = 0;
      tellEach(keys, (key, db) => this.readyListener?.(key, db));
    }
    const listener = this.listener;
    const touched = this.touched;
    if (touched.length === 0) return;
    if (listener === null) {
      touched.length = 0;
      return;
    }
    if (touched.length === 1) {
      // The common case (one key of database 0 per write) without copying the list.
      listener(touched.pop() as string | null, 0);
      return;
    }
    // Copy first: a listener may run commands, which touch keys again.
    const keys = touched.slice();
    touched.length = 0;
    tellEach(keys, listener);
  }

  private removeRaw(key: string, old: Value): void {
    this.signalReady(key);
    this.data.delete(key);
    this.#keyCount--;
    if (this.rawStrings.size !== 0) this.rawStrings.delete(key);
    this.lru?.delete(key);
    this.lfu?.delete(key);
    this.usedBytes -= this.keyOverheadBytes + key.length + valueBytes(old);
    if (this.expires.size !== 0 && this.expires.delete(key)) {
      this.usedBytes -= EXPIRE_OVERHEAD_BYTES;
    }
  }
}

function noNotifier(): void {}

/** Appends `key` of database `db` to a touched / signalled list (its index first unless 0). */
/**
 * Keys touched or signalled by a command, in order: a key (null: every key), preceded by its
 * database when not 0, and by `true` when expiry deleted it (ModificationListener's `expired`).
 */
type TouchList = (string | null | number | true)[];

function mark(list: TouchList, key: string | null, db: number, expired = false): void {
  if (expired) list.push(true);
  if (db !== 0) list.push(db);
  list.push(key);
}

/**
 * Calls `fn` for each key of a touched / signalled list with its database, once for a run of the
 * same key in the same database.
 */
function tellEach(
  list: TouchList,
  fn: (key: string | null, db: number, expired: boolean) => void,
): void {
  let previous: string | null | undefined = undefined;
  let previousDb = 0;
  let previousExpired = false;
  let db = 0;
  let expired = false;
  for (const item of list) {
    if (item === true) {
      expired = true;
      continue;
    }
    if (typeof item === "number") {
      db = item;
      continue;
    }
    if (item !== previous || db !== previousDb || expired !== previousExpired) {
      fn(item, db, expired);
    }
    previous = item;
    previousDb = db;
    previousExpired = expired;
    db = 0;
    expired = false;
  }
}
