/**
 * The latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP).
 *
 * As in Redis, an event keeps at most one sample per second (the worst of that second) in a ring
 * of the last 160, plus its all-time maximum; nothing is recorded while
 * latency-monitor-threshold is 0. The only events atlasd produces are "command" and
 * "fast-command" (a command flagged fast), fed by command_timing.ts.
 */
import { array, bulk, error, integer, type Reply, verbatimText } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { histogramReply } from "./latency_histogram.ts";
import { checkSubcommand, helpReply } from "./subcommands.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import type { CommandStats } from "./types.ts";

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
  return verbatimText(text);
}

/**
 * ATLAS's own report: whether the monitor is on, what each event recorded, and what to look at
 * next (the slow log threshold is suggested when the slow log misses what the monitor sees).
 */
function doctor(ctx: ServerContext): Reply {
  const monitor = ctx.timing.latency;
  if (monitor.thresholdMs === 0) {
    return verbatimText(
      "The latency monitor is off (latency-monitor-threshold is 0), so there is nothing to " +
        "report. To turn it on, run 'CONFIG SET latency-monitor-threshold <milliseconds>': " +
        "every command that takes at least that long is then recorded.\n",
    );
  }
  const events = [...monitor.events()];
  if (events.length === 0) {
    return verbatimText(
      `Nothing to report: no command took ${monitor.thresholdMs} ms or more since the monitor ` +
        "was turned on or last reset.\n",
    );
  }
  let text = `Commands taking ${monitor.thresholdMs} ms or more were recorded ` +
    "(a sample per second: the highest of that second):\n\n";
  events.forEach(([name, series], i) => {
    const samples = series.history();
    const average = samples.reduce((n, s) => n + s.latencyMs, 0) / samples.length;
    text += `${i + 1}. ${name}: ${samples.length} sample(s), ${
      Math.round(average)
    } ms on average; highest ever ${series.maxMs} ms.\n`;
  });
  text += "\nWhat to look at:\n";
  text += "- SLOWLOG GET lists the commands that ran longest, with their arguments.\n";
  text += "- Commands over large values (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, SORT, DEL of big " +
    "keys) and long Lua scripts hold the server while they run; prefer SCAN-style iteration.\n";
  const slowerThanUs = ctx.timing.slowlog.slowerThanUs;
  if (slowerThanUs < 0 || slowerThanUs > monitor.thresholdMs * 1000) {
    text += `- The slow log does not record everything the monitor sees: consider ` +
      `'CONFIG SET slowlog-log-slower-than ${monitor.thresholdMs * 1000}'.\n`;
  }
  return verbatimText(text);
}

/**
 * HISTOGRAM [command ...]: every command with calls recorded, or the named ones that have; a
 * container's name (`client`) also picks its subcommands, a full name (`client|id`) just that one.
 */
function histogram(ctx: ServerContext, names: readonly string[]): Reply {
  const picked: CommandStats[] = [];
  const pick = (s: CommandStats | undefined) => {
    if (s !== undefined && s.latencyHistogram !== null) picked.push(s);
  };
  if (names.length === 0) {
    for (const s of ctx.table.allStats()) pick(s);
  } else {
    for (const name of names) {
      pick(ctx.table.stats(name));
      if (!name.includes("|")) {
        for (const s of ctx.table.get(name)?.subcommands?.values() ?? []) pick(s);
      }
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
  "    A plain-text account of the events recorded so far, with suggestions.",
  "GRAPH <event>",
  "    A text chart of the samples kept for <event>, one line per sample.",
  "HISTORY <event>",
  "    The samples kept for <event>, oldest first, as [unix time, milliseconds] pairs",
  "    (at most 160 of them, each the highest of its second).",
  "LATEST",
  "    One row per event (command, fast-command): its name, the time and milliseconds of",
  "    its newest sample, and the highest milliseconds it has seen.",
  "RESET [<event> ...]",
  "    Forget the named events, or every event when none is named; replies how many",
  "    events were forgotten.",
  "HISTOGRAM [COMMAND ...]",
  "    For each named command that has been called (each such command when none is named):",
  "    its call count, and how many calls took at most each bound, in microseconds.",
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
  since: "2.8.13",
}];
