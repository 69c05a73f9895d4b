/** XREAD (non-blocking; BLOCK is the server's) and its parser, shared with XREADGROUP. */
import { command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, sanitize, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { parseInt64 } from "./numbers.ts";
import { bulk, error, NIL_ARRAY, type Reply } from "./reply.ts";
import { ERR_INVALID_ID, ID_MAX, parseStrictId, type StreamId } from "./stream_id.ts";
import { entriesReply } from "./stream_reply.ts";
import { StreamValue } from "./stream_value.ts";
import { lookupAs, lower } from "./util.ts";

/** A parsed XREAD: per stream, the key and the ID entries must exceed. */
export interface XreadArgs {
  count: number;
  /** BLOCK's milliseconds, -1 without BLOCK. */
  blockMs: number;
  keys: string[];
  ids: StreamId[];
  /** argv index of the first key (after STREAMS). */
  streamsAt: number;
  /** XREADGROUP: GROUP's names and NOACK; `>` is ID_MAX in `ids`. */
  group: string | null;
  consumer: string;
  noack: boolean;
}

/**
 * XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...] (and XREADGROUP GROUP g c [NOACK]
 * ... when `readgroup`): parses and resolves `$` to the stream's last ID (0-0 when absent). A
 * Reply on error (WRONGTYPE and NOGROUP included, checked key by key as Redis does).
 */
export function parseXread(ks: Keyspace, argv: string[], readgroup = false): XreadArgs | Reply {
  let count = 0;
  let blockMs = -1;
  let streamsAt = 0;
  let group: string | null = null;
  let consumer = "";
  let noack = false;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = lower(argv[i]);
    if (o === "block" && more > 0) {
      const t = parseInt64(argv[++i]);
      if (t === null) return error("ERR timeout is not an integer or out of range");
      if (t < 0) return error("ERR timeout is negative");
      blockMs = Number(t);
    } else if (o === "count" && more > 0) {
      const c = parseInt64(argv[++i]);
      if (c === null) return ERR_NOT_INTEGER;
      count = c < 0 ? 0 : Number(c);
    } else if (o === "streams" && more > 0) {
      streamsAt = i + 1;
      if ((argv.length - streamsAt) % 2 !== 0) {
        // redis-server 7.0.15 has one text for both commands (XREADGROUP's names XREAD and `$`).
        return error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
      }
      break;
    } else if (o === "group" && more >= 2) {
      if (!readgroup) {
        return error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      group = argv[i + 1];
      consumer = argv[i + 2];
      i += 2;
    } else if (o === "noack") {
      if (!readgroup) {
        return error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      noack = true;
    } else return ERR_SYNTAX;
  }
  if (streamsAt === 0) return ERR_SYNTAX;
  if (readgroup && group === null) return error("ERR Missing GROUP option for XREADGROUP");
  const n = (argv.length - streamsAt) / 2;
  const keys = argv.slice(streamsAt, streamsAt + n);
  const ids: StreamId[] = [];
  for (let i = 0; i < n; i++) {
    const s = lookupAs(ks, keys[i], StreamValue);
    if (s === null) return WRONGTYPE;
    if (group !== null && s?.groups.get(group) === undefined) {
      return error(
        sanitize(
          `NOGROUP No such key '${
            keys[i]
          }' or consumer group '${group}' in XREADGROUP with GROUP option`,
        ),
      );
    }
    const text = argv[streamsAt + n + i];
    if (text === "$") {
      if (readgroup) {
        return error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      ids.push(s?.lastId ?? 0n);
      continue;
    }
    if (text === ">") {
      if (readgroup) {
        ids.push(ID_MAX);
        continue;
      }
      return error(
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
      );
    }
    const id = parseStrictId(text);
    if (id === null) return ERR_INVALID_ID;
    ids.push(id);
  }
  return { count, blockMs, keys, ids, streamsAt, group, consumer, noack };
}

/** The entries past each ID, as XREAD answers them; null when no stream has any. */
export function readStreams(ks: Keyspace, a: XreadArgs): Reply | null {
  const out: [Reply, Reply][] = [];
  for (let i = 0; i < a.keys.length; i++) {
    const s = lookupAs(ks, a.keys[i], StreamValue);
    if (s === null || s === undefined || s.length === 0) continue;
    if (s.lastValidId() <= a.ids[i]) continue;
    out.push([bulk(a.keys[i]), entriesReply(s.range(a.ids[i] + 1n, ID_MAX, a.count, false))]);
  }
  // RESP3: a map key → entries; RESP2: an array of [key, entries] (Redis's two shapes).
  return out.length === 0 ? null : { kind: "map", value: out, resp2Pairs: true };
}

/**
 * The store never blocks: with nothing to read (BLOCK or not) XREAD answers a nil array, as Redis
 * does where blocking is not allowed (MULTI, scripts). The server layer implements BLOCK.
 */
function xread(ks: Keyspace, argv: string[]): Reply {
  const a = parseXread(ks, argv);
  if ("kind" in a) return a;
  return readStreams(ks, a) ?? NIL_ARRAY;
}

// Keys follow STREAMS (movable): key spec [0, 0, 0], like LMPOP.
export const XREAD_COMMAND = command("xread", -4, "readonly", [0, 0, 0], "stream", xread);
