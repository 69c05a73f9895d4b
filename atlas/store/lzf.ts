/**
 * LZF compression and decompression, for the LZF-encoded strings of Redis DUMP payloads (Redis
 * compresses string values and listpack/ziplist blobs longer than 20 bytes when that saves at
 * least 4 bytes).
 *
 * The format is a sequence of runs, each led by a control byte:
 * - ctrl < 32: a literal run of ctrl + 1 bytes follows;
 * - otherwise a back reference: length (ctrl >> 5) + 2, where a length field of 7 means one more
 *   length byte follows and is added; the offset back is ((ctrl & 31) << 8) + next byte + 1. The
 *   copy may overlap its own output (a run repeating a short pattern), so it goes byte by byte.
 */

/**
 * Decompresses input[start, end) into exactly `outLength` bytes. Null when the data is malformed
 * or does not produce exactly that many bytes (Redis then reports a bad payload).
 */
export function lzfDecompress(
  input: Uint8Array,
  start: number,
  end: number,
  outLength: number,
): Uint8Array | null {
  const out = new Uint8Array(outLength);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > end || op + run > outLength) return null;
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    let length = ctrl >> 5;
    if (length === 7) {
      if (ip >= end) return null;
      length += input[ip++];
    }
    length += 2;
    if (ip >= end) return null;
    const ref = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
    if (ref < 0 || op + length > outLength) return null;
    for (let i = 0; i < length; i++) out[op + i] = out[ref + i];
    op += length;
  }
  return op === outLength ? out : null;
}

// ---- compression, as liblzf 3.6 (HLOG 16, VERY_FAST) that redis-server links ----

const HASH_LOG = 16;
const HASH_SIZE = 1 << HASH_LOG;
const MAX_LITERAL = 32;
const MAX_OFFSET = 1 << 13;
const MAX_REFERENCE = (1 << 8) + (1 << 3);

/**
 * The hash table: input positions by hash of the next 3 bytes, stored as base + position. Each
 * call takes a base above every value stored before, so a slot from an earlier call reads as a
 * negative position, which counts as empty: nothing needs clearing between calls (liblzf's table
 * is not cleared either, but a stale slot outside the input is never used).
 */
const slots = new Int32Array(HASH_SIZE);
/** Above every value stored so far (and above the slots' initial 0). */
let base = 1;

/** liblzf's IDX (VERY_FAST) of the 3 bytes in h. */
function slotOf(h: number): number {
  return ((h >>> (3 * 8 - HASH_LOG)) - Math.imul(h, 5)) & (HASH_SIZE - 1);
}

/**
 * lzf_compress into at most `outLength` bytes, or null when the result would not fit (Redis then
 * stores the string raw). Same choices as liblzf, so the same bytes as Redis's payloads.
 */
export function lzfCompress(input: Uint8Array, outLength: number): Uint8Array | null {
  const inEnd = input.length;
  if (inEnd === 0 || outLength <= 0) return null;
  if (base + inEnd > 0x7fffffff) {
    slots.fill(0);
    base = 1;
  }
  const callBase = base;
  base += inEnd; // above every value this call stores
  // Room for the at most 3 bytes the tail may write past the last check.
  const out = new Uint8Array(outLength + 3);
  let ip = 0;
  let op = 1; // the first literal run's length byte
  let lit = 0;
  let hval = (input[0] << 8) | input[1];
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = slotOf(hval);
    const ref = slots[slot] - callBase; // negative: empty
    slots[slot] = callBase + ip;
    const off = ip - ref - 1;
    if (
      ref > 0 && off < MAX_OFFSET && input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] && input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      const maxLen = Math.min(inEnd - ip - len, MAX_REFERENCE);
      if (op + 3 + 1 >= outLength && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outLength) return null;
      out[op - lit - 1] = lit - 1; // end the literal run
      if (lit === 0) op--; // an empty run takes no byte
      // liblzf first compares 16 bytes unchecked when more than 16 may match, then up to maxLen.
      let stopped = false;
      if (maxLen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            stopped = true;
            break;
          }
        }
      }
      if (!stopped) {
        do len++; while (len < maxLen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // bytes copied - 2
      ip++;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // the next literal run's length byte
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: hash the last two positions of the match only.
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      slots[slotOf(hval)] = callBase + ip;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      slots[slotOf(hval)] = callBase + ip;
      ip++;
    } else {
      if (op >= outLength) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LITERAL) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLength) return null;
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LITERAL) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return out.subarray(0, op);
}
