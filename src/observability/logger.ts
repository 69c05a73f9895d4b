/**
 * Structured logs: one JSON object per line, in the documented shape
 *   {"timestamp":"...","level":"INFO","component":"gateway","message":"Request processed","extra":{...}}
 * plus `request_id`, `trace_id` and `node_id` at the top level when known. Messages are constant
 * strings; values go in `extra`, so logs can be grouped and searched by message.
 */
import { trace } from "@opentelemetry/api";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface LogRecord {
  timestamp: string;
  level: string;
  component: string;
  message: string;
  extra: LogFields;
  request_id?: string;
  trace_id?: string;
  node_id?: string;
}

/** Where finished lines go. The default writes to stdout; tests capture into an array. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

/**
 * Standard output, batched: the lines of one event-loop turn go out in one write (an access log
 * line per request would otherwise cost a syscall per request). Lines still pending when the
 * process ends are written by the `unload` handler; `flushLogs()` forces them out.
 */
let pendingLines: string[] = [];
let flushScheduled = false;

export function flushLogs(): void {
  flushScheduled = false;
  if (pendingLines.length === 0) return;
  const text = pendingLines.join("");
  pendingLines = [];
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

// Nothing logged is lost on the way out: normal exit, Deno.exit, an uncaught error.
globalThis.addEventListener("unload", flushLogs);
globalThis.addEventListener("error", flushLogs);
globalThis.addEventListener("unhandledrejection", flushLogs);

export const stdoutSink: LogSink = (line) => {
  pendingLines.push(line + "\n");
  if (!flushScheduled) {
    flushScheduled = true;
    setTimeout(flushLogs, 0);
  }
};

export interface LoggerOptions {
  level?: LogLevel;
  sink?: LogSink;
  clock?: () => number;
  /** Fields put at the top level of every line (node_id). */
  context?: { node_id?: string };
}

/** Top-level keys a caller may lift out of `extra`. */
const TOP_LEVEL_KEYS = ["request_id", "trace_id", "node_id"] as const;

/**
 * The level of a logger and of every logger derived from it (child, with): shared, so setting it
 * at run time (atlasd's CONFIG SET loglevel) applies to all of them at once.
 */
interface LevelCell {
  level: LogLevel;
  rank: number;
}

const levelCells = new WeakMap<LoggerOptions, LevelCell>();

export class Logger {
  private readonly cell: LevelCell;
  private readonly sink: LogSink;
  private readonly clock: () => number;

  constructor(
    readonly component: string,
    private readonly options: LoggerOptions = {},
    private readonly bound: LogFields = {},
  ) {
    let cell = levelCells.get(options);
    if (cell === undefined) {
      const level = options.level ?? "info";
      levelCells.set(options, cell = { level, rank: LEVEL_RANK[level] });
    }
    this.cell = cell;
    this.sink = options.sink ?? stdoutSink;
    this.clock = options.clock ?? Date.now;
  }

  /** A logger for another component sharing level, sink and context. */
  child(component: string, fields: LogFields = {}): Logger {
    return new Logger(component, this.options, { ...this.bound, ...fields });
  }

  /** A logger that adds these fields to every line (request_id, for example). */
  with(fields: LogFields): Logger {
    return new Logger(this.component, this.options, { ...this.bound, ...fields });
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.cell.rank;
  }

  /** The least severe level written. */
  get level(): LogLevel {
    return this.cell.level;
  }

  /** Changes the level of this logger and of every logger sharing its options. */
  setLevel(level: LogLevel): void {
    this.cell.level = level;
    this.cell.rank = LEVEL_RANK[level];
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVEL_RANK[level] < this.cell.rank) return;
    this.sink(JSON.stringify(this.record(level, message, fields)));
    // Warnings and errors go out at once: they may be the last thing a failing process says.
    if (this.sink === stdoutSink && LEVEL_RANK[level] >= LEVEL_RANK.warn) flushLogs();
  }

  private record(level: LogLevel, message: string, fields: LogFields): LogRecord {
    const extra: LogFields = {};
    const record: LogRecord = {
      timestamp: new Date(this.clock()).toISOString(),
      level: level.toUpperCase(),
      component: this.component,
      message,
      extra,
    };
    for (const source of [this.bound, fields]) {
      for (const [key, value] of Object.entries(source)) {
        if ((TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
          if (value !== undefined) (record as unknown as LogFields)[key] = String(value);
        } else {
          extra[key] = value instanceof Error ? errorFields(value) : value;
        }
      }
    }
    if (this.options.context?.node_id && !record.node_id) {
      record.node_id = this.options.context.node_id;
    }
    if (!record.trace_id) {
      const spanContext = trace.getActiveSpan()?.spanContext();
      if (spanContext && spanContext.traceId !== "00000000000000000000000000000000") {
        record.trace_id = spanContext.traceId;
      }
    }
    return record;
  }
}

function errorFields(error: Error): LogFields {
  return {
    name: error.name,
    message: error.message,
    ...(error.cause ? { cause: String(error.cause) } : {}),
  };
}

/** A logger that drops everything (library defaults, quiet tests). */
export const silentLogger = new Logger("silent", { level: "error", sink: () => {} });
