/**
 * XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP (Redis 7.0 texts and shapes).
 * "radix-tree-keys" / "radix-tree-nodes" are what Redis's rax would hold for the stream's nodes:
 * one key per node (its first entry ID, 16 bytes big-endian), and the node count of the
 * compressed radix tree those keys make (raxNodes below).
 */
import { command } from "./command_table.ts";
import { ERR_NO_SUCH_KEY, ERR_NOT_INTEGER, sanitize, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { parseInt64 } from "./numbers.ts";
import { array, bulk, error, integer, NIL, type Reply } from "./reply.ts";
import { formatId, ID_MAX, ID_MIN, type StreamId } from "./stream_id.ts";
import type { StreamGroup } from "./stream_group.ts";
import { type StreamEntry, StreamValue } from "./stream_value.ts";
import { lookupAs, lower } from "./util.ts";

const KEY_BYTES = 16;

function byteAt(key: StreamId, i: number): number {
  return Number((key >> BigInt(8 * (KEY_BYTES - 1 - i))) & 0xffn);
}

/**
 * Nodes of a rax holding sorted 16-byte `keys` below depth `d` (all share bytes [0, d)): a
 * compressed node for a shared run, a branching node where bytes differ, an empty node per key.
 */
function raxSubtree(keys: readonly StreamId[], lo: number, hi: number, d: number): number {
  if (d === KEY_BYTES) return 1;
  if (hi - lo === 1) return 2; // the rest of the key compressed, then the key node
  let c = d;
  while (c < KEY_BYTES && byteAt(keys[lo], c) === byteAt(keys[hi - 1], c)) c++;
  let nodes = c > d ? 1 : 0;
  nodes++; // the branching node at byte c (keys are distinct, so c < KEY_BYTES)
  let start = lo;
  for (let i = lo + 1; i <= hi; i++) {
    if (i === hi || byteAt(keys[i], c) !== byteAt(keys[start], c)) {
      nodes += raxSubtree(keys, start, i, c + 1);
      start = i;
    }
  }
  return nodes;
}

/** rax->numnodes for these keys (1 for an empty rax: its head). */
export function raxNodes(keys: readonly StreamId[]): number {
  return keys.length === 0 ? 1 : raxSubtree(keys, 0, keys.length, 0);
}

/**
 * raxNodes of a stream's node keys, kept per stream while its node count and first and last
 * node stay the same. Nodes are only appended after the last one and dropped, so those three
 * pin the key set; blocked XREAD / XREADGROUP clients run XINFO STREAM at every wake.
 */
const raxNodesSeen = new WeakMap<
  StreamValue,
  { n: number; a: StreamId; b: StreamId; nodes: number }
>();

export function streamRaxNodes(s: StreamValue): number {
  const n = s.nodes.length;
  if (n === 0) return 1;
  const a = s.nodes[0].masterId;
  const b = s.nodes[n - 1].masterId;
  const seen = raxNodesSeen.get(s);
  if (seen !== undefined && seen.n === n && seen.a === a && seen.b === b) return seen.nodes;
  const nodes = raxNodes(s.nodes.map((node) => node.masterId));
  raxNodesSeen.set(s, { n, a, b, nodes });
  return nodes;
}

function entryOrNil(e: StreamEntry | null): Reply {
  return e === null ? NIL : array([bulk(formatId(e[0])), array(e[1].map(bulk))]);
}

/** addReplySubcommandSyntaxError: names the subcommand as the client spelled it. */
function subcommandSyntax(argv: string[]): Reply {
  return error(
    sanitize(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try XINFO HELP.`,
    ),
  );
}

/** The group's lag (streamReplyWithCGLag): entries not yet delivered, nil when unknowable. */
function lag(s: StreamValue, g: StreamGroup): Reply {
  if (s.entriesAdded === 0n) return integer(0);
  if (g.entriesRead !== -1n && !s.rangeHasTombstones(g.lastId)) {
    return integer(s.entriesAdded - g.entriesRead);
  }
  const read = s.estimateEntriesRead(g.lastId);
  return read === -1n ? NIL : integer(s.entriesAdded - read);
}

function entriesRead(g: StreamGroup): Reply {
  return g.entriesRead === -1n ? NIL : integer(g.entriesRead);
}

/** At most `count` (0 = all) IDs of a PEL, in order. */
function firstIds(ids: readonly StreamId[], count: number): readonly StreamId[] {
  return count === 0 ? ids : ids.slice(0, count);
}

function fullGroup(s: StreamValue, g: StreamGroup, count: number): Reply {
  const pending = firstIds(g.order.ids, count).map((id) => {
    const p = g.pending.get(id)!;
    return array([
      bulk(formatId(id)),
      bulk(p.consumer.name),
      integer(p.deliveryTime),
      integer(p.deliveryCount),
    ]);
  });
  const consumers = g.sortedConsumers().map((c): Reply => {
    const own = firstIds(c.pel.ids, count).map((id) => {
      const p = g.pending.get(id)!;
      return array([bulk(formatId(id)), integer(p.deliveryTime), integer(p.deliveryCount)]);
    });
    return {
      kind: "map",
      value: [
        [bulk("name"), bulk(c.name)],
        [bulk("seen-time"), integer(c.seenTime)],
        [bulk("pel-count"), integer(c.pel.size)],
        [bulk("pending"), array(own)],
      ],
    };
  });
  return {
    kind: "map",
    value: [
      [bulk("name"), bulk(g.name)],
      [bulk("last-delivered-id"), bulk(formatId(g.lastId))],
      [bulk("entries-read"), entriesRead(g)],
      [bulk("lag"), lag(s, g)],
      [bulk("pel-count"), integer(g.pending.size)],
      [bulk("pending"), array(pending)],
      [bulk("consumers"), array(consumers)],
    ],
  };
}

function groups(s: StreamValue): Reply {
  return array(
    s.sortedGroups().map((g): Reply => ({
      kind: "map",
      value: [
        [bulk("name"), bulk(g.name)],
        [bulk("consumers"), integer(g.consumers.size)],
        [bulk("pending"), integer(g.pending.size)],
        [bulk("last-delivered-id"), bulk(formatId(g.lastId))],
        [bulk("entries-read"), entriesRead(g)],
        [bulk("lag"), lag(s, g)],
      ],
    })),
  );
}

function consumers(g: StreamGroup, now: number): Reply {
  return array(
    g.sortedConsumers().map((c): Reply => ({
      kind: "map",
      value: [
        [bulk("name"), bulk(c.name)],
        [bulk("pending"), integer(c.pel.size)],
        [bulk("idle"), integer(Math.max(0, now - c.seenTime))],
      ],
    })),
  );
}

function stream(s: StreamValue, argv: string[]): Reply {
  const ERR_SUBCOMMAND_SYNTAX = subcommandSyntax(argv);
  let full = false;
  let count = 10;
  if (argv.length > 3) {
    if (lower(argv[3]) !== "full") return ERR_SUBCOMMAND_SYNTAX;
    if (argv.length !== 4 && argv.length !== 6) return ERR_SUBCOMMAND_SYNTAX;
    if (argv.length === 6) {
      if (lower(argv[4]) !== "count") return ERR_SUBCOMMAND_SYNTAX;
      const n = parseInt64(argv[5]);
      if (n === null) return ERR_NOT_INTEGER;
      count = n < 0 ? 10 : Number(n);
    }
    full = true;
  }
  const fields: [Reply, Reply][] = [
    [bulk("length"), integer(s.length)],
    [bulk("radix-tree-keys"), integer(s.nodes.length)],
    [bulk("radix-tree-nodes"), integer(streamRaxNodes(s))],
    [bulk("last-generated-id"), bulk(formatId(s.lastId))],
    [bulk("max-deleted-entry-id"), bulk(formatId(s.maxDeletedId))],
    [bulk("entries-added"), integer(s.entriesAdded)],
    [bulk("recorded-first-entry-id"), bulk(formatId(s.firstId))],
  ];
  if (full) {
    const entries = s.range(ID_MIN, ID_MAX, count, false);
    fields.push([bulk("entries"), array(entries.map(entryOrNil))]);
    fields.push([bulk("groups"), array(s.sortedGroups().map((g) => fullGroup(s, g, count)))]);
  } else {
    fields.push([bulk("groups"), integer(s.groups.size)]);
    fields.push([bulk("first-entry"), entryOrNil(s.first())]);
    fields.push([bulk("last-entry"), entryOrNil(s.last())]);
  }
  return { kind: "map", value: fields };
}

const HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    One map per consumer of the group: name, pending entries, idle milliseconds.",
  "GROUPS <key>",
  "    One map per group of the stream: name, consumers, pending entries, last",
  "    delivered ID, entries read and lag.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    The stream's length, IDs, counters and group count, with its first and last",
  "    entries. FULL lists its entries and each group with its pending entries and",
  "    consumers instead; <count> caps the entries and each pending list (10 when",
  "    omitted, 0 for no cap).",
  "HELP",
  "    Prints this help.",
];

/** Arity per subcommand, as Redis 7's container command checks it. */
const SUB_ARITY: Record<string, number> = { stream: -3, groups: 3, consumers: 4, help: 2 };

function xinfo(ks: Keyspace, argv: string[]): Reply {
  const sub = lower(argv[1]);
  const arity = SUB_ARITY[sub];
  if (arity === undefined) {
    return error(sanitize(`ERR unknown subcommand '${argv[1]}'. Try XINFO HELP.`));
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    return error(`ERR wrong number of arguments for 'xinfo|${sub}' command`);
  }
  if (sub === "help") return array(HELP.map((l) => ({ kind: "simple", value: l })));
  const s = lookupAs(ks, argv[2], StreamValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return ERR_NO_SUCH_KEY;
  const now = Math.floor(ks.ctx.nowMs);
  if (sub === "stream") return stream(s, argv);
  if (sub === "groups") return groups(s);
  const g = s.groups.get(argv[3]);
  if (g !== undefined) return consumers(g, now);
  return error(sanitize(`NOGROUP No such consumer group '${argv[3]}' for key name '${argv[2]}'`));
}

export const XINFO_COMMAND = command("xinfo", -2, "readonly", [2, 2, 1], "stream", xinfo);
