/**
 * Redis's client-output-buffer-limit: for each class of client (normal, replica, pubsub) a hard
 * limit of unsent output past which the client is closed at once, and a soft limit it may stay
 * over for soft-seconds only. Checked when output is added to a client, as Redis checks it (a
 * client whose output stops growing is not closed by the clock alone).
 *
 * A normal client's replies are sent after each read batch before its next read, so its output
 * grows past one batch's replies only through pushes (tracking invalidations); its limits matter
 * for a batch of large replies. Subscribers (any subscription, RESP2 or RESP3) are the pubsub
 * class, a plain SYNC's replication stream the replica class; MONITOR clients are normal clients,
 * as in Redis.
 */
import type { Client } from "./client.ts";
import { parseMemory } from "./config_params.ts";
import type { ServerContext } from "./context.ts";

export type OutputClass = "normal" | "replica" | "pubsub";

export interface OutputLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

/** A client's side of the soft limit: since when (unix seconds) it has been over it, or 0. */
export interface SoftLimitState {
  outputSoftSinceS: number;
}

/** The three classes' limits, Redis's defaults first; CONFIG SET replaces the classes it names. */
export class OutputLimits {
  normal: OutputLimit = { hardBytes: 0, softBytes: 0, softSeconds: 0 };
  replica: OutputLimit = { hardBytes: 256 << 20, softBytes: 64 << 20, softSeconds: 60 };
  pubsub: OutputLimit = { hardBytes: 32 << 20, softBytes: 8 << 20, softSeconds: 60 };

  /** CONFIG GET's form (Redis still spells the replica class `slave` there). */
  format(): string {
    const one = (name: string, l: OutputLimit) =>
      `${name} ${l.hardBytes} ${l.softBytes} ${l.softSeconds}`;
    return [one("normal", this.normal), one("slave", this.replica), one("pubsub", this.pubsub)]
      .join(" ");
  }

  /** Checks a CONFIG SET value: Redis's error text, or null. */
  check(value: string): string | null {
    const parsed = parseLimits(value);
    return typeof parsed === "string" ? parsed : null;
  }

  /** Applies a value: the classes it names change, the others stay. Returns an error text. */
  set(value: string): string | null {
    const parsed = parseLimits(value);
    if (typeof parsed === "string") return parsed;
    for (const [name, limit] of parsed) this[name] = limit;
    return null;
  }
}

/**
 * Whether a client of `limit`'s class holding `unsentBytes` must be closed now (Redis's
 * checkClientOutputBufferLimits): at or over the hard limit, or over the soft limit since more
 * than soft-seconds. Over the soft limit for the first time starts its clock; under it resets.
 */
export function overOutputLimit(
  limit: OutputLimit,
  state: SoftLimitState,
  unsentBytes: number,
  nowMs: number,
): boolean {
  if (limit.hardBytes > 0 && unsentBytes >= limit.hardBytes) return true;
  if (limit.softBytes === 0 || unsentBytes < limit.softBytes) {
    state.outputSoftSinceS = 0;
    return false;
  }
  const nowS = Math.floor(nowMs / 1000);
  if (state.outputSoftSinceS === 0) {
    state.outputSoftSinceS = nowS;
    return false;
  }
  return nowS - state.outputSoftSinceS > limit.softSeconds;
}

const CLASSES: Record<string, OutputClass> = {
  normal: "normal",
  replica: "replica",
  slave: "replica",
  pubsub: "pubsub",
};

/** `<class> <hard> <soft> <soft-seconds>` groups, sizes as Redis's memtoull reads them. */
function parseLimits(value: string): [OutputClass, OutputLimit][] | string {
  const words = value.split(/\s+/).filter((word) => word !== "");
  if (words.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const out: [OutputClass, OutputLimit][] = [];
  for (let i = 0; i < words.length; i += 4) {
    const name = CLASSES[words[i].toLowerCase()];
    if (name === undefined) return "Invalid client class specified in buffer limit configuration.";
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const seconds = /^-?\d+$/.test(words[i + 3]) ? Number(words[i + 3]) : -1;
    if (hard === null || soft === null || seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    out.push([name, { hardBytes: safe(hard), softBytes: safe(soft), softSeconds: seconds }]);
  }
  return out;
}

/** Past 2^53 bytes is as good as no limit reached. */
const safe = (n: bigint) =>
  Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : n);

/** overOutputLimit without a clock read in the common case: under both limits, no soft clock. */
export function outputOverflows(
  limit: OutputLimit,
  state: SoftLimitState,
  unsentBytes: number,
): boolean {
  if (
    state.outputSoftSinceS === 0 &&
    (limit.softBytes === 0 || unsentBytes < limit.softBytes) &&
    (limit.hardBytes === 0 || unsentBytes < limit.hardBytes)
  ) {
    return false;
  }
  return overOutputLimit(limit, state, unsentBytes, Date.now());
}

/** The client's class: a plain SYNC's stream, a subscriber, or anything else. */
export function outputClassOf(client: Client): OutputClass {
  if (client.replicationFeed !== null) return "replica";
  return client.subscriptionCount > 0 ? "pubsub" : "normal";
}

/**
 * From the server's cron: a client over its soft limit whose output stopped growing is closed once
 * the soft-seconds pass, as Redis 7's clientsCron checks (the checks above run only when output
 * is added).
 */
export function sweepOutputLimits(ctx: ServerContext, nowMs: number): void {
  const limits = ctx.settings.outputLimits;
  for (const client of ctx.clients.values()) {
    if (client.outputSoftSinceS === 0 || client.closed) continue;
    const cls = outputClassOf(client);
    const unsent = client.output.unsentBytes;
    if (!overOutputLimit(limits[cls], client, unsent, nowMs)) continue;
    ctx.logger.warn("Closing client over the output buffer limit", {
      addr: client.addr,
      class: cls,
      unsentBytes: unsent,
    });
    client.replicationFeed?.stop();
    ctx.disconnect(client);
  }
}
