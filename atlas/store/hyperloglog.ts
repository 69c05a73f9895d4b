/**
 * HyperLogLog in Redis 7's format and arithmetic (pure functions, no keyspace access).
 *
 * A HyperLogLog is a Redis string: a 16-byte header ("HYLL", encoding byte 0 = dense / 1 = sparse,
 * 3 unused bytes, 8-byte little-endian cached cardinality whose last byte's top bit marks the cache
 * invalid) followed by 16384 registers of 6 bits (P = 14, Q = 50):
 * - dense: 12288 bytes, register i at bits 6i.. (least significant bit first);
 * - sparse: run-length opcodes ZERO (00xxxxxx: 1–64 zero registers), XZERO (01xxxxxx yyyyyyyy:
 *   1–16384 zero registers), VAL (1vvvvvxx: 1–4 registers of value 1–32).
 * New HLLs start sparse; a register value above 32 or a sparse string growing past
 * hll-sparse-max-bytes (HLL_SPARSE_MAX_BYTES unless set) promotes to dense. The edits follow
 * Redis step by step (the same opcode splits, the same merge of adjacent VALs), so the same PFADDs
 * produce the same bytes.
 *
 * Element hashing is MurmurHash64A (seed 0xadc83b19) in 32-bit halves: the low 14 bits pick the
 * register, the run of zeros above them + 1 is the value. The estimator is Redis 7's (Otmar Ertl,
 * "New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284).
 */
import { bytesToBinary } from "./binary.ts";

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** Redis's hll-sparse-max-bytes default: a sparse HLL longer than this (header included) turns dense. */
export const HLL_SPARSE_MAX_BYTES = 3000;
export const HLL_SEED = 0xadc83b19;

const REGISTER_MAX = 63;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const ALPHA_INF = 0.721347520444481703680; // 0.5 / ln(2)
const CARD_INVALID = 0x80; // top bit of header byte 15

// ---------------------------------------------------------------------------------------------
// MurmurHash64A with 64-bit words as (hi, lo) uint32 pairs.

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const M_LO0 = M_LO & 0xffff;
const M_LO1 = M_LO >>> 16;
let mulHi = 0;
let mulLo = 0;

/** (hi, lo) * 0xc6a4a7935bd1e995 mod 2^64 → (mulHi, mulLo). */
function mulM(hi: number, lo: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const mid = a0 * M_LO1 + a1 * M_LO0; // < 2^33
  const low = a0 * M_LO0 + (mid % 65536) * 65536; // < 2^33
  mulLo = low >>> 0;
  mulHi = (a1 * M_LO1 + Math.floor(mid / 65536) + (low >= 4294967296 ? 1 : 0) +
    Math.imul(hi, M_LO) + Math.imul(lo, M_HI)) >>> 0;
}

let hashHi = 0;
let hashLo = 0;

/** MurmurHash64A of a binary string (one byte per char) → (hashHi, hashLo). */
function murmur(key: string, seed: number): void {
  const len = key.length;
  mulM(0, len);
  let hHi = mulHi;
  let hLo = (mulLo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    const kLo = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) |
      (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24);
    const kHi = key.charCodeAt(i + 4) | (key.charCodeAt(i + 5) << 8) |
      (key.charCodeAt(i + 6) << 16) | (key.charCodeAt(i + 7) << 24);
    mulM(kHi, kLo);
    mulM(mulHi, mulLo ^ (mulHi >>> 15)); // k ^= k >> 47; k *= m
    mulM(hHi ^ mulHi, hLo ^ mulLo); // h ^= k; h *= m
    hHi = mulHi;
    hLo = mulLo;
  }
  const rest = len & 7;
  if (rest !== 0) {
    if (rest >= 7) hHi ^= key.charCodeAt(i + 6) << 16;
    if (rest >= 6) hHi ^= key.charCodeAt(i + 5) << 8;
    if (rest >= 5) hHi ^= key.charCodeAt(i + 4);
    if (rest >= 4) hLo ^= key.charCodeAt(i + 3) << 24;
    if (rest >= 3) hLo ^= key.charCodeAt(i + 2) << 16;
    if (rest >= 2) hLo ^= key.charCodeAt(i + 1) << 8;
    hLo ^= key.charCodeAt(i);
    mulM(hHi, hLo);
    hHi = mulHi;
    hLo = mulLo;
  }
  mulM(hHi, hLo ^ (hHi >>> 15));
  hashHi = mulHi;
  hashLo = (mulLo ^ (mulHi >>> 15)) >>> 0;
}

/** MurmurHash64A (Austin Appleby's 64-bit hash for 64-bit platforms, as Redis uses it). */
export function murmurHash64A(key: string, seed: number = HLL_SEED): bigint {
  murmur(key, seed >>> 0);
  return (BigInt(hashHi) << 32n) | BigInt(hashLo);
}

/**
 * The register an element goes to and the value it offers there (the run of zero bits above the
 * register index, + 1: 1..Q+1), packed as index * 64 + value.
 */
export function hllPatLen(element: string): number {
  murmur(element, HLL_SEED);
  const index = hashLo & (HLL_REGISTERS - 1);
  const low = hashLo >>> HLL_P; // 18 bits
  let count: number;
  if (low !== 0) count = 32 - Math.clz32(low & -low);
  else if (hashHi !== 0) count = 32 - HLL_P + 32 - Math.clz32(hashHi & -hashHi);
  else count = HLL_Q + 1;
  return index * 64 + count;
}

// ---------------------------------------------------------------------------------------------
// The string format.

/** Redis's isHLLObjectOrReply test for a string value: header, magic, encoding, dense size. */
export function isHllString(value: string): boolean {
  if (value.length < HLL_HDR_SIZE) return false;
  if (value.charCodeAt(0) !== 0x48 || value.charCodeAt(1) !== 0x59) return false; // "HY"
  if (value.charCodeAt(2) !== 0x4c || value.charCodeAt(3) !== 0x4c) return false; // "LL"
  const encoding = value.charCodeAt(4);
  if (encoding > HLL_SPARSE) return false;
  return encoding !== HLL_DENSE || value.length === HLL_DENSE_SIZE;
}

/** The encoding byte of a string that passed isHllString. */
export function hllEncoding(value: string): number {
  return value.charCodeAt(4);
}

/** The cached cardinality in the header, or null when the cache is marked invalid. */
export function hllCachedCardinality(value: string): bigint | null {
  if ((value.charCodeAt(15) & CARD_INVALID) !== 0) return null;
  let card = 0n;
  for (let i = 15; i >= 8; i--) card = (card << 8n) | BigInt(value.charCodeAt(i));
  return card;
}

/**
 * `value` with `card` stored in its header cache, marked valid (Redis's PFCOUNT write-back: bytes
 * 8..15, little endian; the top bit of byte 15 is the invalid flag, clear as card < 2^63).
 */
export function hllWithCachedCardinality(value: string, card: number | bigint): string {
  let rest = BigInt(card);
  let header = "";
  for (let i = 8; i < 16; i++) {
    header += String.fromCharCode(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return value.slice(0, 8) + header + value.slice(16);
}

const isZero = (op: number) => (op & 0xc0) === 0;
const isXzero = (op: number) => (op & 0xc0) === 0x40;
const valSet = (value: number, len: number) => 0x80 | ((value - 1) << 2) | (len - 1);

/**
 * A HyperLogLog being edited: its bytes (a capacity with a zero byte past the end, like the NUL
 * after an sds string, which Redis's dense register macros and sparse reader may touch) and length.
 */
export class Hll {
  /**
   * Redis's hll-sparse-max-bytes: a sparse edit that would make the string (header included)
   * longer than this promotes to dense instead.
   */
  sparseMaxBytes = HLL_SPARSE_MAX_BYTES;

  private constructor(public bytes: Uint8Array, public length: number) {}

  /** A new, empty HLL as Redis creates it: sparse, one XZERO covering every register. */
  static create(sparseMaxBytes = HLL_SPARSE_MAX_BYTES): Hll {
    const bytes = new Uint8Array(64);
    bytes.set([0x48, 0x59, 0x4c, 0x4c, HLL_SPARSE]);
    bytes[HLL_HDR_SIZE] = 0x40 | ((HLL_REGISTERS - 1) >> 8);
    bytes[HLL_HDR_SIZE + 1] = (HLL_REGISTERS - 1) & 0xff;
    const hll = new Hll(bytes, HLL_HDR_SIZE + 2);
    hll.sparseMaxBytes = sparseMaxBytes;
    return hll;
  }

  /** Copies a string that passed isHllString. */
  static from(value: string, sparseMaxBytes = HLL_SPARSE_MAX_BYTES): Hll {
    const length = value.length;
    const capacity = value.charCodeAt(4) === HLL_DENSE ? length + 1 : length + 64;
    const bytes = new Uint8Array(capacity);
    for (let i = 0; i < length; i++) bytes[i] = value.charCodeAt(i);
    const hll = new Hll(bytes, length);
    hll.sparseMaxBytes = sparseMaxBytes;
    return hll;
  }

  get encoding(): number {
    return this.bytes[4];
  }

  toBinary(): string {
    return bytesToBinary(this.bytes, 0, this.length);
  }

  invalidateCache(): void {
    this.bytes[15] |= CARD_INVALID;
  }

  /** Adds one element: 1 when a register changed, 0 when not, -1 for a corrupted HLL. */
  add(element: string): number {
    const packed = hllPatLen(element);
    return this.set(packed >> 6, packed & 63);
  }

  /** Raises register `index` to `count` if lower: 1 changed, 0 not, -1 corrupted. */
  set(index: number, count: number): number {
    return this.bytes[4] === HLL_DENSE
      ? this.#denseSet(index, count)
      : this.#sparseSet(index, count);
  }

  /** Register `index` of a dense HLL (PFDEBUG GETREG). */
  denseRegister(index: number): number {
    const b = this.bytes;
    const bit = index * 6;
    const byte = HLL_HDR_SIZE + (bit >> 3);
    const fb = bit & 7;
    return ((b[byte] >> fb) | (b[byte + 1] << (8 - fb))) & REGISTER_MAX;
  }

  #denseSet(index: number, count: number): number {
    const b = this.bytes;
    const bit = index * 6;
    const byte = HLL_HDR_SIZE + (bit >> 3);
    const fb = bit & 7;
    const fb8 = 8 - fb;
    const old = ((b[byte] >> fb) | (b[byte + 1] << fb8)) & REGISTER_MAX;
    if (count <= old) return 0;
    b[byte] = (b[byte] & ~(REGISTER_MAX << fb)) | (count << fb);
    b[byte + 1] = (b[byte + 1] & ~(REGISTER_MAX >> fb8)) | (count >> fb8);
    return 1;
  }

  #ensureRoom(extra: number): void {
    if (this.length + extra + 1 <= this.bytes.length) return;
    const bigger = new Uint8Array((this.length + extra + 1) * 2);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  #setLength(length: number): void {
    this.length = length;
    this.bytes[length] = 0;
  }

  /** Redis's hllSparseSet: edit the opcode covering `index` in place, promote when needed. */
  #sparseSet(index: number, count: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.#promote(index, count);
    this.#ensureRoom(3); // the worst split: XZERO → XZERO VAL XZERO
    const b = this.bytes;
    // Step 1: find the opcode covering the register.
    let p = HLL_HDR_SIZE;
    let end = this.length;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p];
      let oplen = 1;
      if (isZero(op)) span = (op & 0x3f) + 1;
      else if (op & 0x80) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p];
    let next = isXzero(op) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const zero = isZero(op);
    const xzero = isXzero(op);
    const runlen = span;

    // Step 2: the trivial cases, else the replacement sequence.
    let trivial = false;
    if (!zero && !xzero) {
      const oldcount = ((op >> 2) & 0x1f) + 1;
      if (oldcount >= count) return 0;
      if (runlen === 1) {
        b[p] = valSet(count, 1);
        trivial = true;
      }
    } else if (zero && runlen === 1) {
      b[p] = valSet(count, 1);
      trivial = true;
    }
    if (!trivial) {
      const seq: number[] = [];
      const last = first + span - 1;
      const zeros = (len: number) => {
        if (len > SPARSE_ZERO_MAX_LEN) seq.push(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
        else seq.push(len - 1);
      };
      if (zero || xzero) {
        if (index !== first) zeros(index - first);
        seq.push(valSet(count, 1));
        if (index !== last) zeros(last - index);
      } else {
        const current = ((op >> 2) & 0x1f) + 1;
        if (index !== first) seq.push(valSet(current, index - first));
        seq.push(valSet(count, 1));
        if (index !== last) seq.push(valSet(current, last - index));
      }
      // Step 3: put the sequence in place of the opcode.
      const delta = seq.length - (xzero ? 2 : 1);
      if (delta > 0 && this.length + delta > this.sparseMaxBytes) {
        return this.#promote(index, count);
      }
      if (delta !== 0 && next >= 0) b.copyWithin(next + delta, next, end);
      this.#setLength(this.length + delta);
      b.set(seq, p);
      end += delta;
    }

    // Step 4: merge adjacent VALs of equal value, scanning up to 5 opcodes from the previous one.
    p = prev >= 0 ? prev : HLL_HDR_SIZE;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const a = b[p];
      if (isXzero(a)) {
        p += 2;
        continue;
      }
      if (isZero(a)) {
        p++;
        continue;
      }
      if (p + 1 < end && (b[p + 1] & 0x80) !== 0) {
        const c = b[p + 1];
        const v1 = ((a >> 2) & 0x1f) + 1;
        if (v1 === ((c >> 2) & 0x1f) + 1) {
          const len = (a & 3) + 1 + (c & 3) + 1;
          if (len <= SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valSet(v1, len);
            b.copyWithin(p, p + 1, end);
            this.#setLength(this.length - 1);
            end--;
            continue; // try the merged VAL with the next one
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  #promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return this.#denseSet(index, count);
  }

  /** Redis's hllSparseToDense (the header is kept but for the encoding); false when corrupted. */
  toDense(): boolean {
    if (this.bytes[4] === HLL_DENSE) return true;
    const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
    const b = this.bytes;
    dense.set(b.subarray(0, HLL_HDR_SIZE));
    dense[4] = HLL_DENSE;
    const end = this.length;
    let idx = 0;
    let p = HLL_HDR_SIZE;
    while (p < end) {
      const op = b[p];
      if (isZero(op)) {
        idx += (op & 0x3f) + 1;
        p++;
      } else if (isXzero(op)) {
        idx += (((op & 0x3f) << 8) | b[p + 1]) + 1;
        p += 2;
      } else {
        let runlen = (op & 3) + 1;
        const value = ((op >> 2) & 0x1f) + 1;
        if (runlen + idx > HLL_REGISTERS) return false; // see hllMergeInto
        while (runlen-- > 0) {
          const bit = idx * 6;
          const byte = HLL_HDR_SIZE + (bit >> 3);
          const fb = bit & 7;
          dense[byte] |= value << fb;
          dense[byte + 1] |= value >> (8 - fb);
          idx++;
        }
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    dense[HLL_DENSE_SIZE] = 0;
    this.bytes = dense;
    this.length = HLL_DENSE_SIZE;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading: merge into a register array, histogram, estimate.

function denseRegister(value: string, index: number): number {
  const bit = index * 6;
  const byte = HLL_HDR_SIZE + (bit >> 3);
  const fb = bit & 7;
  const b0 = value.charCodeAt(byte);
  const b1 = byte + 1 < value.length ? value.charCodeAt(byte + 1) : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX;
}

/**
 * Redis's hllMerge: max[i] = max(max[i], register i) for a string that passed isHllString; false
 * when a sparse HLL is corrupted (its runs do not cover exactly the 16384 registers, or go on
 * past them).
 */
export function hllMergeInto(max: Uint8Array, value: string): boolean {
  if (value.charCodeAt(4) === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = denseRegister(value, i);
      if (r > max[i]) max[i] = r;
    }
    return true;
  }
  const end = value.length;
  let i = 0;
  let p = HLL_HDR_SIZE;
  while (p < end) {
    const op = value.charCodeAt(p);
    if (isZero(op)) {
      i += (op & 0x3f) + 1;
      p++;
    } else if (isXzero(op)) {
      i += (((op & 0x3f) << 8) | (p + 1 < end ? value.charCodeAt(p + 1) : 0)) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const r = ((op >> 2) & 0x1f) + 1;
      // A VAL past the last register is corruption even when the runs before it cover exactly
      // 16384: redis-server 7.0.15 as Debian ships it (with the CVE-2025-32023 fix) refuses it
      // (7.0.15 itself stopped there and accepted the HLL).
      if (runlen + i > HLL_REGISTERS) return false;
      while (runlen-- > 0) {
        if (r > max[i]) max[i] = r;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** Histogram of register values (64 slots) of a string that passed isHllString; null = corrupted. */
export function hllHistogram(value: string): Int32Array | null {
  const histo = new Int32Array(64);
  if (value.charCodeAt(4) === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) histo[denseRegister(value, i)]++;
    return histo;
  }
  // Redis's hllSparseRegHisto: no overflow check, only the total must be right.
  const end = value.length;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  while (p < end) {
    const op = value.charCodeAt(p);
    if (isZero(op)) {
      const runlen = (op & 0x3f) + 1;
      idx += runlen;
      histo[0] += runlen;
      p++;
    } else if (isXzero(op)) {
      const runlen = (((op & 0x3f) << 8) | (p + 1 < end ? value.charCodeAt(p + 1) : 0)) + 1;
      idx += runlen;
      histo[0] += runlen;
      p += 2;
    } else {
      const runlen = (op & 3) + 1;
      idx += runlen;
      histo[((op >> 2) & 0x1f) + 1] += runlen;
      p++;
    }
  }
  return idx === HLL_REGISTERS ? histo : null;
}

/** Histogram of a plain register array (the merged HLL of a multi-key PFCOUNT). */
export function registersHistogram(registers: Uint8Array): Int32Array {
  const histo = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[registers[i] & 63]++;
  return histo;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y; // pow(1 - x, 2) is exactly the rounded square
  } while (zPrime !== z);
  return z / 3;
}

/** LLONG_MIN: what llroundl gives on x86-64 for an out-of-range estimate (crafted registers). */
const LLONG_MIN = -(2n ** 63n);

/** Redis 7's hllCount estimate from the register histogram, rounded like llroundl. */
export function hllEstimate(histo: Int32Array): number | bigint {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  const e = Math.round(ALPHA_INF * m * m / z); // positive: ties away from zero, as llroundl
  if (!(e < 2 ** 63)) return LLONG_MIN;
  return Number.isSafeInteger(e) ? e : BigInt(e);
}

// ---------------------------------------------------------------------------------------------
// PFDEBUG DECODE and PFSELFTEST.

/**
 * PFDEBUG DECODE: the opcodes of a sparse HLL as text, "z:LEN" (ZERO), "Z:LEN" (XZERO) and
 * "v:VALUE,LEN" (VAL), space-separated. Corrupted strings decode as they are (a cut-off XZERO
 * reads a 0 for its missing byte, the NUL Redis keeps after every string).
 */
export function hllSparseDecode(value: string): string {
  const out: string[] = [];
  const end = value.length;
  let p = HLL_HDR_SIZE;
  while (p < end) {
    const op = value.charCodeAt(p);
    if (isZero(op)) {
      out.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if (isXzero(op)) {
      const low = p + 1 < end ? value.charCodeAt(p + 1) : 0;
      out.push(`Z:${(((op & 0x3f) << 8) | low) + 1}`);
      p += 2;
    } else {
      out.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return out.join(" ");
}

/** How many elements PFSELFTEST adds (Redis goes to 10^7; the checks are the same up to here). */
export const HLL_SELFTEST_ELEMENTS = 1_000_000;

/**
 * PFSELFTEST, after Redis's: dense registers keep random values without touching their
 * neighbours, then distinct 8-byte elements go into a dense and a sparse HLL at once, which must
 * stay sparse while small, agree, and estimate each power of ten within six standard errors.
 * null when every check passes, else the error text.
 */
export function hllSelfTest(
  random: () => number,
  sparseMaxBytes = HLL_SPARSE_MAX_BYTES,
  elements = HLL_SELFTEST_ELEMENTS,
): string | null {
  // Test 1: register access.
  const dense = Hll.from("HYLL" + "\0".repeat(HLL_DENSE_SIZE - 4), sparseMaxBytes);
  const expected = new Uint8Array(HLL_REGISTERS);
  const b = dense.bytes;
  for (let cycle = 0; cycle < 20; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(random() * 64);
      expected[i] = r;
      const bit = i * 6;
      const byte = HLL_HDR_SIZE + (bit >> 3);
      const fb = bit & 7;
      b[byte] = (b[byte] & ~(REGISTER_MAX << fb)) | (r << fb);
      b[byte + 1] = (b[byte + 1] & ~(REGISTER_MAX >> (8 - fb))) | (r >> (8 - fb));
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = dense.denseRegister(i);
      if (r !== expected[i]) {
        return `TESTFAILED Register ${i} should be ${expected[i]} but is ${r}`;
      }
    }
  }
  // Test 2: approximation error, dense and sparse side by side.
  b.fill(0, HLL_HDR_SIZE, HLL_DENSE_SIZE + 1);
  const sparse = Hll.create(sparseMaxBytes);
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seedLo = Math.floor(random() * 2 ** 32);
  const seedHi = Math.floor(random() * 2 ** 32);
  const tail = String.fromCharCode(
    seedHi & 0xff,
    (seedHi >>> 8) & 0xff,
    (seedHi >>> 16) & 0xff,
    seedHi >>> 24,
  );
  const count = (hll: Hll) => hllEstimate(hllHistogram(hll.toBinary()) as Int32Array);
  let checkpoint = 1;
  for (let j = 1; j <= elements; j++) {
    const lo = (j ^ seedLo) >>> 0;
    const element =
      String.fromCharCode(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24) +
      tail;
    dense.add(element);
    sparse.add(element);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparse.encoding !== HLL_SPARSE) {
      return "TESTFAILED sparse encoding not used";
    }
    const estimate = count(dense);
    if (estimate !== count(sparse)) return "TESTFAILED dense/sparse disagree";
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    const abserr = Math.abs(checkpoint - Number(estimate));
    if (abserr > maxerr) {
      return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    }
    checkpoint *= 10;
  }
  return null;
}
