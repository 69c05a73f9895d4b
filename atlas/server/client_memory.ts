/**
 * What clients hold in memory, as Redis counts it for each client (getClientMemoryUsage): the
 * read buffer, the arguments of a request still arriving or about to run, output the socket has
 * not taken, a MULTI's queue, and a small overhead per watched key, subscription and tracking
 * prefix.
 *
 * The sum over all clients is kept as they change (`ClientsMemory.bytes`: each client's figure
 * is re-read after each read, before each command while a limit is set, and whenever its output
 * grows or drains), because two things read it at every command: maxmemory, which counts
 * clients' memory with the data as Redis's used_memory does (so output piling up for clients
 * that do not read evicts keys, or refuses writes under noeviction), and maxmemory-clients, Redis
 * 7's client eviction: once the clients together hold that much, the largest ones are closed
 * until they hold less. A client with CLIENT NO-EVICT on is never closed for it (its memory
 * still counts); a replica's stream (SYNC) neither counts nor is closed for it. The server's
 * 100 ms cron recounts every client, and evicts if a limit was lowered meanwhile.
 */
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";

/** Redis's per-item overheads (64-bit): a list node and watchedKey per WATCH, ... */
const WATCHED_KEY_BYTES = 56;
/** ... a dict entry and bucket per channel or pattern, ... */
const SUBSCRIPTION_BYTES = 32;
/** ... a radix-tree node per BCAST prefix, ... */
const TRACKING_PREFIX_BYTES = 32;
/** ... and a pointer per argument of a command queued in MULTI. */
const ARG_POINTER_BYTES = 8;

/** The bytes of a command's arguments. */
export function argvBytes(argv: readonly string[]): number {
  let n = 0;
  for (const arg of argv) n += arg.length;
  return n;
}

/** What a command queued in MULTI adds to the queue (Redis's mstate.argv_len_sums, pointers). */
export function queuedCommandBytes(argv: readonly string[]): number {
  return argvBytes(argv) + ARG_POINTER_BYTES * argv.length;
}

/** One client's figure: CLIENT LIST's tot-mem, and its share of ClientsMemory.bytes. */
export function clientMemoryBytes(client: Client): number {
  const parser = client.parser;
  let n = parser.capacityBytes + parser.partialArgBytes + client.argvBytes;
  // Output that will never be sent (closed for its output limit, peer gone) is as good as freed:
  // it must not get another client evicted meanwhile.
  if (!client.output.failed) n += client.output.unsentBytes;
  if (client.multi !== null) n += client.multiBytes;
  if (client.watched !== null) n += client.watched.size * WATCHED_KEY_BYTES;
  const subscriptions = client.channels.size + client.patterns.size + client.shardChannels.size;
  n += subscriptions * SUBSCRIPTION_BYTES;
  if (client.tracking !== null) n += client.tracking.prefixes.size * TRACKING_PREFIX_BYTES;
  return n;
}

/**
 * A client's share of the sum: none for a replica's stream (SYNC), whose buffer Redis leaves out
 * of maxmemory and of client eviction alike.
 */
function countedBytes(client: Client): number {
  return client.replicationFeed === null ? clientMemoryBytes(client) : 0;
}

/** maxmemory-clients: off (0), a size in bytes, or a percentage of maxmemory. */
export type ClientsMemoryLimit = { bytes: number } | { percent: number };

/** The limit in bytes now (0: no client eviction; a percentage of an unset maxmemory is 0). */
export function clientsLimitBytes(ctx: ServerContext): number {
  const limit = ctx.settings.maxmemoryClients;
  if ("bytes" in limit) return limit.bytes;
  return Math.floor((ctx.store?.maxmemoryBytes ?? 0) * limit.percent / 100);
}

export class ClientsMemory {
  /** The sum of every connected client's figure as last read. */
  bytes = 0;
  readonly #clients: ReadonlyMap<number, Client>;
  readonly #limitBytes: () => number;
  readonly #maxmemoryBytes: () => number;
  readonly #evict: () => void;
  #evictionQueued = false;

  /**
   * `limits.clientsBytes`: maxmemory-clients now (0: off); `limits.maxmemoryBytes`: maxmemory now
   * (0: off); `evict`: closes clients until they hold less than maxmemory-clients.
   */
  constructor(
    clients: ReadonlyMap<number, Client>,
    limits: { clientsBytes: () => number; maxmemoryBytes: () => number },
    evict: () => void,
  ) {
    this.#clients = clients;
    this.#limitBytes = limits.clientsBytes;
    this.#maxmemoryBytes = limits.maxmemoryBytes;
    this.#evict = evict;
  }

  /** Whether anything reads the sum: maxmemory or maxmemory-clients is set. */
  limited(): boolean {
    return this.#limitBytes() > 0 || this.#maxmemoryBytes() > 0;
  }

  /** Whether the clients hold maxmemory-clients or more. */
  overLimit(): boolean {
    const limit = this.#limitBytes();
    return limit > 0 && this.bytes >= limit;
  }

  /** Starts counting a new client (and re-reading it whenever its output changes). */
  add(client: Client): void {
    client.memoryCounted = true;
    client.output.onResize = () => this.update(client);
    this.update(client);
  }

  /** Re-reads one client's figure; past maxmemory-clients, evicts once the current job is done. */
  update(client: Client): void {
    if (!client.memoryCounted) return;
    const now = countedBytes(client);
    const grew = now > client.memoryBytes;
    this.bytes += now - client.memoryBytes;
    client.memoryBytes = now;
    if (grew && !this.#evictionQueued) {
      if (this.overLimit()) {
        // Not from here: this may run in the middle of a command delivering to many clients
        // (PUBLISH), whose loop must not see them go.
        this.#evictionQueued = true;
        queueMicrotask(() => {
          this.#evictionQueued = false;
          this.#evict();
        });
      }
    }
  }

  /** Stops counting a client that is gone. */
  remove(client: Client): void {
    if (!client.memoryCounted) return;
    client.memoryCounted = false;
    client.output.onResize = null;
    this.bytes -= client.memoryBytes;
    client.memoryBytes = 0;
  }

  /** Re-reads every client (the cron: whatever changed without a call to update is caught). */
  recount(): void {
    let total = 0;
    for (const client of this.#clients.values()) {
      if (!client.memoryCounted) continue;
      client.memoryBytes = countedBytes(client);
      total += client.memoryBytes;
    }
    this.bytes = total;
  }
}

/**
 * Redis's evictClients: while the clients together hold maxmemory-clients or more, closes the
 * largest one that may be evicted (not NO-EVICT, not a replica's stream). Returns how many were
 * closed.
 */
export function evictClients(ctx: ServerContext): number {
  const limit = clientsLimitBytes(ctx);
  const memory = ctx.clientsMemory;
  if (limit === 0 || memory.bytes < limit) return 0;
  const candidates: Client[] = [];
  for (const client of ctx.clients.values()) {
    if (client.closed || client.noEvict || client.replicationFeed !== null) continue;
    if (client.output.failed) continue; // closing already
    candidates.push(client);
  }
  candidates.sort((a, b) => b.memoryBytes - a.memoryBytes);
  let evicted = 0;
  for (const client of candidates) {
    if (memory.bytes < limit) break;
    ctx.logger.warn("Evicting client over maxmemory-clients", {
      addr: client.addr,
      name: client.name,
      memoryBytes: client.memoryBytes,
      clientsMemoryBytes: memory.bytes,
      limitBytes: limit,
    });
    ctx.stats.evictedClients++;
    evicted++;
    // Its replies not yet taken are dropped with it, as Redis frees the client.
    client.output.failed = true;
    ctx.disconnect(client);
  }
  if (evicted > 0 && memory.bytes >= limit) {
    ctx.logger.warn("Over maxmemory-clients after evicting every client that may be evicted", {
      clientsMemoryBytes: memory.bytes,
      limitBytes: limit,
    });
  }
  return evicted;
}
