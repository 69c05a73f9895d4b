/**
 * The RDB object type bytes a DUMP payload starts with (Redis 7.0's numbering; 20 and 21 are Redis
 * 7.2's, read too), and the payload's footer: RDB version (u16 LE) and CRC-64 (u64 LE) of all the
 * bytes before it.
 */
import { crc64Halves } from "./crc64.ts";

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
// 20 (SET_LISTPACK) and 21 (STREAM_LISTPACKS_3) are Redis 7.2's, unknown to 7.0.

/** QUICKLIST_2 node containers: one element stored as is, or a listpack of elements. */
export const QUICKLIST_NODE_PLAIN = 1;
export const QUICKLIST_NODE_PACKED = 2;

/** What Redis 7.0 writes, and the newest version it accepts. */
export const RDB_VERSION = 10;

const FOOTER_BYTES = 10;

/**
 * Redis's verifyDumpPayload: long enough for a footer, a version it knows, and a matching CRC.
 * (A zero CRC is not special here: Redis 7.0 checks it like any other.)
 */
export function verifyDumpPayload(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n < FOOTER_BYTES) return false;
  const version = bytes[n - 10] | (bytes[n - 9] << 8);
  if (version > RDB_VERSION) return false;
  const { lo, hi } = crc64Halves(bytes, 0, n - 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(n - 8, true) === lo && view.getUint32(n - 4, true) === hi;
}
