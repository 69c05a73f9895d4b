/**
 * Server-assisted client-side caching (CLIENT TRACKING), as in Redis 6/7.
 *
 * Default mode: the keys a tracking client reads (read-only commands, by their key positions)
 * are remembered, key -> client ids; the first change of such a key sends one invalidation to
 * each of them and forgets the key. BCAST mode remembers nothing: every changed key that starts
 * with one of the client's prefixes ("" = all) is collected and sent once the current turn of
 * work is done, one message per prefix (Redis does it before sleeping).
 *
 * Changes are learned from the store's modification listener (the one WATCH uses), which also
 * fires on expiry and eviction; a flush (key null) sends a null invalidation to every tracking
 * client. Nothing runs unless some client tracks: `count` is checked first.
 *
 * Delivery: RESP3 clients get `>2 invalidate [keys]`; with REDIRECT the message goes to the
 * redirect client, as a `>` push in RESP3 or, in RESP2, as a pub/sub message on
 * `__redis__:invalidate` if it is subscribed to anything. Invalidations caused by a tracking
 * client's own command follow that command's reply (unless NOLOOP drops them).
 */
import { array, bulk, error, integer, NIL, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { commandKeys } from "./command_keys.ts";
import type { ServerContext } from "./context.ts";
import { Blocked, type CommandEntry, type HandlerResult, ReplyList } from "./types.ts";

export interface TrackingState {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) / NO (OPTOUT) for the next command (or transaction). */
  caching: boolean;
  /** The client that receives the invalidations; 0 = this one. */
  redirect: number;
  brokenRedirect: boolean;
  /** BCAST prefixes, "" meaning every key. */
  readonly prefixes: Set<string>;
}

const TRACKING_CHANNEL = "__redis__:invalidate";

/** Read-only script commands: their scripts' reads count, not the command (Redis's call()). */
const SCRIPT_READS: ReadonlySet<string> = new Set(["eval_ro", "evalsha_ro", "fcall_ro"]);

export class Tracking {
  /** Tracking clients; 0 keeps every hook a single comparison. */
  count = 0;
  /** The client whose command is running (set by dispatch only while someone tracks). */
  current: Client | null = null;
  readonly #clients: Map<number, Client>;
  readonly #trackers = new Set<Client>();
  /** Default mode: key -> ids of the clients that read it. */
  readonly #keys = new Map<string, Set<number>>();
  /** BCAST: prefix -> its clients. */
  readonly #prefixes = new Map<string, Set<Client>>();
  /** BCAST keys changed this turn: prefix -> key -> the client that changed it (NOLOOP). */
  readonly #bcastPending = new Map<string, Map<string, Client | null>>();
  #bcastScheduled = false;
  /** Invalidations for `current` itself, sent after its reply (null: a flush). */
  #selfPending: (string | null)[] = [];
  /**
   * Blocked clients being served on another client's turn (hold / release): their invalidations
   * wait for their reply, as `current`'s do.
   */
  readonly #held = new Map<Client, (string | null)[]>();
  /**
   * tracking-table-max-keys (0: no limit): past it the keys read longest ago are dropped from the
   * table, each invalidated for its readers as if it changed (Redis evicts random ones).
   */
  maxKeys = 1_000_000;

  constructor(clients: Map<number, Client>) {
    this.#clients = clients;
  }

  /**
   * INFO tracking_total_keys / _items / _prefixes: keys in the invalidation table, the
   * (key, client) pairs in it, BCAST prefixes.
   */
  totals(): { keys: number; items: number; prefixes: number } {
    let items = 0;
    for (const ids of this.#keys.values()) items += ids.size;
    return { keys: this.#keys.size, items, prefixes: this.#prefixes.size };
  }

  enable(client: Client, state: TrackingState): void {
    if (client.tracking === null) {
      this.#trackers.add(client);
      this.count++;
    }
    client.tracking = state;
    for (const prefix of state.prefixes) {
      let set = this.#prefixes.get(prefix);
      if (set === undefined) this.#prefixes.set(prefix, set = new Set());
      set.add(client);
    }
  }

  /** TRACKING OFF or a disconnect. Its remembered keys are dropped lazily, as in Redis. */
  disable(client: Client): void {
    const state = client.tracking;
    if (state === null) return;
    for (const prefix of state.prefixes) {
      const set = this.#prefixes.get(prefix);
      set?.delete(client);
      if (set?.size === 0) this.#prefixes.delete(prefix);
    }
    client.tracking = null;
    this.#trackers.delete(client);
    this.count--;
  }

  /**
   * After a command of a tracking client (EXEC's queued ones too): remember what it read. A
   * read-only script command (EVAL_RO, EVALSHA_RO, FCALL_RO) is not itself a read: its script's
   * read commands are (rememberScriptKeys).
   */
  remember(client: Client, entry: CommandEntry, argv: string[]): void {
    if (!entry.flags.includes("readonly") || SCRIPT_READS.has(entry.name)) return;
    this.#rememberKeys(client, entry, argv);
  }

  /**
   * A script that `current` runs called a read-only command: as Redis 7.0 does, every key the
   * script command declares (EVAL's KEYS...) is remembered for it, not the keys of that call.
   */
  rememberScriptKeys(): void {
    const client = this.current;
    if (client?.tracking && client.lastEntry !== null) {
      this.#rememberKeys(client, client.lastEntry, client.lastArgv);
    }
  }

  #rememberKeys(client: Client, entry: CommandEntry, argv: readonly string[]): void {
    const t = client.tracking!;
    if (t.bcast || (t.optin && !t.caching) || (t.optout && t.caching)) return;
    const found = commandKeys(entry, argv);
    if ("error" in found) return;
    for (const key of found.keys) {
      let ids = this.#keys.get(key);
      if (ids === undefined) this.#keys.set(key, ids = new Set());
      ids.add(client.id);
    }
    if (this.maxKeys !== 0 && this.#keys.size > this.maxKeys) this.limitKeys();
  }

  /** Drops keys past tracking-table-max-keys, oldest first, invalidating each for its readers. */
  limitKeys(): void {
    while (this.maxKeys !== 0 && this.#keys.size > this.maxKeys) {
      const [key, ids] = this.#keys.entries().next().value!;
      this.#keys.delete(key);
      for (const id of ids) {
        const client = this.#clients.get(id);
        if (client?.tracking && !client.tracking.bcast) this.#invalidate(client, key);
      }
    }
  }

  /**
   * After a top-level command (dispatch set `current`): CLIENT CACHING lasts one command or one
   * transaction; invalidations of the client's own changes follow its reply.
   */
  endCommand(client: Client, entry: CommandEntry, result: HandlerResult): HandlerResult {
    this.current = null;
    const t = client.tracking;
    if (t !== null && client.multi === null && entry.name !== "client") t.caching = false;
    if (this.#selfPending.length === 0) return result;
    const pending = this.#selfPending;
    this.#selfPending = [];
    const sync = !(result instanceof Promise || result instanceof Blocked);
    if (sync && t !== null && t.redirect === 0 && client.proto === 3) {
      const replies = result instanceof ReplyList ? [...result.replies] : [result as Reply];
      for (const key of pending) {
        replies.push(invalidation(key === null ? NIL : array([bulk(key)])));
      }
      return new ReplyList(replies);
    }
    for (const key of pending) this.#send(client, key === null ? null : [key]);
    return result;
  }

  /**
   * The store's modification listener: `key` changed (null: every key, a flush). `expired`:
   * expiry deleted it, a change no client made (NOLOOP filters nothing then, as in Redis).
   */
  touched(key: string | null, expired = false): void {
    if (key === null) {
      // A flush empties the table even when nobody tracks now: keys read by a client whose
      // tracking is off (dropped lazily) must not fire once it is on again (Redis 7.0).
      this.#keys.clear();
      for (const client of this.#trackers) this.#invalidate(client, null);
      return;
    }
    if (this.count === 0) return;
    const by = expired ? null : this.current;
    const ids = this.#keys.get(key);
    if (ids !== undefined) {
      this.#keys.delete(key);
      for (const id of ids) {
        const client = this.#clients.get(id);
        const t = client?.tracking;
        if (t === null || t === undefined || t.bcast) continue; // off since it read the key
        if (t.noloop && (client === by || (!expired && this.#held.has(client!)))) continue;
        this.#invalidate(client!, key);
      }
    }
    if (this.#prefixes.size !== 0) this.#collect(key, by);
  }

  #invalidate(client: Client, key: string | null): void {
    const held = this.#held.get(client);
    if (held !== undefined) held.push(key);
    else if (client === this.current) this.#selfPending.push(key);
    else this.#send(client, key === null ? null : [key]);
  }

  /**
   * A blocked client's command is about to run on another client's turn (a write woke it): its
   * invalidations wait for its reply, as Redis serves it as the current client. End with release.
   */
  hold(client: Client): void {
    if (client.tracking !== null) this.#held.set(client, []);
  }

  /**
   * Ends hold: `reply` with the held invalidations after it — in the same answer for a RESP3
   * client without a redirect (a ReplyList, as endCommand does), else sent now — or, with no
   * reply (the client stays blocked), just sends them.
   */
  release(client: Client, reply: Reply | null): Reply | null {
    const keys = this.#held.get(client);
    if (keys === undefined) return reply;
    this.#held.delete(client);
    if (keys.length === 0) return reply;
    const t = client.tracking;
    if (reply !== null && t !== null && t.redirect === 0 && client.proto === 3) {
      const pushes = keys.map((key) => invalidation(key === null ? NIL : array([bulk(key)])));
      // The connection encodes a ReplyList a blocked command answers item by item (Blocked).
      return new ReplyList([reply, ...pushes]) as unknown as Reply;
    }
    for (const key of keys) this.#send(client, key === null ? null : [key]);
    return reply;
  }

  #collect(key: string, by: Client | null): void {
    for (const prefix of this.#prefixes.keys()) {
      if (!key.startsWith(prefix)) continue;
      let keys = this.#bcastPending.get(prefix);
      if (keys === undefined) this.#bcastPending.set(prefix, keys = new Map());
      keys.set(key, by);
    }
    if (!this.#bcastScheduled) {
      // Once the running batch is done, like Redis's broadcast before it sleeps.
      this.#bcastScheduled = true;
      queueMicrotask(() => this.#broadcast());
    }
  }

  #broadcast(): void {
    this.#bcastScheduled = false;
    const prefixes = [...this.#bcastPending.keys()].sort();
    for (const prefix of prefixes) {
      const changed = this.#bcastPending.get(prefix)!;
      for (const client of this.#prefixes.get(prefix) ?? []) {
        const keys: string[] = [];
        for (const [key, by] of changed) {
          if (!(client.tracking!.noloop && by === client)) keys.push(key);
        }
        if (keys.length > 0) this.#send(client, keys);
      }
    }
    this.#bcastPending.clear();
  }

  /** Writes one invalidation for `tracker` where it must go; keys null = everything. */
  #send(tracker: Client, keys: string[] | null): void {
    const t = tracker.tracking;
    if (t === null) return;
    let target = tracker;
    if (t.redirect !== 0) {
      const to = this.#clients.get(t.redirect);
      if (to === undefined) {
        t.brokenRedirect = true;
        if (tracker.proto === 3) {
          const w = tracker.output.writer;
          w.reply({ kind: "push", value: [bulk("tracking-redir-broken"), integer(t.redirect)] }, 3);
          void tracker.output.flush();
        }
        return;
      }
      target = to;
    }
    const w = target.output.writer;
    if (target.proto === 3) {
      w.arrayHeader(2, ">");
      w.bulk("invalidate");
    } else if (t.redirect !== 0 && target.subscriptionCount > 0) {
      w.arrayHeader(3);
      w.bulk("message");
      w.bulk(TRACKING_CHANNEL);
    } else return; // RESP2 without a subscribed redirect: nowhere to send it
    // Redis renders the flush's null in the tracking client's protocol.
    w.reply(
      keys === null ? NIL : array(keys.map(bulk)),
      keys === null ? tracker.proto : target.proto,
    );
    void target.output.flush();
  }

  /** Server shutdown. */
  close(): void {
    for (const client of [...this.#trackers]) this.disable(client);
    this.#keys.clear();
    this.#bcastPending.clear();
  }
}

function invalidation(keys: Reply): Reply {
  return { kind: "push", value: [bulk("invalidate"), keys] };
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]. */
export function clientTracking(ctx: ServerContext, client: Client, argv: string[]): Reply {
  let redirect = 0;
  let bcast = false, optin = false, optout = false, noloop = false;
  const prefixes: string[] = [];
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    const more = i + 1 < argv.length;
    if (opt === "redirect" && more) {
      i++;
      if (redirect !== 0) return error("ERR A client can only redirect to a single other client");
      if (!/^-?\d{1,19}$/.test(argv[i])) {
        return error("ERR value is not an integer or out of range");
      }
      redirect = Number(argv[i]);
      if (!ctx.clients.has(redirect)) {
        return error("ERR The client ID you want redirect to does not exist");
      }
    } else if (opt === "bcast") bcast = true;
    else if (opt === "optin") optin = true;
    else if (opt === "optout") optout = true;
    else if (opt === "noloop") noloop = true;
    else if (opt === "prefix" && more) prefixes.push(argv[++i]);
    else return error("ERR syntax error");
  }
  const onOff = argv[2].toLowerCase();
  if (onOff === "off") {
    ctx.tracking.disable(client);
    return simple("OK");
  }
  if (onOff !== "on") return error("ERR syntax error");
  const old = client.tracking;
  if (!bcast && prefixes.length > 0) {
    return error("ERR PREFIX option requires BCAST mode to be enabled");
  }
  if (old !== null && old.bcast !== bcast) {
    return error(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (bcast && (optin || optout)) {
    return error("ERR OPTIN and OPTOUT are not compatible with BCAST");
  }
  if (optin && optout) return error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if (old !== null && ((optin && old.optout) || (optout && old.optin))) {
    return error(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (bcast) {
    const overlap = prefixOverlap(old?.prefixes ?? new Set(), prefixes);
    if (overlap !== null) return error(overlap);
  }
  // Re-enabling keeps the BCAST prefixes and replaces every other option, as Redis does.
  const all = new Set(old?.prefixes);
  if (bcast && prefixes.length === 0 && all.size === 0) all.add("");
  for (const p of prefixes) all.add(p);
  if (old !== null) ctx.tracking.disable(client);
  ctx.tracking.enable(client, {
    bcast,
    optin,
    optout,
    noloop,
    caching: false,
    redirect,
    brokenRedirect: false,
    prefixes: all,
  });
  return simple("OK");
}

/** One prefix may not start another, in the list given or against the client's own. */
function prefixOverlap(existing: ReadonlySet<string>, given: string[]): string | null {
  const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < given.length; i++) {
    for (const p of existing) {
      if (overlaps(p, given[i])) {
        return `ERR Prefix '${
          given[i]
        }' overlaps with an existing prefix '${p}'. Prefixes for a single client must not overlap.`;
      }
    }
    for (let j = i + 1; j < given.length; j++) {
      if (overlaps(given[i], given[j])) {
        return `ERR Prefix '${given[i]}' overlaps with another provided prefix '${
          given[j]
        }'. Prefixes for a single client must not overlap.`;
      }
    }
  }
  return null;
}

/** CLIENT CACHING YES|NO: only in OPTIN (YES) or OPTOUT (NO) mode. */
export function clientCaching(client: Client, arg: string): Reply {
  const t = client.tracking;
  if (t === null) {
    return error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    );
  }
  const opt = arg.toLowerCase();
  if (opt === "yes") {
    if (!t.optin) {
      return error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (opt === "no") {
    if (!t.optout) {
      return error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else return error("ERR syntax error");
  t.caching = true;
  return simple("OK");
}

/** CLIENT GETREDIR: -1 when not tracking, 0 without a redirect. */
export function clientGetredir(client: Client): Reply {
  return integer(client.tracking === null ? -1 : client.tracking.redirect);
}

/** CLIENT TRACKINGINFO: flags, redirect, prefixes (sorted, as Redis's radix tree lists them). */
export function clientTrackinginfo(client: Client): Reply {
  const t = client.tracking;
  const flags: string[] = [];
  if (t === null) flags.push("off");
  else {
    flags.push("on");
    if (t.bcast) flags.push("bcast");
    if (t.optin) flags.push("optin", ...(t.caching ? ["caching-yes"] : []));
    if (t.optout) flags.push("optout", ...(t.caching ? ["caching-no"] : []));
    if (t.noloop) flags.push("noloop");
    if (t.brokenRedirect) flags.push("broken_redirect");
  }
  const prefixes = t === null ? [] : [...t.prefixes].sort();
  return {
    kind: "map",
    value: [
      [bulk("flags"), { kind: "set", value: flags.map(bulk) }],
      [bulk("redirect"), integer(t === null ? -1 : t.redirect)],
      [bulk("prefixes"), array(prefixes.map(bulk))],
    ],
  };
}
