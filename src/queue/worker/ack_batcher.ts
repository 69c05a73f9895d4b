/**
 * Coalesces acks into batch calls: the first ack goes out at once; acks that arrive while a batch
 * is in flight wait and leave together in the next one (group commit for the worker protocol).
 * One request then acks many jobs when they finish close together, and none waits for a timer.
 */
import type { AckItem } from "./api.ts";

interface Pending extends AckItem {
  resolve(): void;
  reject(error: unknown): void;
}

export class AckBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly send: (acks: AckItem[]) => Promise<(Error | null)[]>,
    private readonly batchMax = 256,
  ) {}

  ack(item: AckItem): Promise<void> {
    const done = new Promise<void>((resolve, reject) =>
      this.queue.push({ ...item, resolve, reject })
    );
    if (!this.flushing) void this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchMax);
        try {
          const outs = await this.send(
            batch.map(({ id, attempt, result }) => ({ id, attempt, result })),
          );
          batch.forEach((item, i) => (outs[i] ? item.reject(outs[i]) : item.resolve()));
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
