/**
 * Password-hashing jobs (bcrypt / argon2id via hash-wasm), runnable in a Web Worker
 * (password_worker.ts) or, for comparison benchmarks only, inline on the calling thread.
 */
import { argon2id, argon2Verify, bcrypt, bcryptVerify } from "hash-wasm";

export type WorkerRequest =
  | { id: number; op: "bcrypt"; password: Uint8Array; cost: number }
  | { id: number; op: "bcryptVerify"; password: Uint8Array; hash: string }
  | {
    id: number;
    op: "argon2id";
    password: Uint8Array;
    memoryKiB: number;
    iterations: number;
  }
  | { id: number; op: "argon2Verify"; password: Uint8Array; hash: string };

/** A request without its id (the pool assigns ids). */
export type WorkerJob = WorkerRequest extends infer T ? T extends unknown ? Omit<T, "id"> : never
  : never;

export type WorkerResponse =
  | { id: number; ok: true; value: string | boolean }
  | { id: number; ok: false; error: string };

/** Runs hashing jobs: the worker pool, or InlinePasswordRunner in benchmarks. */
export interface PasswordRunner {
  run(job: WorkerJob): Promise<string | boolean>;
  close(): void;
}

function salt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

export async function runJob(request: WorkerJob): Promise<string | boolean> {
  switch (request.op) {
    case "bcrypt":
      return await bcrypt({ password: request.password, salt: salt(), costFactor: request.cost });
    case "bcryptVerify":
      return await bcryptVerify({ password: request.password, hash: request.hash });
    case "argon2id":
      return await argon2id({
        password: request.password,
        salt: salt(),
        parallelism: 1,
        iterations: request.iterations,
        memorySize: request.memoryKiB,
        hashLength: 32,
        outputType: "encoded",
      });
    case "argon2Verify":
      return await argon2Verify({ password: request.password, hash: request.hash });
  }
}

/**
 * Hashing on the calling thread — what the worker pool exists to avoid. Only for
 * bench/login_storm's comparison; never wired into the gateway.
 */
export class InlinePasswordRunner implements PasswordRunner {
  run(job: WorkerJob): Promise<string | boolean> {
    return runJob(job);
  }
  close(): void {}
}
