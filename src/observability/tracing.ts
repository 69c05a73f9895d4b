/**
 * Tracing through @opentelemetry/api, exported by Deno's built-in OpenTelemetry when
 * OTEL_DENO=true (plus the standard OTEL_EXPORTER_OTLP_* variables). HTTP hops carry W3C
 * `traceparent` headers on their own (Deno instruments Deno.serve and fetch). The RESP hop to
 * ATLAS carries it in a documented wrapper command:
 *
 *   HELIOS.TRACE <traceparent> <command> [args...]
 *
 * A client with an active span sends its commands wrapped; the server runs the inner command in a
 * span whose parent is that traceparent. Without tracing nothing is wrapped and nothing is paid.
 */
import {
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import type { CommandExecutor, PausedScript, Reply, Store } from "../../atlas/mod.ts";

export const tracer = trace.getTracer("helios");

export const TRACE_COMMAND = "helios.trace";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C traceparent of the active span, or null when nothing is being traced. */
export function currentTraceparent(): string | null {
  const span = trace.getActiveSpan();
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return null;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED) ? "01" : "00"}`;
}

/** Runs `fn` in a new server span whose parent is the remote `traceparent` (if well formed). */
export function withRemoteParent<T>(traceparent: string, name: string, fn: () => T): T {
  const match = TRACEPARENT.exec(traceparent);
  const parent = match
    ? trace.setSpanContext(context.active(), {
      traceId: match[1],
      spanId: match[2],
      traceFlags: parseInt(match[3], 16),
      isRemote: true,
    })
    : context.active();
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.SERVER },
    parent,
    (span) => endWith(span, fn),
  );
}

function endWith<T>(span: Span, fn: () => T): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.finally(() => span.end()) as T;
  }
  span.end();
  return result;
}

/** Registers HELIOS.TRACE so the RESP server routes it to the executor (which unwraps it). */
export function registerTraceCommand(store: Store): void {
  if (store.commands.has(TRACE_COMMAND)) return;
  store.registerCommand(
    {
      name: TRACE_COMMAND,
      arity: -3,
      flags: [],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "server",
    },
    // Reached only when no TracingExecutor unwrapped it first: run the inner command as it is.
    (inner, argv, ctx) => inner.execute(argv.slice(2), ctx),
  );
}

/** Unwraps HELIOS.TRACE around any executor, running the inner command in a child span. */
export class TracingExecutor implements CommandExecutor {
  readonly executeTransaction?: (
    commands: string[][],
    watched?: Iterable<string>,
    dbs?: number[],
  ) => Promise<Reply[] | null>;
  readonly hasUnsyncedWrites?: () => boolean;
  readonly barrier?: () => Promise<Reply | null> | null;
  readonly outOfMemory?: () => boolean;
  readonly publish?: CommandExecutor["publish"];

  constructor(private readonly inner: CommandExecutor) {
    if (inner.executeTransaction) {
      this.executeTransaction = (commands, watched, dbs) =>
        inner.executeTransaction!(commands, watched, dbs);
    }
    if (inner.hasUnsyncedWrites) this.hasUnsyncedWrites = () => inner.hasUnsyncedWrites!();
    if (inner.barrier) this.barrier = () => inner.barrier!();
    if (inner.outOfMemory) this.outOfMemory = () => inner.outOfMemory!();
    if (inner.publish) {
      this.publish = (kind, channel, message) => inner.publish!(kind, channel, message);
    }
  }

  execute(argv: string[], db?: number, interruptible?: boolean | "exec"): Reply | Promise<Reply> {
    const name = argv[0];
    // Cheap test first: the hot path pays one length comparison per command.
    if (
      name.length !== TRACE_COMMAND.length || name.toLowerCase() !== TRACE_COMMAND ||
      argv.length < 3
    ) {
      return this.inner.execute(argv, db, interruptible);
    }
    return withRemoteParent(
      argv[1],
      `atlas ${argv[2].toUpperCase()}`,
      // As interruptible as the command it wraps: a script in it pauses past busy-reply-threshold.
      () => this.inner.execute(argv.slice(2), db, interruptible),
    );
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }

  get busyScript(): PausedScript | null {
    return this.inner.busyScript ?? null;
  }
}
