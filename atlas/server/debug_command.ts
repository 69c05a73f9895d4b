/**
 * DEBUG: the subcommands tools and test suites use — OBJECT (a key's encoding, serialized length
 * and idle time), SLEEP (stop the server, as Redis's), POPULATE (make test keys), RELOAD (values
 * rebuilt from their snapshot form), LOADAOF (the data set loaded back from disk),
 * SET-ACTIVE-EXPIRE (stop or restart active expiry, so a test sees lazy expiry alone), PAUSE-CRON
 * (stop or resume the periodic work: active expiry, save rules, the idle sweep), DIGEST /
 * DIGEST-VALUE (Redis's SHA1 digests, store/digest.ts), PROTOCOL (a sample reply of each RESP
 * type), SET-DISABLE-DENY-SCRIPTS (let scripts call noscript commands),
 * QUICKLIST-PACKED-THRESHOLD and REPLYBUFFER (accepted: no list nodes, no reply buffer cron here)
 * and HELP. Unlike Redis 7, which
 * refuses DEBUG unless `enable-debug-command` allows it, atlasd answers these: none of them reads
 * or corrupts memory the way Redis's others can.
 */
import {
  array,
  bulk,
  error,
  integer,
  NIL,
  type Reply,
  simple,
  verbatimText,
} from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { parseMemory } from "./config_params.ts";
import { parseInt64 } from "../store/numbers.ts";
import { helpReply, subcommandSyntaxError } from "./subcommands.ts";
import { Blocked, type HandlerResult, ReplyList } from "./types.ts";

const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DIGEST",
  "    The digest of the whole data set, as 40 hex digits (all zeros when it is empty).",
  "DIGEST-VALUE <key> [<key> ...]",
  "    The digest of each key's value (and whether it has a TTL); zeros for a missing key.",
  "LOADAOF",
  "    Make the AOF durable, then load the data set back from the data directory (the",
  "    last snapshot and the AOF after it), as a restart would. Other clients' commands",
  "    wait until it is loaded.",
  "OBJECT <key>",
  "    The key's encoding, serialized (DUMP) length and idle seconds, in Redis's line.",
  "PAUSE-CRON <0|1>",
  "    Stop (1) or resume (0) the periodic work: active expiry, save-rule snapshots, the",
  "    idle-client sweep and the INFO samples.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Make string keys <prefix>:0 to <prefix>:<count-1> (prefix 'key'), each holding",
  "    value:<n>, cut or zero-padded to <size> bytes when a size is given. Keys that",
  "    exist are left as they are.",
  "PROTOCOL <type>",
  "    A reply of that RESP type with sample values: string, integer, double, bignum, null,",
  "    array, set, map, attrib, push, verbatim, true or false.",
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    Accepted (a memory value up to 4gb) and answered OK: Redis's size from which a",
  "    list element gets a node of its own. ATLAS lists have no nodes, so nothing a",
  "    client can see changes.",
  "REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|time>",
  "REPLYBUFFER RESIZING <0|1>",
  "    Accepted and answered OK: Redis's cron that resizes clients' reply buffers. ATLAS's",
  "    reply buffers are not resized by a cron, so nothing a client can see changes.",
  "RELOAD [MERGE] [NOFLUSH]",
  "    Save a snapshot, then rebuild every value from its snapshot form, as a restart",
  "    would load it (OBJECT ENCODING starts over; expired keys are dropped).",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Stop (0) or restart (1) the periodic deletion of expired keys; keys still",
  "    expire when a command touches them.",
  "SET-DISABLE-DENY-SCRIPTS <0|1>",
  "    Let scripts call commands they may not otherwise (1: DEBUG, for instance) or not (0).",
  "SLEEP <seconds>",
  "    Stop the server for <seconds> (a fraction such as 0.5 works; capped at 60): no",
  "    client is served meanwhile. On a Raft node only this connection waits.",
  "HELP",
  "    Prints this help.",
];

/** DEBUG SLEEP's longest stop (Redis has none; a minute is more than any test wants). */
const SLEEP_MS_MAX = 60_000;

/** What DEBUG SLEEP waits on: nothing ever notifies it, so the wait lasts its timeout. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Keys written per batch before waiting for the batch (a populate of millions stays bounded). */
const POPULATE_BATCH = 10_000;

export function debug(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const sub = argv[1].toLowerCase();
  if (sub === "help" && argv.length === 2) return helpReply(DEBUG_HELP);
  if (sub === "sleep" && argv.length === 3) {
    const s = Number(argv[2]);
    if (!Number.isFinite(s) || s < 0) return error("ERR value is not a valid float");
    const ms = Math.min(s * 1000, SLEEP_MS_MAX);
    // A Raft member only holds this connection: stopping its event loop would stop its heartbeats
    // and make the cluster elect another leader.
    if (ctx.replication !== undefined) {
      return new Promise((resolve) => setTimeout(() => resolve(simple("OK")), ms));
    }
    // As Redis's: the whole server stops (every client waits; the slow log sees the time), which
    // is what clients' and tools' tests use it for — a server that does not answer.
    Atomics.wait(sleeper, 0, 0, ms);
    // Inside EXEC the time stays the transaction's (as Redis's); EXEC re-reads it when done.
    if (client.execQueue === null) ctx.persistence.clockMoved?.();
    return simple("OK");
  }
  if (sub === "object" && argv.length === 3) return debugObject(ctx, client.db, argv[2]);
  if (sub === "digest" && argv.length === 2 && ctx.store?.datasetDigest !== undefined) {
    return simple(ctx.store.datasetDigest());
  }
  if (sub === "digest-value" && ctx.store?.valueDigests !== undefined) {
    return array(ctx.store.valueDigests(client.db, argv.slice(2)).map((digest) => simple(digest)));
  }
  if (sub === "quicklist-packed-threshold" && argv.length === 3) {
    // Redis's quicklistisSetPackedThreshold bound: below 4 GB less 1 MB (0 restores the default).
    const size = parseMemory(argv[2]);
    if (size === null || size > (1n << 32n) - (1n << 20n)) {
      return error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
    }
    return simple("OK");
  }
  if (sub === "replybuffer" && argv.length === 4) {
    const setting = argv[2].toLowerCase();
    const value = argv[3].toLowerCase();
    if (setting === "peak-reset-time") {
      if (value !== "never" && value !== "reset" && parseInt64(argv[3]) === null) {
        return error("ERR value is not an integer or out of range");
      }
      return simple("OK");
    }
    if (setting === "resizing") return simple("OK");
  }
  if ((sub === "reload" || sub === "loadaof") && client.execQueue !== null) {
    // EXEC runs its commands back to back with nothing awaited in between; a load is awaited.
    return error(`ERR DEBUG ${sub.toUpperCase()} cannot run inside MULTI / EXEC here`);
  }
  // The data set is replaced: the client's next commands wait for it (Blocked), as Redis's
  // client waits for its blocking reload.
  if (sub === "reload") return new Blocked(reload(ctx, argv));
  if (sub === "loadaof" && argv.length === 2) return new Blocked(loadAof(ctx));
  if (sub === "set-active-expire" && argv.length === 3) {
    if (ctx.persistence.setActiveExpire === undefined) {
      return error(
        "ERR DEBUG SET-ACTIVE-EXPIRE is not available here: a Raft cluster's leader " +
          "expires keys through the log",
      );
    }
    // Redis reads the flag with atoi: "0" (or any text atoi reads as 0) stops, anything else runs.
    ctx.persistence.setActiveExpire((Number.parseInt(argv[2], 10) || 0) !== 0);
    return simple("OK");
  }
  if (sub === "protocol" && argv.length === 3) return protocolSample(client, argv[2]);
  if (sub === "set-disable-deny-scripts" && argv.length === 3 && ctx.store !== undefined) {
    // As Redis: atoi's 0 denies again, anything else allows.
    ctx.store.scriptDenyDisabled = (Number.parseInt(argv[2], 10) || 0) !== 0;
    return simple("OK");
  }
  if (sub === "pause-cron" && argv.length === 3) {
    if (ctx.persistence.pauseCron === undefined) {
      return error("ERR DEBUG PAUSE-CRON is not available here: a Raft node's cron is Raft's");
    }
    // As Redis: atoi's 0 resumes, anything else pauses.
    const paused = (Number.parseInt(argv[2], 10) || 0) !== 0;
    ctx.cronPaused = paused;
    ctx.persistence.pauseCron(paused);
    return simple("OK");
  }
  if (sub === "populate" && argv.length >= 3 && argv.length <= 5) {
    const count = positiveInteger(argv[2]);
    if (count === null) return error("ERR value is out of range, must be positive");
    const size = argv.length === 5 ? positiveInteger(argv[4]) : 0;
    if (size === null) return error("ERR value is out of range, must be positive");
    return populate(ctx, client.db, argv.length >= 4 ? argv[3] : "key", count, size);
  }
  return subcommandSyntaxError("debug", argv);
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH]: Redis saves its RDB and loads it back. Here a snapshot is saved
 * (SAVE: durable before the reload) and every value is rebuilt from its snapshot form
 * (Store.reloadValues) — the data set stays what it was, as after Redis's, and what a value
 * remembers beyond its contents starts over. NOFLUSH MERGE changes nothing when the loaded data
 * is the data held; NOFLUSH alone over a data set that holds anything fails as Redis's load does.
 * NOSAVE (load an earlier save) is refused: ATLAS reloads the values it holds.
 */
async function reload(ctx: ServerContext, argv: string[]): Promise<Reply> {
  let merge = false, noflush = false;
  for (const option of argv.slice(2)) {
    const word = option.toLowerCase();
    if (word === "nosave") {
      return error("ERR DEBUG RELOAD NOSAVE is not supported: ATLAS reloads the values it holds");
    }
    if (word === "merge") merge = true;
    else if (word === "noflush") noflush = true;
    else return error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
  }
  const store = ctx.store;
  if (ctx.replication !== undefined || store?.reloadValues === undefined) {
    return error("ERR DEBUG RELOAD is not available here: a Raft node's data comes from its log");
  }
  // The engine's SAVE: a snapshot, durable before the reload (Redis's rdbSave).
  const saved = await ctx.executor.execute(["SAVE"]);
  if (saved.kind === "error") return saved;
  // NOFLUSH without MERGE loads the file over the data still held: in Redis a library loaded
  // twice fails the load (a key loaded twice aborts the process); either way nothing changes.
  const libraries = store.scriptingStats?.()?.libraries ?? 0;
  if (noflush && !merge && (libraries > 0 || (store.stats?.keys ?? 0) > 0)) {
    return error("ERR Error trying to load the RDB dump");
  }
  store.reloadValues(Date.now());
  return simple("OK");
}

const ints = (n: number) => Array.from({ length: n }, (_, i) => integer(i));

/**
 * DEBUG PROTOCOL <type>: one reply of each RESP type, with Redis's sample values, for clients'
 * and Redis's own tests of their parsers (RESP2 clients get each type's RESP2 form).
 */
function protocolSample(client: Client, type: string): HandlerResult {
  switch (type.toLowerCase()) {
    case "string":
      return bulk("Hello World");
    case "integer":
      return integer(12345);
    case "double":
      return { kind: "double", value: 3.141 };
    case "bignum":
      return { kind: "bulk", value: "1234567999999999999999999999999999999", bigNumber: true };
    case "null":
      return NIL;
    case "array":
      return array(ints(3));
    case "set":
      return { kind: "set", value: ints(3) };
    case "map":
      return { kind: "map", value: ints(3).map((k, i) => [k, { kind: "bool", value: i === 1 }]) };
    case "attrib":
      return {
        kind: "bulk",
        value: "Some real reply following the attribute",
        attributes: [[bulk("key-popularity"), array([bulk("key:123"), integer(90)])]],
      };
    case "push":
      if (client.proto !== 3) return error("ERR RESP2 is not supported by this command");
      // A push is not the command's reply: the real one follows it.
      return new ReplyList([
        { kind: "push", value: [bulk("server-cpu-usage"), integer(42)] },
        bulk("Some real reply following the push reply"),
      ]);
    case "verbatim":
      return verbatimText("This is a verbatim\nstring");
    case "true":
      return { kind: "bool", value: true };
    case "false":
      return { kind: "bool", value: false };
  }
  return error(
    "ERR Wrong protocol type name. Please use one of the following: " +
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
  );
}

/** DEBUG LOADAOF: see PersistenceHooks.loadAof. */
async function loadAof(ctx: ServerContext): Promise<Reply> {
  if (ctx.replication !== undefined || ctx.persistence.loadAof === undefined) {
    return error("ERR DEBUG LOADAOF is not available here: a Raft node's data comes from its log");
  }
  try {
    await ctx.persistence.loadAof();
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    return error(text.startsWith("ERR ") ? text : `ERR ${text}`);
  }
  return simple("OK");
}

/**
 * DEBUG OBJECT key: Redis's status line — `Value at:<address> refcount:1 encoding:<enc>
 * serializedlength:<n> lru:<clock> lru_seconds_idle:<s>` — from OBJECT ENCODING, DUMP (its payload
 * less the type byte, RDB version and checksum: Redis's rdbSavedObjectLen) and OBJECT IDLETIME
 * (0 under an LFU policy, which keeps no access time). There is no address (0x0), and a quicklist's
 * node figures (ql_nodes...) are not given.
 */
async function debugObject(ctx: ServerContext, db: number, key: string): Promise<Reply> {
  const facts = ctx.store?.debugObject;
  if (facts !== undefined && ctx.replication === undefined) {
    // As stored: Redis's DEBUG OBJECT finds an expired key not yet deleted, and deletes nothing.
    const found = facts.call(ctx.store, key, db, Date.now());
    if (found === null) return error("ERR no such key");
    return objectLine(found.encoding, found.serializedLength, found.idleSeconds);
  }
  const run = (argv: string[]) => Promise.resolve(ctx.executor.execute(argv, db));
  const idle = await run(["OBJECT", "IDLETIME", key]);
  const encoding = await run(["OBJECT", "ENCODING", key]);
  if (encoding.kind !== "bulk") {
    return encoding.kind === "error" ? encoding : error("ERR no such key");
  }
  const dump = await run(["DUMP", key]);
  if (dump.kind !== "bulk") return error("ERR no such key");
  const idleSeconds = idle.kind === "integer" ? Number(idle.value) : 0;
  return objectLine(encoding.value, dump.value.length - 11, idleSeconds);
}

/** Redis's DEBUG OBJECT status line. */
function objectLine(encoding: string, serializedLength: number, idleSeconds: number): Reply {
  const lru = ((Math.floor(Date.now() / 1000) - idleSeconds) & 0xffffff) >>> 0;
  return simple(
    `Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${serializedLength} ` +
      `lru:${lru} lru_seconds_idle:${idleSeconds}`,
  );
}

/** Redis's getPositiveLongFromObject: a non-negative integer (0 included). */
function positiveInteger(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,17})$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Redis's DEBUG POPULATE: `<prefix>:<n>` = `value:<n>` (cut or padded with zero bytes to `size`
 * when given) for n below `count`, skipping keys that exist. Each key is a SET NX through the
 * executor, so the keys are logged and replicated like any write (Redis adds them to memory
 * only, where an AOF-only server loses them at restart).
 */
async function populate(
  ctx: ServerContext,
  db: number,
  prefix: string,
  count: number,
  size: number,
): Promise<Reply> {
  let pending: Promise<Reply>[] = [];
  for (let n = 0; n < count; n++) {
    let value = `value:${n}`;
    if (size > 0) value = value.length >= size ? value.slice(0, size) : value.padEnd(size, "\0");
    const reply = ctx.executor.execute(["SET", `${prefix}:${n}`, value, "NX"], db);
    if (reply instanceof Promise) pending.push(reply);
    else if (reply.kind === "error") return reply;
    if (pending.length >= POPULATE_BATCH) {
      const failed = firstError(await Promise.all(pending));
      if (failed !== null) return failed;
      pending = [];
    }
  }
  return firstError(await Promise.all(pending)) ?? simple("OK");
}

function firstError(replies: Reply[]): Reply | null {
  for (const reply of replies) if (reply.kind === "error") return reply;
  return null;
}
