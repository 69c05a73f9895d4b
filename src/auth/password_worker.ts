/// <reference lib="deno.worker" />
/**
 * The password-hashing worker: bcrypt / argon2id (hash-wasm) off the gateway's event loop.
 * Messages: {id, op, password (bytes, ≤ 72 for bcrypt), ...} → {id, ok, value | error}.
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

function salt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

async function run(request: WorkerRequest): Promise<string | boolean> {
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

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  let response: WorkerResponse;
  try {
    response = { id: request.id, ok: true, value: await run(request) };
  } catch (error) {
    response = { id: request.id, ok: false, error: String(error) };
  }
  self.postMessage(response);
};
