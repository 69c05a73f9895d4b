/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
 * AUTH2 username password] [KEYS key ...]: moves keys to another Redis-protocol server (Redis,
 * atlasd) the way Redis 7.0 does — DUMP each key here, send AUTH, SELECT (unless the connection is
 * in that database already) and one RESTORE per key (with its remaining TTL, REPLACE if asked) in
 * one write, read one reply line per command, then
 * delete the keys the target acknowledged (unless COPY). Replies and error texts are Redis's:
 * `+NOKEY` when no key exists, `-IOERR error or timeout connecting to the client` /
 * `... writing|reading to target instance`, `ERR Target instance replied with error: ...`.
 *
 * Redis blocks its whole server for the transfer, so nothing can change a key between its DUMP and
 * its DEL. atlasd serves other clients while it waits for the target; a key is deleted only if it
 * still holds exactly what was sent (same payload, same deadline), checked and deleted in one
 * synchronous step, and a key changed meanwhile stays here with an error naming it (the target
 * then has the earlier value). The connection to a target is kept for the next MIGRATE, as Redis
 * keeps it (migrate_sockets.ts). A Raft cluster refuses MIGRATE: its reads and deletes go through
 * the log and cannot be checked and applied in one step here.
 */
import { error, OK, type Reply, simple } from "../store/reply.ts";
import { parseInt64 } from "../store/numbers.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { complete, migrateOptions } from "./migrate_options.ts";
import { TargetConnection } from "./migrate_sockets.ts";
import type { ServerCommand } from "./table.ts";

const SYNTAX = error("ERR syntax error");
const NOT_INTEGER = error("ERR value is not an integer or out of range");
const KEYS_NEED_EMPTY_KEY = error(
  "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
);
const CONNECT_FAILED = error("IOERR error or timeout connecting to the client");
const WRITE_FAILED = error("IOERR error or timeout writing to target instance");
const IN_CLUSTER = error(
  "ERR MIGRATE is not available in a Raft cluster: move keys with DUMP and RESTORE",
);
/** Redis's default when the timeout given is 0 or negative. */
const TIMEOUT_DEFAULT_MS = 1000;

interface MigrateRequest {
  host: string;
  port: number;
  db: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  username: string | null;
  password: string | null;
  keys: string[];
}

/** Parses the arguments in Redis's order: options first, then timeout, then the database. */
function parseRequest(argv: string[]): MigrateRequest | Reply {
  let copy = false;
  let replace = false;
  let username: string | null = null;
  let password: string | null = null;
  let keys = [argv[3]];
  const { options, keysAt } = migrateOptions(argv);
  for (const option of options) {
    if (option.args < 0 || !complete(option, argv.length)) return SYNTAX;
    const at = option.at;
    if (option.name === "copy") copy = true;
    else if (option.name === "replace") replace = true;
    else if (option.name === "auth") password = argv[at + 1];
    else [username, password] = [argv[at + 1], argv[at + 2]]; // auth2
  }
  if (keysAt >= 0) {
    if (argv[3] !== "") return KEYS_NEED_EMPTY_KEY;
    keys = argv.slice(keysAt + 1);
  }
  const timeout = parseInt64(argv[5]);
  const db = parseInt64(argv[4]);
  if (timeout === null || db === null) return NOT_INTEGER;
  return {
    // Redis reads the port with atoi: leading digits, else 0 (which then fails to connect).
    host: argv[1],
    port: Number(/^\s*[+-]?\d*/.exec(argv[2])![0]) || 0,
    db: Number(db),
    timeoutMs: Number(timeout) <= 0 ? TIMEOUT_DEFAULT_MS : Math.min(Number(timeout), 2 ** 31 - 1),
    copy,
    replace,
    username,
    password,
    keys,
  };
}

/** What is sent for one key, and what it must still be for its DEL. */
interface Snapshot {
  key: string;
  payload: string;
  /** PEXPIRETIME: the deadline in Unix ms, or -1. */
  deadlineMs: number;
}

/** Runs a command on the local store now; null when the executor answers later (a cluster). */
function runNow(ctx: ServerContext, db: number, argv: string[]): Reply | null {
  const reply = ctx.executor.execute(argv, db);
  return reply instanceof Promise ? null : reply;
}

function snapshotOf(ctx: ServerContext, db: number, key: string): Snapshot | null | undefined {
  const dump = runNow(ctx, db, ["DUMP", key]);
  const deadline = runNow(ctx, db, ["PEXPIRETIME", key]);
  if (dump === null || deadline === null) return undefined; // not a local store
  if (dump.kind !== "bulk" || deadline.kind !== "integer") return null; // no such key
  return { key, payload: dump.value, deadlineMs: Number(deadline.value) };
}

export async function migrate(ctx: ServerContext, client: Client, argv: string[]): Promise<Reply> {
  const request = parseRequest(argv);
  if (!("keys" in request)) return request;
  if (ctx.executor.executeTransaction !== undefined) return IN_CLUSTER;
  const db = client.db;
  // The keys present now, read in one synchronous step (nothing interleaves).
  const sent: Snapshot[] = [];
  for (const key of request.keys) {
    const snapshot = snapshotOf(ctx, db, key);
    if (snapshot === undefined) return IN_CLUSTER;
    if (snapshot !== null) sent.push(snapshot);
  }
  if (sent.length === 0) return simple("NOKEY");
  const nowMs = Date.now();
  const restores: string[][] = [];
  const moving: Snapshot[] = [];
  for (const s of sent) {
    let ttl = 0;
    if (s.deadlineMs !== -1) {
      ttl = s.deadlineMs - nowMs;
      if (ttl < 0) continue; // expired meanwhile, as Redis skips it
      if (ttl < 1) ttl = 1;
    }
    moving.push(s);
    const restore = ["RESTORE", s.key, String(ttl), s.payload];
    if (request.replace) restore.push("REPLACE");
    restores.push(restore);
  }
  const auth = request.password === null
    ? null
    : request.username !== null
    ? ["AUTH", request.username, request.password]
    : ["AUTH", request.password];
  // Redis retries once, on a new connection, when the first attempt failed before the target
  // answered a RESTORE for another reason than the timeout (a cached connection the target closed).
  let mayRetry = true;
  let target: TargetConnection;
  let lines: string[];
  let select: boolean;
  for (;;) {
    const cached = ctx.migrateSockets.take(request.host, request.port);
    if (cached !== undefined) target = cached;
    else {
      try {
        target = await TargetConnection.open(request.host, request.port, request.timeoutMs);
      } catch (err) {
        // Redis connects without blocking: a refused connection only shows when it writes.
        return err instanceof Deno.errors.ConnectionRefused || request.port === 0
          ? WRITE_FAILED
          : CONNECT_FAILED;
      }
    }
    target.timeoutMs = request.timeoutMs;
    // A cached connection still in the database this MIGRATE wants needs no SELECT.
    select = target.lastDb !== request.db;
    const commands: string[][] = [];
    if (auth !== null) commands.push(auth);
    if (select) commands.push(["SELECT", String(request.db)]);
    commands.push(...restores);
    if (!(await target.write(encodeCommands(commands)))) {
      target.close();
      if (mayRetry && !target.timedOut) {
        mayRetry = false;
        continue;
      }
      return WRITE_FAILED;
    }
    lines = await target.readLines(commands.length);
    const sessionLines = (auth !== null ? 1 : 0) + (select ? 1 : 0);
    const answered = lines.length > sessionLines || lines.some((line) => line.startsWith("-"));
    if (!answered && mayRetry && !target.timedOut) {
      target.close();
      mayRetry = false;
      continue;
    }
    if (lines.length < commands.length) target.close(); // a socket error: not kept
    else {
      // After an error from the target its database is unknown: SELECT again next time.
      target.lastDb = lines.some((line) => line.startsWith("-")) ? -1 : request.db;
      ctx.migrateSockets.giveBack(request.host, request.port, target, Date.now());
    }
    break;
  }
  const authLine = auth !== null ? lines.shift() : undefined;
  const selectLine = select ? lines.shift() : "+OK";
  if ((auth !== null && authLine === undefined) || selectLine === undefined) {
    return error("IOERR error or timeout reading to target instance");
  }
  // As Redis: a failed AUTH or SELECT is the error for every key (none is deleted); else the
  // first failed RESTORE is the reply, and the keys restored are deleted all the same.
  const sessionError = authLine?.startsWith("-")
    ? authLine
    : selectLine.startsWith("-")
    ? selectLine
    : undefined;
  const firstError = sessionError ?? lines.find((line) => line.startsWith("-"));
  const acknowledged = sessionError !== undefined
    ? []
    : moving.filter((_, i) => i < lines.length && !lines[i].startsWith("-"));
  const changed = request.copy ? [] : deleteUnchanged(ctx, db, acknowledged);
  if (!request.copy && acknowledged.length > changed.length) await ctx.executor.sync();
  if (firstError !== undefined) {
    return error(`ERR Target instance replied with error: ${firstError.slice(1)}`);
  }
  if (lines.length < moving.length) {
    return error("IOERR error or timeout reading to target instance");
  }
  if (changed.length > 0) {
    return error(
      `ERR MIGRATE: ${changed.map((key) => `'${key}'`).join(", ")} changed while being sent; ` +
        "the target holds the earlier value and it was not deleted here",
    );
  }
  return OK;
}

/**
 * Deletes the acknowledged keys that still hold what was sent, in one synchronous step (the
 * checks and the DEL: nothing interleaves); returns the keys that changed meanwhile.
 */
function deleteUnchanged(ctx: ServerContext, db: number, acknowledged: Snapshot[]): string[] {
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const s of acknowledged) {
    const now = snapshotOf(ctx, db, s.key);
    if (now === null) continue; // gone (deleted or expired): nothing to delete
    if (now !== undefined && now.payload === s.payload && now.deadlineMs === s.deadlineMs) {
      unchanged.push(s.key);
    } else changed.push(s.key);
  }
  if (unchanged.length > 0) runNow(ctx, db, ["DEL", ...unchanged]);
  return changed;
}

/** RESP arrays of bulk strings; arguments are binary strings (one byte per character). */
function encodeCommands(commands: string[][]): Uint8Array {
  let size = 0;
  const heads: string[][] = commands.map((argv) => {
    const parts = [`*${argv.length}\r\n`];
    for (const arg of argv) parts.push(`$${arg.length}\r\n`);
    return parts;
  });
  commands.forEach((argv, i) => {
    size += heads[i][0].length;
    argv.forEach((arg, k) => (size += heads[i][k + 1].length + arg.length + 2));
  });
  const out = new Uint8Array(size);
  let at = 0;
  const put = (text: string) => {
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  };
  commands.forEach((argv, i) => {
    put(heads[i][0]);
    argv.forEach((arg, k) => {
      put(heads[i][k + 1]);
      put(arg);
      put("\r\n");
    });
  });
  return out;
}

export const MIGRATE_COMMAND: ServerCommand = {
  name: "migrate",
  arity: -6,
  flags: ["write", "movablekeys"],
  firstKey: 3,
  lastKey: 3,
  step: 1,
  group: "generic",
  handler: migrate,
  since: "2.6.0",
};
