/**
 * CRC-64 as Redis computes it for DUMP payloads and RDB files: the "Jones" polynomial
 * 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor. CRC of
 * "123456789" is 0xe9c6d914c4b8d9ca.
 *
 * Table-driven over two 32-bit halves (BigInt per byte would be far too slow for large payloads).
 */

/** The polynomial bit-reversed, since the register shifts right (reflected CRC). */
const POLY_REFLECTED_HI = 0x95ac9329;
const POLY_REFLECTED_LO = 0xac4bc9b5;

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ POLY_REFLECTED_LO) >>> 0;
      hi = (hi ^ POLY_REFLECTED_HI) >>> 0;
    }
  }
  TABLE_LO[i] = lo;
  TABLE_HI[i] = hi;
}

/**
 * The CRC of bytes[start, end) as its low and high 32-bit halves; `lo` and `hi` continue a CRC
 * from the halves of the bytes before (an RDB file is checksummed chunk by chunk).
 */
export function crc64Halves(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  lo = 0,
  hi = 0,
): { lo: number; hi: number } {
  for (let i = start; i < end; i++) {
    const index = (lo ^ bytes[i]) & 0xff;
    // crc = table[index] ^ (crc >> 8), the shift carried across the two halves.
    lo = (TABLE_LO[index] ^ ((lo >>> 8) | (hi << 24))) >>> 0;
    hi = (TABLE_HI[index] ^ (hi >>> 8)) >>> 0;
  }
  return { lo, hi };
}

/** The CRC of bytes[start, end) as one unsigned 64-bit bigint. */
export function crc64(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  const { lo, hi } = crc64Halves(bytes, start, end);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The CRC of bytes[start, end) as the 8 little-endian bytes a DUMP footer carries. */
export function crc64LittleEndian(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  const { lo, hi } = crc64Halves(bytes, start, end);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, lo, true);
  view.setUint32(4, hi, true);
  return out;
}
