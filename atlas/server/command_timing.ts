/**
 * What dispatch does with each command's duration: the slow log, the latency monitor's
 * "command" / "fast-command" events and the per-command histograms of LATENCY HISTOGRAM, plus
 * the CONFIG settings that drive them.
 *
 * Timing a command costs two performance.now() calls (~0.17 µs together): a third of a pipelined
 * GET's CPU. So at Redis's default threshold (slowlog-log-slower-than 10000 µs) the server times
 * each *read batch* instead (processBatch in connection.ts), and a batch faster than the threshold
 * holds no slow command. A slow batch of one command is that command (logged exactly, with its
 * reply encoding, as Redis counts addReply). A slow batch of several (a pipeline), or an EXEC,
 * cannot say which command was slow: that client's commands are then timed one by one for the
 * next EXACT_WINDOW_MS, so a slow command that repeats is logged. Below BATCH_GATE_MIN_US (a
 * threshold for debugging, such as 0) every command is timed, exactly as Redis does. Durations
 * for INFO commandstats and the histograms keep dispatch's sampling either way.
 *
 * Commands run by scripts (redis.call / pcall) are timed one by one by the store's script host
 * while the slow log, the latency monitor or latency tracking is on (scriptCommandHook).
 */
import type { Reply } from "../store/reply.ts";
import type { ScriptCommandHook } from "../store/store.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { countErrorReply } from "./info_stats.ts";
import { LatencyMonitor } from "./latency.ts";
import { recordLatency } from "./latency_histogram.ts";
import { type Caller, SCRIPT_CALLER, SlowLog } from "./slowlog.ts";
import { statsOf } from "./table.ts";
import { Blocked, type CommandEntry, type CommandStats, type HandlerResult } from "./types.ts";

const INT64_MAX = 9223372036854775807n;
/** Thresholds below this time every command; from it on, read batches are timed. */
export const BATCH_GATE_MIN_US = 1000;
/** After a slow batch that cannot name its slow command, that client is timed per command. */
export const EXACT_WINDOW_MS = 10_000;
const NOT_A_REPLY: Reply = Object.freeze({ kind: "simple", value: "" });

export class CommandTiming {
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  /** latency-tracking: feed LATENCY HISTOGRAM (from the timings dispatch takes anyway). */
  tracking = true;
  /** latency-tracking-info-percentiles: the percentiles INFO latencystats prints. */
  percentiles = "50 99 99.9";
  /** Whether dispatch must time every command: a slow log threshold below BATCH_GATE_MIN_US. */
  everyCall = false;
  /** Whether the slow log or the latency monitor is on. */
  watching = true;
  /** Whether processBatch times batches: the smallest threshold is at least BATCH_GATE_MIN_US. */
  batchGated = true;
  /** The smallest threshold on, in µs (Infinity when neither is on). */
  gateUs = 10_000;

  constructor() {
    this.refresh();
  }

  /** Recomputes the modes after a setting changed. */
  refresh(): void {
    const slowUs = this.slowlog.slowerThanUs;
    const latencyUs = this.latency.thresholdMs > 0 ? this.latency.thresholdMs * 1000 : Infinity;
    this.gateUs = Math.min(slowUs >= 0 ? slowUs : Infinity, latencyUs);
    this.watching = this.gateUs < Infinity;
    this.everyCall = this.gateUs < BATCH_GATE_MIN_US;
    this.batchGated = this.watching && !this.everyCall;
  }

  /** Whether dispatch times each of this client's commands (read on the hot path). */
  exactFor(client: Client): boolean {
    return this.everyCall || client.timeEachUntilMs > client.lastInteractionMs;
  }

  /**
   * processBatch ran `commands` commands of `client` in `us` µs without timing them one by one
   * (see the module comment).
   */
  batchDone(client: Client, commands: number, us: number): void {
    if (us < this.gateUs) return;
    const entry = client.lastEntry;
    if (commands === 1 && entry !== null && !entry.flags.includes("skip-slowlog")) {
      // Already timed (and considered) by dispatch when its sampling picked it.
      if (!client.lastTimed) this.consider(client, entry, client.lastArgv, us, client.lastResult);
      return;
    }
    client.timeEachUntilMs = client.lastInteractionMs + EXACT_WINDOW_MS;
  }

  /**
   * A timed command ran for `us` microseconds; `weight` is how many calls that timing stands
   * for (1 while `everyCall`, more when dispatch samples).
   */
  record(
    client: Client,
    entry: CommandEntry,
    stats: CommandStats,
    argv: readonly string[],
    us: number,
    weight: number,
    result: HandlerResult,
  ): void {
    if (this.tracking) recordLatency(stats, us, weight);
    // Read after the command ran: the CONFIG SET that turns the slow log on is logged, as in Redis.
    if (this.watching) this.consider(client, entry, argv, us, result);
  }

  /**
   * What the store tells of each command a script ran. Redis's scripts run theirs through call()
   * as a client's commands run: each counts in INFO commandstats and LATENCY HISTOGRAM, and the
   * latency monitor and the slow log consider it (logged before the EVAL / FCALL that ran it, from
   * the script client "?:0" without a name), and MONITOR shows it after the EVAL / FCALL, from
   * `lua`. Its error counts in INFO errorstats then, like a refused call's (rejected_calls), so the
   * script's reply carrying that error on does not count it again (Reply's `counted`).
   */
  scriptCommandHook(ctx: ServerContext): ScriptCommandHook {
    // deno-lint-ignore no-this-alias
    const timing = this;
    return {
      get timed() {
        return timing.watching || timing.tracking;
      },
      ran(argv, us, reply, db) {
        const entry = ctx.table.lookup(argv[0]);
        if (entry === undefined) return;
        if (ctx.monitors.size > 0) ctx.monitors.feedScript(entry, argv, db);
        // A read of a tracking client's script: the script command's declared keys are tracked.
        if (ctx.tracking.count !== 0 && entry.flags.includes("readonly")) {
          ctx.tracking.rememberScriptKeys();
        }
        const stats = statsOf(entry, argv);
        stats.calls++;
        if (reply.kind === "error") {
          stats.failedCalls++;
          countErrorReply(ctx.stats, reply.value);
        }
        if (us < 0) return;
        stats.durationUs += us;
        if (timing.tracking) recordLatency(stats, us, 1);
        if (timing.watching) timing.consider(SCRIPT_CALLER, entry, argv, us, reply);
      },
      rejected(argv, reply) {
        const entry = ctx.table.lookup(argv[0]);
        if (entry !== undefined) statsOf(entry, argv).rejectedCalls++;
        if (reply.kind === "error") countErrorReply(ctx.stats, reply.value);
      },
    };
  }

  /** One command ran for `us` µs: the slow log and the latency monitor decide. */
  private consider(
    client: Caller,
    entry: CommandEntry,
    argv: readonly string[],
    us: number,
    result: HandlerResult,
  ): void {
    const slowlog = this.slowlog;
    if (slowlog.slowerThanUs >= 0) {
      if ((result as Reply).kind !== undefined) {
        slowlog.consider(client, entry, argv, us, result as Reply);
      } else if (result instanceof Blocked) {
        // Like Redis: a blocked command is logged once served, not when it times out.
        result.promise.then((reply) => {
          if (reply.kind !== "nil" && reply.kind !== "nilArray") {
            slowlog.consider(client, entry, argv, us, reply);
          }
        }, () => {});
      } else slowlog.consider(client, entry, argv, us, NOT_A_REPLY);
    }
    const thresholdMs = this.latency.thresholdMs;
    if (thresholdMs > 0 && us >= thresholdMs * 1000) {
      const event = entry.flags.includes("fast") ? "fast-command" : "command";
      this.latency.add(event, Math.floor(us / 1000));
    }
  }
}

/** A Redis integer setting: a long in [min, INT64_MAX]; an error text or the number. */
function parseLong(text: string, min: number): number | string {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(text) || BigInt(text) > INT64_MAX) {
    return "argument couldn't be parsed into an integer";
  }
  const n = Number(text);
  if (n < min) return `argument must be between ${min} and ${INT64_MAX} inclusive`;
  return n;
}

/** latency-tracking-info-percentiles: space-separated numbers in [0, 100]. */
function parsePercentiles(text: string): string | null {
  for (const word of text.split(" ").filter((w) => w !== "")) {
    const n = Number(word);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(word)) {
      return "Invalid latency-tracking-info-percentiles parameters";
    }
    if (n < 0 || n > 100) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
  }
  return null;
}

/** A Param of config.ts: values are checked (Redis's texts) before any of a CONFIG SET applies. */
type Setting = {
  get(ctx: ServerContext): string;
  check(ctx: ServerContext, value: string): string | null;
  set(ctx: ServerContext, value: string): string | null;
};

const YES_NO = "argument must be 'yes' or 'no'";

/** A numeric setting of `ctx.timing` with Redis's parsing and range errors. */
function longSetting(
  min: number,
  read: (ctx: ServerContext) => number,
  write: (ctx: ServerContext, n: number) => void,
): Setting {
  return {
    get: (ctx) => String(read(ctx)),
    check: (_ctx, value) => {
      const n = parseLong(value, min);
      return typeof n === "string" ? n : null;
    },
    set: (ctx, value) => {
      write(ctx, parseLong(value, min) as number);
      ctx.timing.refresh();
      return null;
    },
  };
}

/** CONFIG GET / SET entries (merged into config.ts's table). */
export const TIMING_SETTINGS: Readonly<Record<string, Setting>> = {
  "slowlog-log-slower-than": longSetting(
    -1,
    (ctx) => ctx.timing.slowlog.slowerThanUs,
    (ctx, n) => ctx.timing.slowlog.slowerThanUs = n,
  ),
  "slowlog-max-len": longSetting(
    0,
    (ctx) => ctx.timing.slowlog.maxLen,
    (ctx, n) => ctx.timing.slowlog.maxLen = n,
  ),
  "latency-monitor-threshold": longSetting(
    0,
    (ctx) => ctx.timing.latency.thresholdMs,
    (ctx, n) => ctx.timing.latency.thresholdMs = n,
  ),
  "latency-tracking": {
    get: (ctx) => (ctx.timing.tracking ? "yes" : "no"),
    check: (_ctx, value) => ["yes", "no"].includes(value.toLowerCase()) ? null : YES_NO,
    set: (ctx, value) => {
      ctx.timing.tracking = value.toLowerCase() === "yes";
      ctx.timing.refresh();
      return null;
    },
  },
  "latency-tracking-info-percentiles": {
    get: (ctx) => ctx.timing.percentiles,
    check: (_ctx, value) => parsePercentiles(value),
    set: (ctx, value) => {
      const words = value.split(" ").filter((w) => w !== "");
      ctx.timing.percentiles = words.map((w) => String(Number(w))).join(" ");
      return null;
    },
  },
};
