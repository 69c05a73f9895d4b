/**
 * A fixed pool of password-hashing Web Workers with a bounded queue. Jobs go to an idle worker
 * or wait in FIFO order; past `queueMax` waiting jobs the pool refuses with 503 (load shedding
 * beats unbounded latency). Workers start lazily and `close()` terminates them.
 */
import { UnavailableError } from "../errors/app_error.ts";
import type { PasswordRunner, WorkerJob, WorkerRequest, WorkerResponse } from "./password_jobs.ts";

type Job = {
  request: WorkerJob;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
};

interface Slot {
  worker: Worker;
  busy: Job | null;
}

export class PasswordWorkerPool implements PasswordRunner {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number, readonly queueMax = 256) {
    if (!Number.isInteger(size) || size < 1) throw new Error("Worker pool size must be >= 1");
  }

  run(request: WorkerJob): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error("Password worker pool is closed"));
    if (this.queue.length >= this.queueMax) {
      return Promise.reject(
        new UnavailableError("Password hashing is overloaded", "overloaded", 1),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  /** Jobs waiting for a worker (excludes running ones). */
  get waiting(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots) {
      slot.worker.terminate();
      slot.busy?.reject(new Error("Password worker pool closed"));
    }
    for (const job of this.queue.splice(0)) job.reject(new Error("Password worker pool closed"));
    this.slots.length = 0;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.idleSlot();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = job;
      slot.worker.postMessage({ ...job.request, id: this.nextId++ } as WorkerRequest);
    }
  }

  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((slot) => slot.busy === null);
    if (idle || this.slots.length >= this.size) return idle;
    const worker = new Worker(new URL("./password_worker.ts", import.meta.url), { type: "module" });
    const slot: Slot = { worker, busy: null };
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.settle(slot, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.settle(slot, { id: 0, ok: false, error: event.message });
    };
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot, response: WorkerResponse): void {
    const job = slot.busy;
    slot.busy = null;
    if (job) {
      if (response.ok) job.resolve(response.value);
      else job.reject(new Error(`Password worker failed: ${response.error}`));
    }
    this.pump();
  }
}
