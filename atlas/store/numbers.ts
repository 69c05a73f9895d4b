/**
 * Redis's number rules: strict int64 parsing (util.c string2ll), strtod-like float parsing, the
 * `%.17g` double formatting Redis 7.0 replies with, and the 80-bit long double arithmetic of
 * INCRBYFLOAT / HINCRBYFLOAT (emulated exactly with BigInt, then printed `%.17Lf` trimmed).
 */

/** An int64: a number when it is a safe integer, a bigint otherwise. */
export type Int64 = number | bigint;

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Parses like Redis string2ll: optional '-', no '+', no leading zeros, no spaces, int64 range. */
export function parseInt64(text: string): Int64 | null {
  const len = text.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  let negative = false;
  if (text.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
    if (len === 1) return null;
  }
  const first = text.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null; // "0" only; "-0" and "01" are rejected
  if (first < 49 || first > 57) return null;
  let value = 0;
  for (let j = i; j < len; j++) {
    const c = text.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return null;
    value = value * 10 + c;
  }
  if (len - i <= 15) return negative ? -value : value;
  const big = BigInt(text);
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return normalizeInt64(big);
}

/** Brings an int64 to its canonical form: a number when safe. */
export function normalizeInt64(value: bigint): Int64 {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

/** a + b as int64, or null on overflow (Redis: "increment or decrement would overflow"). */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const big = BigInt(a) + BigInt(b);
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return normalizeInt64(big);
}

/** Negates an int64 (DECRBY); null for INT64_MIN, which has no int64 negation. */
export function negateInt64(a: Int64): Int64 | null {
  if (typeof a === "number") return -a;
  if (a === INT64_MIN) return null;
  return normalizeInt64(-a);
}

export function int64ToString(value: Int64): string {
  return typeof value === "number" ? String(value) : value.toString();
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;

/**
 * Parses a double like Redis getDoubleFromObject (strtod): decimal or inf/infinity; rejects
 * spaces, trailing bytes, NaN, and overflow/underflow (ERANGE). Returns null when invalid.
 */
export function parseDouble(text: string): number | null {
  const len = text.length;
  if (len === 0 || len > 5000) return null;
  // The common case without a regex: plain digits (ZADD's scores), exact up to 15 of them.
  if (len <= 15) {
    let value = 0;
    let i = 0;
    for (; i < len; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (i === len) return value;
  }
  if (!FLOAT_RE.test(text)) {
    if (INF_RE.test(text)) return text.charCodeAt(0) === 45 ? -Infinity : Infinity;
    return null;
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return null; // ERANGE overflow
  if (value === 0 && /[1-9]/.test(text.replace(/[eE].*$/, ""))) return null; // ERANGE underflow
  return value;
}

/** Formats a double like C printf "%.17g" (Redis 7.0 addReplyDouble, ZSCORE, WITHSCORES). */
export function formatDouble(value: number): string {
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Number.isNaN(value)) return "nan";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  if (Number.isInteger(value) && Math.abs(value) < 1e17) return String(value);
  const exp = value.toExponential(16); // d.dddddddddddddddde±x: 17 significant digits
  const ePos = exp.indexOf("e");
  const negative = exp.charCodeAt(0) === 45;
  const digits = exp.slice(negative ? 0 : 0, ePos).replace("-", "").replace(".", "");
  const e = Number(exp.slice(ePos + 1));
  const sign = negative ? "-" : "";
  if (e < -4 || e >= 17) {
    let mantissa = digits[0] + "." + digits.slice(1);
    mantissa = trimFraction(mantissa);
    const absE = Math.abs(e);
    return `${sign}${mantissa}e${e < 0 ? "-" : "+"}${absE < 10 ? "0" : ""}${absE}`;
  }
  let fixed: string;
  if (e < 0) fixed = "0." + "0".repeat(-e - 1) + digits;
  else fixed = digits.slice(0, e + 1) + "." + digits.slice(e + 1);
  return sign + trimFraction(fixed);
}

function trimFraction(text: string): string {
  if (text.indexOf(".") < 0) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

// ---- 80-bit long double emulation (x87 extended: 64-bit significand) ----

/** value = (negative ? -1 : 1) * mantissa * 2^exponent, mantissa < 2^64 (0 for zero). */
interface LongDouble {
  negative: boolean;
  mantissa: bigint;
  exponent: number;
}

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const LD_EXP_MAX = 16384; // values at or above 2^16384 overflow to inf
const LD_EXP_MIN = -16445; // below the smallest subnormal: underflow

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** Rounds num/den (both > 0) to a 64-bit significand, half to even. */
function roundRational(negative: boolean, num: bigint, den: bigint): LongDouble {
  let exponent = bitLength(num) - bitLength(den) - 64;
  for (;;) {
    const n = exponent >= 0 ? num : num << BigInt(-exponent);
    const d = exponent >= 0 ? den << BigInt(exponent) : den;
    let q = n / d;
    if (q >= TWO_64) {
      exponent++;
      continue;
    }
    if (q < TWO_63) {
      exponent--;
      continue;
    }
    const twiceR = (n % d) * 2n;
    if (twiceR > d || (twiceR === d && (q & 1n) === 1n)) q++;
    if (q === TWO_64) return { negative, mantissa: TWO_63, exponent: exponent + 1 };
    return { negative, mantissa: q, exponent };
  }
}

/**
 * strtold for Redis getLongDoubleFromObject: decimal or inf; null when invalid, NaN, or out of
 * range. Infinity comes back as exponent = Infinity.
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= 5 * 1024) return null;
  if (!FLOAT_RE.test(text)) {
    if (!INF_RE.test(text)) return null;
    return { negative: text.charCodeAt(0) === 45, mantissa: TWO_63, exponent: Infinity };
  }
  const negative = text.charCodeAt(0) === 45;
  const body = text.replace(/^[+-]/, "");
  const ePos = body.search(/[eE]/);
  const numberPart = ePos < 0 ? body : body.slice(0, ePos);
  let decExp = ePos < 0 ? 0 : Number(body.slice(ePos + 1));
  const dot = numberPart.indexOf(".");
  const digits = dot < 0 ? numberPart : numberPart.slice(0, dot) + numberPart.slice(dot + 1);
  if (dot >= 0) decExp -= numberPart.length - dot - 1;
  const significand = BigInt(digits.length === 0 ? "0" : digits);
  if (significand === 0n) return { negative, mantissa: 0n, exponent: 0 };
  const magnitude = digits.replace(/^0+/, "").length + decExp; // ~ log10(value) + 1
  if (magnitude > 4933) return null; // ERANGE overflow
  if (magnitude < -4950) return null; // ERANGE underflow
  if (decExp >= 0) return roundRational(negative, significand * 10n ** BigInt(decExp), 1n);
  return roundRational(negative, significand, 10n ** BigInt(-decExp));
}

/**
 * ceill(value * 1000) with the product rounded as a long double (Redis turns a blocking
 * command's timeout into milliseconds this way); value must be finite.
 */
export function ceilLongDoubleTimes1000(value: LongDouble): bigint {
  if (value.mantissa === 0n) return 0n;
  const num = value.mantissa * 1000n;
  const p = value.exponent >= 0
    ? roundRational(value.negative, num << BigInt(value.exponent), 1n)
    : roundRational(value.negative, num, 1n << BigInt(-value.exponent));
  if (p.exponent >= 0) {
    const whole = p.mantissa << BigInt(p.exponent);
    return p.negative ? -whole : whole;
  }
  const den = 1n << BigInt(-p.exponent);
  const whole = p.mantissa / den;
  if (p.negative) return -whole; // toward +inf: drop the fraction (-0.4 gives 0)
  return p.mantissa % den === 0n ? whole : whole + 1n;
}

/** a + b in long double arithmetic (one rounding). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.exponent === Infinity || b.exponent === Infinity) {
    if (a.exponent === Infinity && b.exponent === Infinity && a.negative !== b.negative) {
      return { negative: false, mantissa: 0n, exponent: NaN };
    }
    return a.exponent === Infinity ? a : b;
  }
  if (a.mantissa === 0n) return b;
  if (b.mantissa === 0n) return a;
  const exponent = Math.min(a.exponent, b.exponent);
  const sa = (a.negative ? -a.mantissa : a.mantissa) << BigInt(a.exponent - exponent);
  const sb = (b.negative ? -b.mantissa : b.mantissa) << BigInt(b.exponent - exponent);
  const sum = sa + sb;
  if (sum === 0n) return { negative: false, mantissa: 0n, exponent: 0 };
  const negative = sum < 0n;
  const abs = negative ? -sum : sum;
  const result = exponent >= 0
    ? roundRational(negative, abs << BigInt(exponent), 1n)
    : roundRational(negative, abs, 1n << BigInt(-exponent));
  if (result.exponent + 64 > LD_EXP_MAX) return { ...result, exponent: Infinity };
  if (result.exponent < LD_EXP_MIN) return { negative, mantissa: 0n, exponent: 0 };
  return result;
}

/** True when the value is NaN or infinite (INCRBYFLOAT's "would produce NaN or Infinity"). */
export function isLongDoubleSpecial(value: LongDouble): boolean {
  return !Number.isFinite(value.exponent);
}

/** Formats like Redis ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and '.' removed. */
export function formatLongDoubleHuman(value: LongDouble): string {
  if (value.mantissa === 0n) return "0";
  let scaled: bigint; // round(|value| * 10^17), half to even (glibc prints the exact binary value)
  const tenPow = 10n ** 17n;
  if (value.exponent >= 0) {
    scaled = (value.mantissa << BigInt(value.exponent)) * tenPow;
  } else {
    const num = value.mantissa * tenPow;
    const den = 1n << BigInt(-value.exponent);
    scaled = num / den;
    const twiceR = (num % den) * 2n;
    if (twiceR > den || (twiceR === den && (scaled & 1n) === 1n)) scaled++;
  }
  let digits = scaled.toString().padStart(18, "0");
  digits = digits.slice(0, digits.length - 17) + "." + digits.slice(digits.length - 17);
  const text = trimFraction(digits);
  if (text === "0") return "0";
  return (value.negative ? "-" : "") + text;
}

const HEX_FLOAT_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

/** n / 2^shift rounded half to even (shift > 0). */
function shiftRound(n: bigint, shift: number): bigint {
  const s = BigInt(shift);
  const q = n >> s;
  const rem = n & ((1n << s) - 1n);
  const half = 1n << (s - 1n);
  return rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
}

/**
 * A C99 hex float as glibc's strtold reads it ("0x10", "0x1.8p3", "-0X.8"): the value rounded to
 * a 64-bit significand (subnormals to multiples of 2^-16445), or null when it is not one or when
 * strtold reports ERANGE with an infinite or zero result, which Redis refuses.
 */
function parseHexLongDouble(text: string): LongDouble | null {
  const m = HEX_FLOAT_RE.exec(text);
  if (m === null) return null;
  const [, sign, whole, fraction = "", exp] = m;
  if (whole.length + fraction.length === 0) return null; // "0x" alone is "0" and junk
  const negative = sign === "-";
  const digits = BigInt("0x" + whole + fraction);
  if (digits === 0n) return { negative, mantissa: 0n, exponent: 0 };
  const p = exp === undefined ? 0 : Math.max(-1e6, Math.min(1e6, Number(exp)));
  const e2 = p - 4 * fraction.length; // value = digits * 2^e2, exactly
  const bits = bitLength(digits);
  if (e2 + bits - 1 >= LD_EXP_MAX) return null; // overflow even before rounding
  if (e2 + bits - 1 < -16382) {
    // Below the normal range: a multiple of the smallest subnormal (0 is an underflow error).
    const shift = LD_EXP_MIN - e2;
    const units = shift <= 0 ? digits << BigInt(-shift) : shiftRound(digits, shift);
    if (units === 0n) return null;
    const width = bitLength(units);
    return {
      negative,
      mantissa: units << BigInt(64 - width),
      exponent: LD_EXP_MIN - 64 + width,
    };
  }
  let mantissa: bigint;
  let exponent: number;
  if (bits > 64) {
    mantissa = shiftRound(digits, bits - 64);
    exponent = e2 + bits - 64;
    if (mantissa === 1n << 64n) {
      mantissa = 1n << 63n;
      exponent++;
    }
  } else {
    mantissa = digits << BigInt(64 - bits);
    exponent = e2 - (64 - bits);
  }
  if (exponent + 64 > LD_EXP_MAX) return null; // rounded up to 2^16384: overflow
  return { negative, mantissa, exponent };
}

/**
 * A long double as Redis's string2ld reads one with strtold (INCRBYFLOAT, HINCRBYFLOAT, blocking
 * timeouts): decimal, inf, and also C99 hex floats; finite values past LDBL_MAX, or so small
 * they round to 0, are errors (ERANGE), as are NaN and junk.
 */
export function parseStrtold(text: string): LongDouble | null {
  if (text.length >= 5 * 1024) return null; // MAX_LONG_DOUBLE_CHARS
  const value = parseLongDouble(text);
  if (value === null) return parseHexLongDouble(text);
  if (value.mantissa === 0n || !Number.isFinite(value.exponent)) return value;
  if (value.exponent + 64 > LD_EXP_MAX) return null;
  // At or below 2^-16446, half the smallest subnormal, strtold underflows to 0.
  const log2 = value.exponent + bitLength(value.mantissa) - 1;
  if (log2 < LD_EXP_MIN - 1) return null;
  if (log2 === LD_EXP_MIN - 1 && value.mantissa === 1n << 63n) return null;
  return value;
}
