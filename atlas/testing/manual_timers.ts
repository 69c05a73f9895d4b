/** Timers that fire only when a test says so, and a logger that records what it was told. */
import type { AtlasLogger, AtlasTimers } from "../engine.ts";

export class ManualTimers implements AtlasTimers {
  private nextId = 1;
  private readonly intervals = new Map<number, { fn: () => void; ms: number }>();

  setInterval(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.intervals.set(id, { fn, ms });
    return id;
  }

  clearInterval(id: unknown): void {
    this.intervals.delete(id as number);
  }

  /** Runs every interval callback whose period is `ms` (all when omitted). */
  fire(ms?: number): void {
    for (const { fn, ms: period } of [...this.intervals.values()]) {
      if (ms === undefined || period === ms) fn();
    }
  }

  get active(): number {
    return this.intervals.size;
  }
}

export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  fields: Record<string, unknown>;
}

export class RecordingLogger implements AtlasLogger {
  readonly lines: LogLine[] = [];
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "info", message, fields });
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "warn", message, fields });
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "error", message, fields });
  }
  at(level: LogLine["level"]): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }
}

/** Resolves after the current macrotask queue drained a few times (lets pumps finish). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
