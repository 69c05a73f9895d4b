/** Small typed helpers over AtlasClient replies for the auth stores. */
import { createHash } from "node:crypto";
import {
  type AtlasClient,
  AtlasReplyError,
  isErrorValue,
  type Value,
} from "../storage/atlas_client.ts";

/** Throws AtlasReplyError on an error reply; returns the value otherwise. */
export function ok(value: Value, command: string): Value {
  if (isErrorValue(value)) throw new AtlasReplyError(value.error, command);
  return value;
}

export async function hgetall(atlas: AtlasClient, key: string): Promise<Record<string, string>> {
  return pairsToRecord(ok(await atlas.call("HGETALL", key), "HGETALL"));
}

export function pairsToRecord(value: Value): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(value)) return record;
  for (let i = 0; i + 1 < value.length; i += 2) record[String(value[i])] = String(value[i + 1]);
  return record;
}

export async function smembers(atlas: AtlasClient, key: string): Promise<string[]> {
  const value = ok(await atlas.call("SMEMBERS", key), "SMEMBERS");
  return Array.isArray(value) ? value.map(String) : [];
}

/** Checks every reply of a transaction. */
export function allOk(values: Value[], what: string): Value[] {
  for (const value of values) ok(value, what);
  return values;
}

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4] + HEX[b & 15];
  return out;
}

/** SHA-256 of a (high-entropy) secret, hex. node:crypto hashes in ~1 µs; WebCrypto's async
 * digest costs several times that, on every API-token request. */
export function sha256Hex(text: string): Promise<string> {
  return Promise.resolve(sha256HexSync(text));
}

export function sha256HexSync(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** URL-safe random identifier/secret with `bytes` bytes of entropy. */
export function randomToken(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Constant-time comparison of two equal-length hex strings. */
export function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
