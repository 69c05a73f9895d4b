/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib, gzip and PNG.
 * Long inputs go to the runtime's native zlib crc32 (node:zlib; ~75 ns for 1 KiB against ~930 ns
 * here, so a job record or a multi-gigabyte snapshot costs little to check); short ones stay in
 * JavaScript, where the slicing-by-8 loop (eight lookup tables, 8 bytes per step) beats the
 * call's fixed cost below about 64 bytes — most AOF records of small commands.
 */
import { crc32 as nativeCrc32 } from "node:zlib";

const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 8; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c >>> 0;
    }
  }
  return tables;
}

/** Measured crossover: below it the JavaScript loop is faster than the native call. */
const NATIVE_FROM_BYTES = 96;

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

/** Continues a CRC-32 over `bytes[start, end)`; pass the previous result as `crc` (0 to begin). */
export function crc32(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  if (end - start >= NATIVE_FROM_BYTES) {
    return nativeCrc32(bytes.subarray(start, end), crc) >>> 0;
  }
  // Module constants, not a per-call destructuring: this runs twice per AOF record.
  const t0 = T0, t1 = T1, t2 = T2, t3 = T3, t4 = T4, t5 = T5, t6 = T6, t7 = T7;
  let c = ~crc >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a =
      (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>>
      0;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < end; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * CRC-32 of the 8 bytes `u32le(lo) | u32le(hi)`: one slicing-by-8 step, no loop and no buffer
 * reads (the AOF record header's checksum over bodyLength and the body's CRC).
 */
export function crc32Of2Words(lo: number, hi: number): number {
  const a = ~lo >>> 0;
  const c = T7[a & 0xff] ^ T6[(a >>> 8) & 0xff] ^ T5[(a >>> 16) & 0xff] ^ T4[a >>> 24] ^
    T3[hi & 0xff] ^ T2[(hi >>> 8) & 0xff] ^ T1[(hi >>> 16) & 0xff] ^ T0[hi >>> 24];
  return ~c >>> 0;
}
