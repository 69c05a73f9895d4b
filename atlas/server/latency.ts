/**
 * The latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP).
 *
 * As in Redis, an event keeps at most one sample per second (the worst of that second) in a ring
 * of the last 160, plus its all-time maximum; nothing is recorded while
 * latency-monitor-threshold is 0. The only events atlasd produces are "command" and
 * "fast-command" (a command flagged fast), fed by command_timing.ts.
 */
import { array, bulk, error, integer, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { histogramReply } from "./latency_histogram.ts";
import { checkSubcommand, helpReply } from "./subcommands.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import type { CommandEntry } from "./types.ts";

const SAMPLES_MAX = 160;

interface Sample {
  readonly timeS: number;
  latencyMs: number;
}

class EventSeries {
  /** Oldest first; a ring once full (`next` is the oldest then). */
  readonly samples: Sample[] = [];
  next = 0;
  maxMs = 0;

  get latest(): Sample {
    return this.samples[(this.next + this.samples.length - 1) % this.samples.length];
  }

  add(timeS: number, latencyMs: number): void {
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
    if (this.samples.length > 0) {
      const last = this.latest;
      if (last.timeS === timeS) {
        if (latencyMs > last.latencyMs) last.latencyMs = latencyMs;
        return;
      }
    }
    const sample = { timeS, latencyMs };
    if (this.samples.length < SAMPLES_MAX) this.samples.push(sample);
    else {
      this.samples[this.next] = sample;
      this.next = (this.next + 1) % SAMPLES_MAX;
    }
  }

  /** Oldest first. */
  history(): Sample[] {
    return [...this.samples.slice(this.next), ...this.samples.slice(0, this.next)];
  }
}

export class LatencyMonitor {
  /** latency-monitor-threshold, ms: 0 records nothing. */
  thresholdMs = 0;
  readonly #events = new Map<string, EventSeries>();

  add(event: string, latencyMs: number, nowMs = Date.now()): void {
    let series = this.#events.get(event);
    if (series === undefined) this.#events.set(event, series = new EventSeries());
    series.add(Math.floor(nowMs / 1000), latencyMs);
  }

  get(event: string): EventSeries | undefined {
    return this.#events.get(event);
  }

  events(): IterableIterator<[string, EventSeries]> {
    return this.#events.entries();
  }

  /** Forgets the named events (all when none is named); returns how many existed. */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.#events.size;
      this.#events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.#events.delete(name)) n++;
    return n;
  }
}

function latest(monitor: LatencyMonitor): Reply {
  const rows: Reply[] = [];
  for (const [name, series] of monitor.events()) {
    const last = series.latest;
    rows.push(array([
      bulk(name),
      integer(last.timeS),
      integer(last.latencyMs),
      integer(series.maxMs),
    ]));
  }
  return array(rows);
}

function history(monitor: LatencyMonitor, event: string): Reply {
  const samples = monitor.get(event)?.history() ?? [];
  return array(samples.map((s) => array([integer(s.timeS), integer(s.latencyMs)])));
}

/** A plain text chart, one line per sample (not Redis's ASCII art). */
function graph(monitor: LatencyMonitor, event: string): Reply {
  const series = monitor.get(event);
  if (series === undefined) return error(`ERR No samples available for event '${event}'`);
  const samples = series.history();
  const high = Math.max(...samples.map((s) => s.latencyMs));
  const low = Math.min(...samples.map((s) => s.latencyMs));
  const nowS = Math.floor(Date.now() / 1000);
  let text = `${event} - high ${high} ms, low ${low} ms (all time high ${series.maxMs} ms)\n`;
  text += `${"-".repeat(80)}\n`;
  for (const s of samples) {
    const bar = "#".repeat(Math.max(1, Math.round((s.latencyMs / Math.max(1, high)) * 60)));
    text += `${String(nowS - s.timeS).padStart(6)}s ago ${bar} ${s.latencyMs} ms\n`;
  }
  return bulk(text);
}

/** A short report in the spirit of Redis's (its wording is not reproduced). */
function doctor(ctx: ServerContext): Reply {
  const monitor = ctx.timing.latency;
  if (monitor.thresholdMs === 0) {
    return bulk(
      "Latency monitoring is disabled on this server. Enable it with " +
        "'CONFIG SET latency-monitor-threshold <milliseconds>' to record the commands that " +
        "take longer than that.\n",
    );
  }
  const events = [...monitor.events()];
  if (events.length === 0) {
    return bulk(
      `No latency spike over ${monitor.thresholdMs} ms was observed since the monitor was ` +
        "enabled or last reset.\n",
    );
  }
  let text = "Latency spikes were observed on this server.\n\n";
  events.forEach(([name, series], i) => {
    const samples = series.history();
    const average = samples.reduce((n, s) => n + s.latencyMs, 0) / samples.length;
    text += `${i + 1}. ${name}: ${samples.length} latency spike(s) (average ${
      Math.round(average)
    } ms). Worst all time event ${series.maxMs} ms.\n`;
  });
  text += "\nAdvice:\n";
  text += "- SLOWLOG GET lists the commands that ran longest, with their arguments.\n";
  text += "- Commands over large values (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, SORT, DEL of big " +
    "keys) and long Lua scripts hold the server while they run; prefer SCAN-style iteration.\n";
  const slowerThanUs = ctx.timing.slowlog.slowerThanUs;
  if (slowerThanUs < 0 || slowerThanUs > monitor.thresholdMs * 1000) {
    text += `- The slow log does not record everything the monitor sees: consider ` +
      `'CONFIG SET slowlog-log-slower-than ${monitor.thresholdMs * 1000}'.\n`;
  }
  return bulk(text);
}

/** HISTOGRAM [command ...]: every command with calls recorded, or the named ones that have. */
function histogram(ctx: ServerContext, names: readonly string[]): Reply {
  const picked: CommandEntry[] = [];
  if (names.length === 0) {
    for (const e of ctx.table.entries()) if (e.latencyHistogram !== null) picked.push(e);
  } else {
    for (const name of names) {
      const e = ctx.table.get(name);
      if (e !== undefined && e.latencyHistogram !== null) picked.push(e);
    }
  }
  return {
    kind: "map",
    value: picked.map((e) => [bulk(e.name), histogramReply(e.latencyHistogram!)] as const),
  };
}

const LATENCY_ARITY: Readonly<Record<string, number>> = {
  latest: 2,
  history: 3,
  reset: -2,
  graph: 3,
  doctor: 2,
  histogram: -2,
  help: 2,
};

const LATENCY_HELP = [
  "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
  "HELP",
  "    Prints this help.",
];

function latency(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const rejected = checkSubcommand("latency", LATENCY_ARITY, argv);
  if (rejected !== null) return rejected;
  const monitor = ctx.timing.latency;
  switch (argv[1].toLowerCase()) {
    case "latest":
      return latest(monitor);
    case "history":
      return history(monitor, argv[2]);
    case "reset":
      return integer(monitor.reset(argv.slice(2)));
    case "graph":
      return graph(monitor, argv[2]);
    case "doctor":
      return doctor(ctx);
    case "histogram":
      return histogram(ctx, argv.slice(2));
    default:
      return helpReply(LATENCY_HELP);
  }
}

export const LATENCY_COMMANDS: ServerCommand[] = [{
  ...keylessCommands("server")("latency", -2, "admin noscript loading stale", latency),
  summary: "A container for latency diagnostics commands",
  since: "2.8.13",
}];
