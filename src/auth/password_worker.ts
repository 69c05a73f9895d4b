/// <reference lib="deno.worker" />
/**
 * The password-hashing worker: bcrypt / argon2id (hash-wasm) off the gateway's event loop.
 * Messages: {id, op, password (bytes, ≤ 72 for bcrypt), ...} → {id, ok, value | error}.
 */
import { runJob, type WorkerRequest, type WorkerResponse } from "./password_jobs.ts";

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { id, ...job } = event.data;
  let response: WorkerResponse;
  try {
    response = { id, ok: true, value: await runJob(job as Parameters<typeof runJob>[0]) };
  } catch (error) {
    response = { id, ok: false, error: String(error) };
  }
  self.postMessage(response);
};
