/**
 * LZF decompression, for the LZF-encoded strings of Redis DUMP payloads (Redis compresses string
 * values and listpack/ziplist blobs longer than 20 bytes when that saves space).
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
