/**
 * Starts `main.ts` as a real process for integration tests, reads the bound addresses from its
 * JSON "Listening" log lines, and stops it (SIGINT by default, or kill -9) and awaits its exit.
 */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface LogLine {
  level: string;
  component: string;
  message: string;
  extra: Record<string, unknown>;
  [key: string]: unknown;
}

export class HeliosProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  /** listener name ("gateway", "metrics", "resp", ...) → "host:port". */
  readonly listeners = new Map<string, string>();
  private readonly waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<Deno.CommandStatus>;
  private readonly pumps: Promise<void>[];

  private constructor(readonly child: Deno.ChildProcess) {
    this.exited = child.status;
    this.pumps = [
      this.pump(child.stdout, (line) => this.onStdout(line)),
      this.pump(child.stderr, (l) => this.stderr.push(l)),
    ];
  }

  static start(args: string[], env: Record<string, string> = {}): HeliosProcess {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new HeliosProcess(child);
  }

  /** Resolves with the first log line (past or future) that passes `test`. */
  waitFor(test: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `Timed out waiting for a log line; stderr: ${this.stderr.join("\n").slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Waits for the "Listening" line of `listener` and returns its "host:port". */
  async address(listener: string, timeoutMs?: number): Promise<string> {
    const line = await this.waitFor(
      (l) => l.message === "Listening" && l.extra.listener === listener,
      timeoutMs,
    );
    return String(line.extra.address);
  }

  async stop(signal: Deno.Signal = "SIGINT"): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited: its status is what we return.
    }
    const status = await this.exited;
    await Promise.all(this.pumps);
    return status;
  }

  private onStdout(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    this.lines.push(line);
    if (line.message === "Listening") {
      this.listeners.set(String(line.extra.listener), String(line.extra.address));
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].test(line)) {
        this.waiters[i].resolve(line);
        this.waiters.splice(i, 1);
      }
    }
  }

  private async pump(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
  ): Promise<void> {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    }
    if (buffered) onLine(buffered);
  }
}

/** Runs promtool on a scrape; returns its combined output and whether it passed. */
export async function promtoolCheck(exposition: string): Promise<{ ok: boolean; output: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(exposition));
  await writer.close();
  const result = await child.output();
  const decoder = new TextDecoder();
  return {
    ok: result.success,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

/** Runs a one-shot `helios` command (cluster, backup, restore, user ...) to completion. */
export async function runHelios(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
