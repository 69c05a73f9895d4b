/**
 * Redis glob matching (util.c stringmatchlen) for KEYS, SCAN MATCH, PSUBSCRIBE: `*`, `?`,
 * `[abc]`, `[^a-z]`, and `\x` escapes. Iterative with one backtrack point, so hostile
 * patterns like `*a*a*a*b` cost O(pattern × text), never exponential time.
 */
export function globMatch(pattern: string, text: string): boolean {
  // stringmatchlen's loop runs only while both are non-empty: an empty text matches only the
  // empty pattern, not "*" or "**" (KEYS * and SCAN's "*" never get here: they match all).
  if (text.length === 0) return pattern.length === 0;
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  const plen = pattern.length;
  const tlen = text.length;
  while (t < tlen) {
    if (p < plen) {
      const c = pattern.charCodeAt(p);
      if (c === 42) { // '*'
        while (p < plen && pattern.charCodeAt(p) === 42) p++;
        if (p === plen) return true;
        starP = p;
        starT = t;
        continue;
      }
      const next = matchOne(pattern, p, text.charCodeAt(t));
      if (next >= 0) {
        p = next;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    t = ++starT;
  }
  while (p < plen && pattern.charCodeAt(p) === 42) p++;
  return p === plen;
}

/** Matches one pattern element at `p` against char code `ch`; the next pattern index or -1. */
function matchOne(pattern: string, p: number, ch: number): number {
  const plen = pattern.length;
  const c = pattern.charCodeAt(p);
  if (c === 63) return p + 1; // '?'
  if (c === 92 && p + 1 < plen) { // '\x'
    return pattern.charCodeAt(p + 1) === ch ? p + 2 : -1;
  }
  if (c !== 91) return c === ch ? p + 1 : -1; // not '['
  p++;
  const negate = p < plen && (pattern.charCodeAt(p) === 94); // '^' (Redis: only '^')
  if (negate) p++;
  let matched = false;
  for (;;) {
    if (p >= plen) {
      p--; // Redis: an unterminated class ends at the pattern's end
      break;
    }
    const k = pattern.charCodeAt(p);
    if (k === 93) break; // ']'
    if (k === 92 && p + 1 < plen) { // escaped char inside a class (also as the last one: "[\\]")
      p++;
      if (pattern.charCodeAt(p) === ch) matched = true;
    } else if (p + 2 < plen && pattern.charCodeAt(p + 1) === 45) { // range a-z
      // Redis compares (signed) chars: bytes 0x80-0xff are below 0 in a range.
      let lo = signedByte(k);
      let hi = signedByte(pattern.charCodeAt(p + 2));
      if (lo > hi) [lo, hi] = [hi, lo];
      const c = signedByte(ch);
      if (c >= lo && c <= hi) matched = true;
      p += 2;
    } else if (k === ch) {
      matched = true;
    }
    p++;
  }
  if (negate) matched = !matched;
  return matched ? p + 1 : -1;
}

/** A byte as a signed C char (x86): 0x80-0xff are -128..-1. */
function signedByte(code: number): number {
  return code >= 128 && code < 256 ? code - 256 : code;
}
