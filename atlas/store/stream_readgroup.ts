/**
 * XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
 * (Redis 7.0 xreadCommand with a group, streamReplyWithRange / ...FromConsumerPEL). `>` delivers
 * entries past the group's last delivered ID and records them in the PEL (unless NOACK); another
 * ID reads the consumer's own pending history. The store never blocks (BLOCK lives in the server).
 *
 * Logged as given minus BLOCK, when something was served: with the record's stamped time the
 * replay makes the same deliveries, delivery times and seen times.
 */
import { command } from "./command_table.ts";
import type { Keyspace } from "./keyspace.ts";
import { array, bulk, NIL_ARRAY, type Reply } from "./reply.ts";
import { parseXread } from "./stream_read.ts";
import { entryReply } from "./stream_reply.ts";
import type { StreamConsumer, StreamGroup } from "./stream_group.ts";
import { touchConsumer, unsignalled } from "./stream_group_commands.ts";
import { formatId, ID_MAX, type StreamId } from "./stream_id.ts";
import { StreamValue } from "./stream_value.ts";
import { lower } from "./util.ts";

/** New entries for the group: advances last ID and entries-read, adds PEL entries. */
function deliver(
  s: StreamValue,
  g: StreamGroup,
  c: StreamConsumer,
  start: StreamId,
  count: number,
  noack: boolean,
  nowMs: number,
): Reply[] {
  const out: Reply[] = [];
  for (const e of s.range(start, ID_MAX, count, false)) {
    const id = e[0];
    if (id > g.lastId) {
      if (g.entriesRead !== -1n && !s.rangeHasTombstones(id)) g.entriesRead++;
      else if (s.entriesAdded !== 0n) g.entriesRead = s.estimateEntriesRead(id);
      g.lastId = id;
    }
    if (!noack) g.setPending(id, c, nowMs, 1);
    out.push(entryReply(e));
  }
  return out;
}

/** The consumer's pending entries from `start`: re-delivered (count + 1), or [id, nil] if gone. */
function history(
  s: StreamValue,
  g: StreamGroup,
  c: StreamConsumer,
  start: StreamId,
  count: number,
  nowMs: number,
): Reply[] {
  const out: Reply[] = [];
  const ids = c.pel.ids;
  for (
    let i = c.pel.lowerBound(start);
    i < ids.length && (count === 0 || out.length < count);
    i++
  ) {
    const id = ids[i];
    const fields = s.get(id);
    if (fields === undefined) {
      out.push(array([bulk(formatId(id)), NIL_ARRAY]));
      continue;
    }
    const p = g.pending.get(id)!;
    p.deliveryTime = nowMs;
    p.deliveryCount++;
    out.push(entryReply([id, fields]));
  }
  return out;
}

/** argv without its BLOCK option (the log form), walking the options as the parser does. */
export function withoutBlock(argv: string[], streamsAt: number): string[] {
  const out = [argv[0]];
  for (let i = 1; i < streamsAt;) {
    const o = lower(argv[i]);
    const width = o === "block" || o === "count" ? 2 : o === "group" ? 3 : 1;
    if (o !== "block") out.push(...argv.slice(i, i + width));
    i += width;
  }
  return out.concat(argv.slice(streamsAt));
}

function xreadgroup(ks: Keyspace, argv: string[]): Reply {
  const a = parseXread(ks, argv, true);
  if ("kind" in a) return a;
  const nowMs = Math.floor(ks.ctx.nowMs);
  const out: [Reply, Reply][] = [];
  for (let i = 0; i < a.keys.length; i++) {
    const key = a.keys[i];
    const s = ks.lookup(key) as StreamValue; // parseXread checked type and group
    const g = s.groups.get(a.group as string) as StreamGroup;
    let gt = a.ids[i];
    const fromHistory = gt !== ID_MAX;
    if (!fromHistory) {
      if (s.length === 0 || s.lastValidId() <= g.lastId) continue;
      gt = g.lastId;
    }
    const mark = ks.touched.length;
    const before = ks.beginMutation(key, s);
    const c = touchConsumer(ks, g, a.consumer, key);
    const start = gt + 1n;
    const entries = fromHistory
      ? history(s, g, c, start, a.count, nowMs)
      : deliver(s, g, c, start, a.count, a.noack, nowMs);
    ks.endMutation(key, s, before);
    unsignalled(ks, mark); // no WATCH or tracking sees a delivery, as in Redis 7.0
    out.push([bulk(key), array(entries)]);
  }
  if (out.length === 0) return NIL_ARRAY;
  ks.emit(withoutBlock(argv, a.streamsAt));
  return { kind: "map", value: out, resp2Pairs: true };
}

// Keys follow STREAMS (movable): key spec [0, 0, 0].
export const XREADGROUP_COMMAND = command(
  "xreadgroup",
  -7,
  "write",
  [0, 0, 0],
  "stream",
  xreadgroup,
);
