/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis 7.0's SHA1-based digests of the data set and of
 * values, byte for byte, so a digest taken on atlasd equals redis-server's for the same data and
 * tests can compare two keys, or a key before and after a change, by digest.
 *
 * Redis's scheme (debug.c): `xor` adds SHA1(bytes) into a 20-byte digest (order-free: set members,
 * hash fields, a database's keys); `mix` does that and then replaces the digest with its own SHA1
 * (order-bound: list elements, stream entries). A value's digest starts with its type code, mixes
 * its content, and xors "!!expire!!" in when the key has a TTL.
 */
import { createHash } from "node:crypto";
import { formatDouble } from "../resp/double.ts";
import { HashValue } from "./hash_value.ts";
import { ListValue } from "./list_value.ts";
import { SetValue } from "./set_value.ts";
import { ID_MAX, ID_MIN, U64_MAX } from "./stream_id.ts";
import { StreamValue } from "./stream_value.ts";
import type { Value } from "./keyspace.ts";

export type Digest = Uint8Array;

/** Redis's type codes (OBJ_STRING...), the first thing a value's digest mixes. */
const TYPE_CODE = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 } as const;

function sha1(data: string | Uint8Array): Uint8Array {
  const hash = createHash("sha1");
  if (typeof data === "string") hash.update(data, "latin1");
  else hash.update(data);
  return hash.digest();
}

/** digest ^= SHA1(data): adds an element whose order does not matter. */
export function xorDigest(digest: Digest, data: string | Uint8Array): void {
  const hash = sha1(data);
  for (let i = 0; i < 20; i++) digest[i] ^= hash[i];
}

/** digest = SHA1(digest ^ SHA1(data)): adds an element whose position matters. */
export function mixDigest(digest: Digest, data: string | Uint8Array): void {
  xorDigest(digest, data);
  digest.set(sha1(digest));
}

/** A 32-bit number in network order (Redis's htonl before mixing). */
function bigEndian32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Adds a value's digest to `digest` (Redis's xorObjectDigest). */
export function addValueDigest(digest: Digest, value: Value, hasExpire: boolean): void {
  if (typeof value === "string") {
    mixDigest(digest, bigEndian32(TYPE_CODE.string));
    mixDigest(digest, value);
  } else if (value instanceof ListValue) {
    mixDigest(digest, bigEndian32(TYPE_CODE.list));
    for (const element of value.toArray()) mixDigest(digest, element);
  } else if (value instanceof SetValue) {
    mixDigest(digest, bigEndian32(TYPE_CODE.set));
    for (const member of value.set) xorDigest(digest, member);
  } else if (value instanceof HashValue) {
    mixDigest(digest, bigEndian32(TYPE_CODE.hash));
    for (const [field, fieldValue] of value.map) {
      const element = new Uint8Array(20);
      mixDigest(element, field);
      mixDigest(element, fieldValue);
      xorDigest(digest, element);
    }
  } else if (value instanceof StreamValue) {
    mixDigest(digest, bigEndian32(TYPE_CODE.stream));
    for (const [id, fields] of value.range(ID_MIN, ID_MAX, Number.MAX_SAFE_INTEGER, false)) {
      mixDigest(digest, `${id >> 64n}.${id & U64_MAX}`);
      for (const item of fields) mixDigest(digest, item);
    }
  } else {
    mixDigest(digest, bigEndian32(TYPE_CODE.zset));
    for (const [member, score] of value.entries()) {
      const element = new Uint8Array(20);
      mixDigest(element, member);
      mixDigest(element, formatDouble(score));
      xorDigest(digest, element);
    }
  }
  if (hasExpire) xorDigest(digest, "!!expire!!");
}

/** A value's digest alone (DEBUG DIGEST-VALUE): 40 zeros for a missing key. */
export function valueDigest(value: Value | undefined, hasExpire: boolean): string {
  const digest = new Uint8Array(20);
  if (value !== undefined) addValueDigest(digest, value, hasExpire);
  return hex(digest);
}

/** One database's contents, for datasetDigest. */
export interface DigestDatabase {
  readonly index: number;
  readonly data: ReadonlyMap<string, Value>;
  readonly expires: ReadonlyMap<string, number>;
}

/**
 * DEBUG DIGEST: per non-empty database its index is mixed in, then every key's digest (the key
 * mixed, then its value) is xored in; 40 zeros when there is no key at all.
 */
export function datasetDigest(databases: Iterable<DigestDatabase>): string {
  const final = new Uint8Array(20);
  for (const db of databases) {
    if (db.data.size === 0) continue;
    mixDigest(final, bigEndian32(db.index));
    for (const [key, value] of db.data) {
      const digest = new Uint8Array(20);
      mixDigest(digest, key);
      addValueDigest(digest, value, db.expires.has(key));
      xorDigest(final, digest);
    }
  }
  return hex(final);
}

function hex(digest: Digest): string {
  let text = "";
  for (const byte of digest) text += byte.toString(16).padStart(2, "0");
  return text;
}
