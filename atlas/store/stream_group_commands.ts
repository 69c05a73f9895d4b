/**
 * Consumer-group commands: XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP) XACK
 * XPENDING XCLAIM XAUTOCLAIM (XREADGROUP is in stream_readgroup.ts). Texts and order of checks follow
 * Redis 7.0's t_stream.c.
 *
 * Delivery, idle and seen times are the command's ExecContext time (`ks.ctx.nowMs`), never a clock
 * read. Commands are logged as given when they changed state: with the record's stamped time
 * (AOF records and Raft entries carry it) replay computes the same times, IDLE included.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, sanitize, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { parseInt64 } from "./numbers.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  OK,
  type Reply,
} from "./reply.ts";
import { ENTRIES_READ_INVALID, StreamConsumer, StreamGroup } from "./stream_group.ts";
import {
  ERR_INVALID_ID,
  formatId,
  ID_MAX,
  nextId,
  parseIntervalId,
  parseStreamId,
  parseStrictId,
  prevId,
  type StreamId,
} from "./stream_id.ts";
import { StreamValue } from "./stream_value.ts";
import { entryReply } from "./stream_reply.ts";
import { lookupAs, lower } from "./util.ts";

const S = "stream";

function now(ks: Keyspace): number {
  return Math.floor(ks.ctx.nowMs);
}

/**
 * The consumer, created if absent (reported as "xgroup-createconsumer" on `key`); its seen time
 * becomes now either way (SLC_DEFAULT).
 */
export function touchConsumer(
  ks: Keyspace,
  g: StreamGroup,
  name: string,
  key: string,
): StreamConsumer {
  let c = g.consumers.get(name);
  if (c === undefined) {
    c = new StreamConsumer(name, 0);
    g.consumers.set(name, c);
    ks.notify(EventClass.Stream, "xgroup-createconsumer", key);
  }
  c.seenTime = now(ks);
  return c;
}

/**
 * Redis 7.0 changes consumer groups (and XSETID a stream's IDs) without signalModifiedKey: a
 * WATCH on the key holds and client tracking keeps it. The change still goes through
 * beginMutation (open snapshot views copy the value first); the notices the modification
 * listener would get, queued from `mark` on, are dropped. (XGROUP DESTROY signals the key to
 * blocked readers instead, through signalReady.)
 */
export function unsignalled(ks: Keyspace, mark: number): void {
  ks.untouch(mark);
}

function noGroup(key: string, group: string): Reply {
  return error(sanitize(`NOGROUP No such key '${key}' or consumer group '${group}'`));
}

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Add a consumer group to the stream; it is served the entries after <id> ($: after",
  "    the stream's newest entry). Options are:",
  "    * MKSTREAM",
  "      If <key> does not exist, make it an empty stream first.",
  "    * ENTRIESREAD entries_read",
  "      How many entries the group counts as read already (-1 or absent: unknown).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Add <consumer> to the group; replies 1, or 0 when it is there already.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Drop <consumer> and its pending entries; replies how many were pending.",
  "DESTROY <key> <groupname>",
  "    Drop the group with its consumers; replies 1, or 0 when there was no such group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Move the group's last delivered ID to <id> ($: the stream's newest entry); its",
  "    read count becomes entries_read, or unknown without ENTRIESREAD.",
  "HELP",
  "    Prints this help.",
];

const XGROUP_ARITY: Record<string, number> = {
  create: -5,
  setid: -5,
  destroy: 4,
  createconsumer: 5,
  delconsumer: 5,
  help: 2,
};

function subcommandSyntax(argv: string[]): Reply {
  return error(
    sanitize(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XGROUP HELP.`,
    ),
  );
}

function xgroup(ks: Keyspace, argv: string[]): Reply {
  const opt = lower(argv[1]);
  const arity = XGROUP_ARITY[opt];
  if (arity === undefined) {
    return error(sanitize(`ERR unknown subcommand '${argv[1]}'. Try XGROUP HELP.`));
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    return error(`ERR wrong number of arguments for 'xgroup|${opt}' command`);
  }
  if (opt === "help") return array(XGROUP_HELP.map((l) => ({ kind: "simple", value: l })));
  const key = argv[2];
  const name = argv[3];
  let mkstream = false;
  let entriesRead = ENTRIES_READ_INVALID;
  for (let i = 5; i < argv.length;) {
    const o = lower(argv[i]);
    if (opt === "create" && o === "mkstream") {
      mkstream = true;
      i++;
    } else if (
      (opt === "create" || opt === "setid") && o === "entriesread" && i + 1 < argv.length
    ) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 0 && n !== -1) return error("ERR value for ENTRIESREAD must be positive or -1");
      entriesRead = BigInt(n);
      i += 2;
    } else return subcommandSyntax(argv);
  }
  const s = lookupAs(ks, key, StreamValue);
  if (s === null) return WRONGTYPE;
  const g = s?.groups.get(name);
  if (!mkstream) {
    if (s === undefined) {
      return error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
    }
    if (g === undefined && opt !== "create" && opt !== "destroy") {
      return error(sanitize(`NOGROUP No such consumer group '${name}' for key name '${key}'`));
    }
  }
  if (opt === "create") {
    if (argv.length > 8) return subcommandSyntax(argv);
    let id: StreamId;
    if (argv[4] === "$") id = s?.lastId ?? 0n;
    else {
      const p = parseStrictId(argv[4]);
      if (p === null) return ERR_INVALID_ID;
      id = p;
    }
    if (g !== undefined) return error("BUSYGROUP Consumer Group name already exists");
    const mark = ks.touched.length;
    const stream = s ?? ks.createCollection(key, new StreamValue());
    const before = ks.beginMutation(key, stream);
    stream.groups.set(name, new StreamGroup(name, id, entriesRead));
    ks.endMutation(key, stream, before);
    if (s !== undefined) unsignalled(ks, mark); // MKSTREAM's new key is signalled
    ks.notify(EventClass.Stream, "xgroup-create", key);
    ks.emit(argv);
    return OK;
  }
  const st = s as StreamValue;
  const group = g as StreamGroup;
  if (opt === "setid") {
    if (argv.length !== 5 && argv.length !== 7) return subcommandSyntax(argv);
    let id: StreamId;
    if (argv[4] === "$") id = st.lastId;
    else {
      const p = parseStreamId(argv[4], 0n, false);
      if (p === null) return ERR_INVALID_ID;
      id = p.id;
    }
    const mark = ks.touched.length;
    const before = ks.beginMutation(key, st);
    group.lastId = id;
    group.entriesRead = entriesRead;
    ks.endMutation(key, st, before);
    unsignalled(ks, mark);
    ks.notify(EventClass.Stream, "xgroup-setid", key);
    ks.emit(argv);
    return OK;
  }
  if (opt === "destroy") {
    if (g === undefined) return integer(0);
    const mark = ks.touched.length;
    const before = ks.beginMutation(key, st);
    st.groups.delete(name);
    ks.endMutation(key, st, before);
    unsignalled(ks, mark);
    // Not a change for WATCH, but the group's blocked XREADGROUPs must hear of it (NOGROUP, or
    // served by a group of that name created since, in the same MULTI or script).
    ks.signalReady(key);
    ks.notify(EventClass.Stream, "xgroup-destroy", key);
    ks.emit(argv);
    return integer(1);
  }
  const consumer = argv[4];
  if (opt === "createconsumer") {
    if (group.consumers.has(consumer)) return integer(0);
    const mark = ks.touched.length;
    const before = ks.beginMutation(key, st);
    touchConsumer(ks, group, consumer, key);
    ks.endMutation(key, st, before);
    unsignalled(ks, mark);
    ks.emit(argv);
    return integer(1);
  }
  // delconsumer
  const c = group.consumers.get(consumer);
  if (c === undefined) return integer(0);
  const pending = c.pel.size;
  const mark = ks.touched.length;
  const before = ks.beginMutation(key, st);
  group.deleteConsumer(c);
  ks.endMutation(key, st, before);
  unsignalled(ks, mark);
  ks.notify(EventClass.Stream, "xgroup-delconsumer", key);
  ks.emit(argv);
  return integer(pending);
}

/** The stream and group named by argv[1], argv[2]; undefined for either missing. */
function streamGroup(
  ks: Keyspace,
  argv: string[],
): { s: StreamValue; g: StreamGroup } | undefined | null {
  const s = lookupAs(ks, argv[1], StreamValue);
  if (s === null) return null;
  const g = s?.groups.get(argv[2]);
  return s === undefined || g === undefined ? undefined : { s, g };
}

function xack(ks: Keyspace, argv: string[]): Reply {
  const sg = streamGroup(ks, argv);
  if (sg === null) return WRONGTYPE;
  if (sg === undefined) return integer(0);
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = parseStrictId(argv[j]);
    if (id === null) return ERR_INVALID_ID;
    ids.push(id);
  }
  const mark = ks.touched.length;
  const before = ks.beginMutation(argv[1], sg.s);
  let acked = 0;
  for (const id of ids) if (sg.g.deletePending(id)) acked++;
  ks.endMutation(argv[1], sg.s, before);
  unsignalled(ks, mark);
  if (acked > 0) ks.emit(argv);
  return integer(acked);
}

function xpending(ks: Keyspace, argv: string[]): Reply {
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) return ERR_SYNTAX;
  let start = 0n;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argc >= 6) {
    let at = 3;
    if (lower(argv[3]) === "idle") {
      const n = parseInt64(argv[4]);
      if (n === null) return ERR_NOT_INTEGER;
      minIdle = Number(n);
      if (argc < 8) return ERR_SYNTAX;
      at += 2;
    }
    const c = parseInt64(argv[at + 2]);
    if (c === null) return ERR_NOT_INTEGER;
    count = c < 0 ? 0 : Number(c);
    const a = parseIntervalId(argv[at], 0n);
    if (a === null) return ERR_INVALID_ID;
    const sa = a.exclusive ? nextId(a.id) : a.id;
    if (sa === null) return error("ERR invalid start ID for the interval");
    const b = parseIntervalId(argv[at + 1], (1n << 64n) - 1n);
    if (b === null) return ERR_INVALID_ID;
    const eb = b.exclusive ? prevId(b.id) : b.id;
    if (eb === null) return error("ERR invalid end ID for the interval");
    start = sa;
    end = eb;
    if (at + 3 < argc) consumerName = argv[at + 3];
  }
  const sg = streamGroup(ks, argv);
  if (sg === null) return WRONGTYPE;
  if (sg === undefined) return noGroup(argv[1], argv[2]);
  const g = sg.g;
  if (argc === 3) {
    if (g.pending.size === 0) return array([integer(0), NIL, NIL, NIL_ARRAY]);
    const owners: Reply[] = [];
    for (const c of g.sortedConsumers()) {
      if (c.pel.size > 0) owners.push(array([bulk(c.name), bulk(String(c.pel.size))]));
    }
    const ids = g.order.ids;
    return array([
      integer(g.pending.size),
      bulk(formatId(ids[0])),
      bulk(formatId(ids[ids.length - 1])),
      array(owners),
    ]);
  }
  let order = g.order;
  if (consumerName !== null) {
    const c = g.consumers.get(consumerName);
    if (c === undefined) return EMPTY_ARRAY;
    order = c.pel;
  }
  const t = now(ks);
  const out: Reply[] = [];
  for (let i = order.lowerBound(start); count > 0 && i < order.ids.length; i++) {
    const id = order.ids[i];
    if (id > end) break;
    const p = g.pending.get(id)!;
    if (minIdle !== 0 && t - p.deliveryTime < minIdle) continue;
    count--;
    out.push(array([
      bulk(formatId(id)),
      bulk(p.consumer.name),
      integer(Math.max(0, t - p.deliveryTime)),
      integer(p.deliveryCount),
    ]));
  }
  return array(out);
}

function claimError(what: string, cmd: string): Reply {
  return error(`ERR Invalid ${what} argument for ${cmd}`);
}

function xclaim(ks: Keyspace, argv: string[]): Reply {
  const sg = streamGroup(ks, argv);
  if (sg === null) return WRONGTYPE;
  if (sg === undefined) return noGroup(argv[1], argv[2]);
  const { s, g } = sg;
  const minIdleN = parseInt64(argv[4]);
  if (minIdleN === null) return claimError("min-idle-time", "XCLAIM");
  const minIdle = minIdleN < 0 ? 0 : Number(minIdleN);
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = parseStrictId(argv[j]);
    if (id === null) break;
    ids.push(id);
  }
  const t = now(ks);
  let force = false;
  let justId = false;
  let deliveryTime = -1;
  let retryCount = -1;
  let lastId = 0n;
  for (; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    const o = lower(argv[j]);
    if (o === "force") force = true;
    else if (o === "justid") justId = true;
    else if (o === "idle" && more) {
      const n = parseInt64(argv[++j]);
      if (n === null) return error("ERR Invalid IDLE option argument for XCLAIM");
      deliveryTime = t - Number(n);
    } else if (o === "time" && more) {
      const n = parseInt64(argv[++j]);
      if (n === null) return error("ERR Invalid TIME option argument for XCLAIM");
      deliveryTime = Number(n);
    } else if (o === "retrycount" && more) {
      const n = parseInt64(argv[++j]);
      if (n === null) return error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      retryCount = Number(n);
    } else if (o === "lastid" && more) {
      const id = parseStrictId(argv[++j]);
      if (id === null) return ERR_INVALID_ID;
      lastId = id;
    } else return error(sanitize(`ERR Unrecognized XCLAIM option '${argv[j]}'`));
  }
  const key = argv[1];
  const mark = ks.touched.length;
  const before = ks.beginMutation(key, s);
  let changed = false;
  if (lastId > g.lastId) {
    g.lastId = lastId;
    changed = true;
  }
  if (deliveryTime < 0 || deliveryTime > t) deliveryTime = t;
  let consumer: StreamConsumer | null = null;
  const out: Reply[] = [];
  for (const id of ids) {
    const p = g.pending.get(id);
    const fields = s.get(id);
    if (fields === undefined) {
      // The entry is gone: drop it from the PEL.
      if (p !== undefined) {
        g.deletePending(id);
        changed = true;
      }
      continue;
    }
    let created = false;
    if (force && p === undefined) created = true;
    if (p === undefined && !created) continue;
    if (!created && minIdle !== 0 && t - p!.deliveryTime < minIdle) continue;
    consumer ??= touchConsumer(ks, g, argv[3], key);
    // A PEL entry made by FORCE starts at 1 delivery, then counts this one (as Redis does).
    const count = retryCount >= 0 ? retryCount : (p?.deliveryCount ?? 1) + (justId ? 0 : 1);
    g.setPending(id, consumer, deliveryTime, count);
    out.push(justId ? bulk(formatId(id)) : entryReply([id, fields]));
    changed = true;
  }
  ks.endMutation(key, s, before);
  unsignalled(ks, mark);
  if (changed || consumer !== null) ks.emit(argv);
  return array(out);
}

function xautoclaim(ks: Keyspace, argv: string[]): Reply {
  const minIdleN = parseInt64(argv[4]);
  if (minIdleN === null) return claimError("min-idle-time", "XAUTOCLAIM");
  const minIdle = minIdleN < 0 ? 0 : Number(minIdleN);
  const a = parseIntervalId(argv[5], 0n);
  if (a === null) return ERR_INVALID_ID;
  const start = a.exclusive ? nextId(a.id) : a.id;
  if (start === null) return error("ERR invalid start ID for the interval");
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const o = lower(argv[j]);
    if (o === "count" && j + 1 < argv.length) {
      const n = parseInt64(argv[++j]);
      // getRangeLongFromObjectOrReply(1, LONG_MAX / 16): any failure gives the custom text.
      if (n === null || n < 1 || BigInt(n) > (2n ** 63n - 1n) / 16n) {
        return error("ERR COUNT must be > 0");
      }
      count = Number(n);
    } else if (o === "justid") justId = true;
    else return ERR_SYNTAX;
  }
  const sg = streamGroup(ks, argv);
  if (sg === null) return WRONGTYPE;
  if (sg === undefined) return noGroup(argv[1], argv[2]);
  const { s, g } = sg;
  const key = argv[1];
  const t = now(ks);
  let attempts = count * 10;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  let consumer: StreamConsumer | null = null;
  const mark = ks.touched.length;
  const before = ks.beginMutation(key, s);
  const order = g.order.ids;
  let i = g.order.lowerBound(start);
  while (attempts-- > 0 && count > 0 && i < order.length) {
    const id = order[i];
    const fields = s.get(id);
    if (fields === undefined) {
      g.deletePending(id); // the array shrinks: `i` already points at the next ID
      deleted.push(bulk(formatId(id)));
      count--;
      continue;
    }
    i++;
    const p = g.pending.get(id)!;
    if (minIdle !== 0 && t - p.deliveryTime < minIdle) continue;
    consumer ??= touchConsumer(ks, g, argv[3], key);
    g.setPending(id, consumer, t, p.deliveryCount + (justId ? 0 : 1));
    claimed.push(justId ? bulk(formatId(id)) : entryReply([id, fields]));
    count--;
  }
  const cursor = i < order.length ? formatId(order[i]) : "0-0";
  ks.endMutation(key, s, before);
  unsignalled(ks, mark);
  if (claimed.length > 0 || deleted.length > 0 || consumer !== null) ks.emit(argv);
  return array([bulk(cursor), array(claimed), array(deleted)]);
}

export const STREAM_GROUP_COMMANDS: readonly BuiltinCommand[] = [
  command("xgroup", -2, "write", [2, 2, 1], S, xgroup),
  command("xack", -4, "write fast", [1, 1, 1], S, xack),
  command("xpending", -3, "readonly", [1, 1, 1], S, xpending),
  command("xclaim", -6, "write fast", [1, 1, 1], S, xclaim),
  command("xautoclaim", -6, "write fast", [1, 1, 1], S, xautoclaim),
];
