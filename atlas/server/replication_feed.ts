/**
 * Redis's replication stream, for the connections that ask for it with a plain SYNC (as
 * `redis-cli --replica` and Redis's own tests do; not `redis-cli --rdb`'s rdb-only SYNC): after
 * the RDB file, every write the server logs, as the commands a replica would apply.
 * The commands are the log's own forms (docs/aof.md: what a command did, with times made
 * absolute — SET ... PXAT, PEXPIREAT — and blocking pops as the pops they became), sent as
 * Redis feeds its replicas:
 * - a SELECT before a command whenever the stream's database changes (the first command gets
 *   one), and never another one otherwise;
 * - the forms of one call wrapped in MULTI ... EXEC when there are more than one (the writes of
 *   an EXEC, a script's, a write that first expired its key), as Redis 7 wraps what one call
 *   propagates; the DELs of an active-expiry or eviction pass, or of the keys SCAN and RANDOMKEY
 *   found expired, each on their own.
 * atlasd replicates with Raft; this stream is for tools and tests that watch what a server
 * propagates. A Raft node does not offer it (SYNC there sends the RDB file only).
 *
 * A feed is attached when SYNC opens its point-in-time view, so the stream starts exactly after
 * what the RDB file holds: records logged while the file is sent wait in the feed and follow it.
 * A follower that cannot keep up is closed past the replica class's client-output-buffer-limit of
 * unsent output, or of records waiting for its file.
 */
import { bulk, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { outputOverflows } from "./output_limits.ts";

const MULTI: Reply = { kind: "array", value: [bulk("MULTI")] };
const EXEC: Reply = { kind: "array", value: [bulk("EXEC")] };

const formReply = (form: readonly string[]): Reply => ({ kind: "array", value: form.map(bulk) });

type Log = readonly (readonly string[])[];
type Subscribe = (listener: (log: Log, atomic: boolean) => void) => () => void;

/**
 * The server's feeds: one subscription to the log for all of them, and the records of an EXEC
 * gathered into one (the transaction's writes are logged command by command).
 */
class FeedHub {
  readonly feeds = new Set<ReplicationFeed>();
  #unsubscribe: (() => void) | null = null;
  /** The forms logged since the running EXEC began; null outside one. */
  #transaction: string[][] | null = null;

  constructor(private readonly subscribe: Subscribe) {}

  add(feed: ReplicationFeed): void {
    this.feeds.add(feed);
    this.#unsubscribe ??= this.subscribe((log, atomic) => this.#record(log, atomic));
  }

  remove(feed: ReplicationFeed): void {
    this.feeds.delete(feed);
    if (this.feeds.size === 0) {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
    }
  }

  beginTransaction(): void {
    if (this.feeds.size > 0) this.#transaction = [];
  }

  endTransaction(): void {
    const forms = this.#transaction;
    this.#transaction = null;
    if (forms !== null && forms.length > 0) this.#deliver(forms, true);
  }

  #record(log: Log, atomic: boolean): void {
    if (this.#transaction === null) this.#deliver(log, atomic);
    else {
      // Each record starts at database 0: say so between records.
      if (this.#transaction.length > 0) this.#transaction.push(["SELECT", "0"]);
      for (const form of log) this.#transaction.push([...form]);
    }
  }

  #deliver(log: Log, atomic: boolean): void {
    for (const feed of this.feeds) feed.record(log, atomic);
  }
}

const hubs = new WeakMap<ServerContext, FeedHub>();

/** EXEC's queued commands are about to run: their writes reach the stream as one. */
export function transactionStarting(ctx: ServerContext): void {
  hubs.get(ctx)?.beginTransaction();
}

/** EXEC's queued commands ran. */
export function transactionDone(ctx: ServerContext): void {
  hubs.get(ctx)?.endTransaction();
}

/** One connection's stream. */
export class ReplicationFeed {
  /** The database of the last SELECT sent; -1 before the first. */
  #sentDb = -1;
  /** Records logged before the RDB file was out; null once streaming. */
  #waiting: { log: Log; atomic: boolean }[] | null = [];
  /** The arguments' bytes in #waiting, held to the same limit as unsent output. */
  #waitingBytes = 0;
  readonly #hub: FeedHub;
  #stopped = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly client: Client,
    subscribe: Subscribe,
  ) {
    let hub = hubs.get(ctx);
    if (hub === undefined) hubs.set(ctx, hub = new FeedHub(subscribe));
    this.#hub = hub;
    hub.add(this);
    client.replicationFeed = this; // the server's disconnect stops it
  }

  /** The RDB file is out: what waited goes now, and each record from now on as it is logged. */
  start(): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    this.#waitingBytes = 0;
    if (waiting === null || this.#stopped) return;
    for (const { log, atomic } of waiting) this.#send(log, atomic);
    this.#flush();
  }

  /** No more records (the connection closed, or the transfer failed). */
  stop(): void {
    this.#stopped = true;
    this.#waiting = null;
    this.#hub.remove(this);
  }

  /** One record (FeedHub's). */
  record(log: Log, atomic: boolean): void {
    if (this.#stopped) return;
    if (this.#waiting !== null) {
      this.#waiting.push({ log, atomic });
      for (const form of log) for (const arg of form) this.#waitingBytes += arg.length + 16;
      const limits = this.ctx.settings.outputLimits.replica;
      if (outputOverflows(limits, this.client, this.#waitingBytes)) {
        this.#overflow(this.#waitingBytes);
      }
      return;
    }
    this.#send(log, atomic);
    this.#flush();
  }

  /** Encodes one record's forms: SELECTs where the database changes, MULTI/EXEC around several. */
  #send(log: Log, atomic: boolean): void {
    let commands = 0;
    for (const form of log) if (form[0] !== "SELECT") commands++;
    if (commands === 0) return;
    const wrap = atomic && commands > 1;
    const writer = this.client.output.writer;
    let db = 0; // every record starts at database 0 (Store.execute)
    let opened = false;
    for (const form of log) {
      if (form[0] === "SELECT") {
        db = Number(form[1]);
        continue;
      }
      if (db !== this.#sentDb) {
        writer.reply(formReply(["SELECT", String(db)]), 2);
        this.#sentDb = db;
      }
      if (wrap && !opened) {
        writer.reply(MULTI, 2);
        opened = true;
      }
      writer.reply(formReply(form), 2);
    }
    if (opened) writer.reply(EXEC, 2);
  }

  #flush(): void {
    const output = this.client.output;
    const limits = this.ctx.settings.outputLimits.replica;
    if (outputOverflows(limits, this.client, output.unsentBytes)) {
      this.#overflow(output.unsentBytes);
    } else void output.flush();
  }

  #overflow(pendingBytes: number): void {
    this.ctx.logger.warn("Closing a replication stream that cannot keep up", {
      addr: this.client.addr,
      pendingBytes,
    });
    this.stop();
    this.ctx.disconnect(this.client);
  }
}
