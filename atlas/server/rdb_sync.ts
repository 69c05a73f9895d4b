/**
 * REPLCONF, SYNC and PSYNC as far as Redis tools use them to take an RDB file: `redis-cli --rdb
 * FILE` (REPLCONF capa eof, REPLCONF rdb-only 1, SYNC) and `--functions-rdb` (adds REPLCONF
 * rdb-filter-only functions), and `redis-cli --replica`. It sends the RDB of a point-in-time view
 * of the keyspace (rdb_file.ts); then an rdb-only client's connection closes, as Redis closes an
 * rdb-only replica's, and a plain SYNC's follows the replication stream (replication_feed.ts).
 * atlasd itself replicates with Raft: a Redis replica (PSYNC) is refused, below.
 *
 * - REPLCONF answers as Redis 7.0.15's: listening-port, ip-address, capa, rdb-only,
 *   rdb-filter-only are checked and OK; ack and getack answer nothing; anything else is
 *   "Unrecognized REPLCONF option".
 * - SYNC, and PSYNC from a client that said `REPLCONF rdb-only 1` (after `+FULLRESYNC <replid>
 *   <offset>`), get the payload: `$EOF:<40 random hex>\r\n` + file + the same 40 bytes when the
 *   client announced `capa eof` (streamed chunk by chunk), else `$<length>\r\n` + file (built in
 *   memory first, since the length comes first).
 * - PSYNC from any other client is a Redis replica (`replicaof` pointed at atlasd): it is refused
 *   with an error, and so is the SYNC such a replica falls back to on the same connection, so it
 *   logs the error and retries the handshake (once a second: see refuseReplica) instead of
 *   loading a file it could never follow.
 *
 * The view is encoded key by key with an event-loop yield after every SLICE_MS of work (as the
 * snapshot writer does), and each chunk waits for the socket, so other clients keep being served and a
 * slow reader holds only the view (writes meanwhile save the old values of keys not sent yet).
 */
import { splitInlineArgs } from "../resp/inline.ts";
import { parseInt64 } from "../store/numbers.ts";
import { RdbFileEncoder } from "../store/rdb_file.ts";
import { error, OK, type Reply } from "../store/reply.ts";
import { TAG_SECTION } from "../store/serialize.ts";
import type { SnapshotView } from "../store/snapshot_view.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { ReplicationFeed } from "./replication_feed.ts";
import { accountedMemory, MASTER_REPLID } from "./info.ts";
import { Blocked, type HandlerResult, ReplyList } from "./types.ts";

/** What a connection told REPLCONF, and whether it was found to be a Redis replica. */
interface Handshake {
  /** `capa eof`: it reads the EOF-marker payload form. */
  eof: boolean;
  /** `rdb-only 1`: it wants the RDB alone (redis-cli --rdb), not a replication stream. */
  rdbOnly: boolean;
  /** `rdb-filter-only`: leave the keys / the function libraries out. */
  excludeData: boolean;
  excludeFunctions: boolean;
  /** Its PSYNC was refused: the SYNC it falls back to is refused too. */
  refusedReplica: boolean;
}

const handshakes = new WeakMap<Client, Handshake>();

function handshakeOf(client: Client): Handshake {
  let h = handshakes.get(client);
  if (h === undefined) {
    h = {
      eof: false,
      rdbOnly: false,
      excludeData: false,
      excludeFunctions: false,
      refusedReplica: false,
    };
    handshakes.set(client, h);
  }
  return h;
}

/** Transfers at once per server: each holds a snapshot view (SAVE needs one too). */
export const RDB_TRANSFERS_MAX = 2;
const running = new WeakMap<ServerContext, number>();

/** Encoded bytes handed to the socket at a time. */
const CHUNK_BYTES = 256 * 1024;
/** The longest run of encoding between event-loop yields; a value this long is a run itself. */
const SLICE_MS = 4;
const CLOCK_EVERY_BYTES = 64 * 1024;
/** A refused replica's answer waits this long (the pace of Redis's replication cron). */
export const REFUSAL_DELAY_MS = 1000;
const REFUSAL_LOG_INTERVAL_MS = 60_000;
/** Per server: per replica host, when its refusal was last logged and how many since. */
const refusals = new WeakMap<ServerContext, Map<string, { loggedMs: number; count: number }>>();
/** Redis's NET_HOST_STR_LEN: an announced address must be shorter. */
const HOST_STR_LEN = 256;

const NO_REPLY = new ReplyList([]);
const ERR_INT = error("ERR value is not an integer or out of range");
export const ERR_REDIS_REPLICA = error(
  "ERR atlasd does not serve Redis replicas: it replicates with Raft (docs/cluster.md). " +
    "For a copy of the data use redis-cli --rdb FILE",
);

/** REPLCONF <option> <value> [<option> <value> ...], Redis 7.0.15's options and replies. */
export function replconf(_ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  if (argv.length % 2 === 0) return error("ERR syntax error");
  const h = handshakeOf(client);
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j].toLowerCase();
    const value = argv[j + 1];
    if (option === "listening-port") {
      if (parseInt64(value) === null) return ERR_INT;
    } else if (option === "ip-address") {
      if (value.length >= HOST_STR_LEN) {
        return error(
          `ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`,
        );
      }
    } else if (option === "capa") {
      if (value.toLowerCase() === "eof") h.eof = true; // psync2 and unknown ones: ignored
    } else if (option === "ack" || option === "getack") {
      // Offsets of a replica, or a master asking its replica for one: no reply either way.
      return NO_REPLY;
    } else if (option === "rdb-only") {
      const v = parseInt64(value);
      if (v === null) return ERR_INT;
      if (v < 0 || v > 1) return error("ERR value is out of range, value must between 0 and 1");
      h.rdbOnly = v === 1;
    } else if (option === "rdb-filter-only") {
      const filters = splitInlineArgs(value);
      if (filters === null) return error("ERR Missing rdb-filter-only values");
      // Everything is left out but what a filter names ("" leaves out all).
      h.excludeData = true;
      h.excludeFunctions = true;
      for (const f of filters) {
        if (f.toLowerCase() !== "functions") {
          return error(`ERR Unsupported rdb-filter-only option: ${f}`);
        }
        h.excludeFunctions = false;
      }
    } else return error(`ERR Unrecognized REPLCONF option: ${argv[j]}`);
  }
  return OK;
}

/** SYNC, and PSYNC <replicationid> <offset> (extra arguments ignored, but PSYNC's FAILOVER). */
export function sync(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const psync = argv[0].toLowerCase() === "psync";
  const h = handshakeOf(client);
  if (psync && argv.length > 3 && argv[3].toLowerCase() === "failover") {
    return error("ERR PSYNC FAILOVER can't be sent to a master.");
  }
  if (client.output.pendingBytes > 0 || client.output.repliesQueued) {
    return error("ERR SYNC and PSYNC are invalid with pending output");
  }
  const filtered = h.excludeData || h.excludeFunctions;
  if (filtered && !h.eof) return error("ERR Filtered replica requires EOF capability");
  if (psync && parseInt64(argv[2]) === null) return ERR_INT;
  // A Redis replica sends PSYNC first, then SYNC on the same connection when PSYNC fails.
  if ((psync && !h.rdbOnly) || h.refusedReplica) {
    h.refusedReplica = true;
    return refuseReplica(ctx, client, argv[0]);
  }
  if (ctx.store?.snapshotView === undefined) {
    return error("ERR SYNC is not available: this server has no keyspace to send");
  }
  const transfers = running.get(ctx) ?? 0;
  if (transfers >= RDB_TRANSFERS_MAX) {
    return error(
      `ERR ${transfers} RDB transfers are running already (the most at once): try again later`,
    );
  }
  let view: SnapshotView;
  try {
    view = ctx.store.snapshotView("rdb");
  } catch (err) {
    return error(`ERR ${err instanceof Error ? err.message : String(err)}`);
  }
  const offset = ctx.replication?.offset() ?? 0;
  if (psync && argv[1] !== "?") ctx.stats.syncPartialErr++;
  ctx.stats.syncFull++;
  running.set(ctx, transfers + 1);
  const preamble = psync ? `+FULLRESYNC ${MASTER_REPLID} ${offset}\r\n` : "";
  // Attached with the view, so the stream starts right after what the file holds.
  const subscribe = ctx.persistence.onLogged;
  const feed = !h.rdbOnly && subscribe !== undefined
    ? new ReplicationFeed(ctx, client, subscribe)
    : null;
  const done = transfer(ctx, client, h, view, offset, preamble, feed).finally(() => {
    view.close();
    running.set(ctx, (running.get(ctx) ?? 1) - 1);
  });
  // NO_REPLY (a ReplyList) when the stream follows: Blocked carries it (see Blocked).
  return new Blocked(done as Promise<Reply>);
}

/**
 * The refusal of a Redis replica, answered after REFUSAL_DELAY_MS: a replica whose SYNC fails
 * reconnects at once (only a failed handshake waits for its once-a-second replication cron), so
 * an immediate answer would make it retry thousands of times a second. Logged once a minute per
 * address.
 */
function refuseReplica(ctx: ServerContext, client: Client, command: string): Blocked {
  const host = client.addr.slice(0, client.addr.lastIndexOf(":"));
  let seen = refusals.get(ctx);
  if (seen === undefined || seen.size > 1024) refusals.set(ctx, seen = new Map());
  const nowMs = Date.now();
  const last = seen.get(host);
  if (last === undefined || nowMs - last.loggedMs >= REFUSAL_LOG_INTERVAL_MS) {
    ctx.logger.warn("Refused a Redis replica: atlasd replicates with Raft", {
      addr: client.addr,
      command,
      refusedSinceLastLog: last?.count ?? 0,
    });
    seen.set(host, { loggedMs: nowMs, count: 0 });
  } else last.count++;
  return new Blocked(
    new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        client.unblock = null;
        resolve(ERR_REDIS_REPLICA);
      }, REFUSAL_DELAY_MS);
      // A disconnect ends the wait silently; CLIENT UNBLOCK answers at once.
      client.unblock = (how) => {
        clearTimeout(timer);
        client.unblock = null;
        if (how !== undefined) resolve(how === "timeout" ? ERR_REDIS_REPLICA : how);
      };
    }),
  );
}

/**
 * Lets the event loop poll sockets. (A setImmediate callback runs without polling them under Deno
 * 2.9: clients would wait for the whole transfer. A timer costs a millisecond or two.)
 */
const yieldToLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function randomHex(bytes: number): string {
  const random = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
}

const ascii = (text: string) => new TextEncoder().encode(text);

/**
 * Sends the RDB payload, then makes the connection close (no reply follows it). Resolves when the
 * transfer ended, whether it completed, failed or the client went away.
 */
async function transfer(
  ctx: ServerContext,
  client: Client,
  h: Handshake,
  view: SnapshotView,
  offset: number,
  preamble: string,
  feed: ReplicationFeed | null,
): Promise<Reply | ReplyList> {
  const output = client.output;
  const gone = () => client.closed || output.failed;
  const startedMs = performance.now();
  let streaming = false;
  const send = (bytes: Uint8Array) => output.send(bytes);
  const encoder = new RdbFileEncoder({
    ctimeSeconds: Math.floor(Date.now() / 1000),
    usedMemoryBytes: accountedMemory(ctx).used,
    replication: { id: MASTER_REPLID, offset },
    keys: view.keysAtOpen,
    expires: view.expiresAtOpen,
  });
  ctx.logger.info("RDB transfer started", { addr: client.addr, keys: view.keysAtOpen });
  try {
    // The connection hands its output over once the replies before SYNC are out.
    while (output.held && !gone()) await yieldToLoop();
    const mark = h.eof ? randomHex(20) : null;
    if (preamble !== "" || mark !== null) {
      await send(ascii(preamble + (mark !== null ? `$EOF:${mark}\r\n` : "")));
    }
    const whole: Uint8Array[] = []; // the file kept for the `$<length>` form
    let sliceStart = performance.now();
    let keys = 0;
    while (!gone()) {
      const entry = view.next(); // encodes the key's value (unless a write saved it already)
      if (entry === null) break;
      const section = entry.payload.charCodeAt(0) === TAG_SECTION.charCodeAt(0);
      if (!section && h.excludeData) break; // the view gives sections first: nothing more to send
      if (!(section && h.excludeFunctions)) encoder.add(entry);
      if (encoder.pendingBytes >= CHUNK_BYTES) {
        const chunk = encoder.take();
        if (mark !== null) await send(chunk); // (completes at once while the socket has room)
        else whole.push(chunk);
      }
      // The clock is an op call: read it every 16 keys, or after a large one.
      if ((++keys & 15) !== 0 && entry.payload.length < CLOCK_EVERY_BYTES) continue;
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldToLoop(); // other clients run between slices
        sliceStart = performance.now();
      }
    }
    if (gone()) {
      ctx.logger.warn("RDB transfer ended: the client went away", { addr: client.addr });
      return OK;
    }
    view.close();
    const last = encoder.finish();
    if (mark !== null) {
      await send(last);
      await send(ascii(mark));
    } else {
      await send(ascii(`$${encoder.bytesTaken}\r\n`));
      for (const chunk of whole) await send(chunk);
      whole.length = 0;
      await send(last);
    }
    if (gone()) {
      ctx.logger.warn("RDB transfer ended: the client went away", { addr: client.addr });
      return OK;
    }
    ctx.logger.info("RDB transfer finished", {
      addr: client.addr,
      keys: encoder.keys,
      libraries: encoder.libraries,
      bytes: encoder.bytesTaken,
      seconds: Math.round(performance.now() - startedMs) / 1000,
      replicationStream: feed !== null,
    });
    if (feed !== null) {
      // The stream follows the file; SYNC itself answers nothing.
      feed.start();
      streaming = true;
      return NO_REPLY;
    }
  } catch (err) {
    ctx.logger.error("RDB transfer failed", { addr: client.addr, error: String(err) });
  } finally {
    if (!streaming) {
      // Like an rdb-only replica in Redis, the connection ends with the payload: nothing more is
      // written to it (the reply this resolves to is dropped) and it closes.
      feed?.stop();
      output.failed = true;
      client.closeAfterFlush = true;
    }
  }
  return OK;
}
