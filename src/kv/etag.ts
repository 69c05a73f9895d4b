/**
 * Strong entity tags for KV values: a SHA-256 prefix of the value's bytes. Content-derived, so
 * the gateway and the ATLAS module command (atlas_command.ts) compute the same tag independently,
 * and a write restoring an earlier value restores its tag (same representation, same tag).
 */
import { createHash } from "node:crypto";

// Tags of recently read or written short values. Every KV GET answers with the value's tag, and a
// SHA-256 through node:crypto costs ~1 µs, more than the rest of the read; a hot key's value hashes
// once. The tag is a pure function of the value, so a remembered one is always right. Bounded:
// only values up to TAG_MEMO_VALUE_MAX UTF-16 units, all forgotten when TAG_MEMO_MAX is reached.
const TAG_MEMO_MAX = 1024;
const TAG_MEMO_VALUE_MAX = 1024;
const textTags = new Map<string, string>();

/** The quoted ETag of a value given as a JS (UTF-16) string. */
export function etagOfText(value: string): string {
  if (value.length > TAG_MEMO_VALUE_MAX) return hashText(value);
  let tag = textTags.get(value);
  if (tag === undefined) {
    tag = hashText(value);
    if (textTags.size >= TAG_MEMO_MAX) textTags.clear();
    textTags.set(value, tag);
  }
  return tag;
}

function hashText(value: string): string {
  // update(string, "utf8") hashes the UTF-8 bytes without a Buffer per call (less garbage).
  return quote(createHash("sha256").update(value, "utf8").digest("base64url"));
}

/** The quoted ETag of a value given as a binary string (one char per byte). */
export function etagOfBinary(value: string): string {
  return quote(createHash("sha256").update(value, "latin1").digest("base64url"));
}

function quote(digest: string): string {
  return `"${digest.slice(0, 22)}"`;
}

/** The precondition an If-Match / If-None-Match pair asks for. */
export type Precondition =
  | { kind: "none" }
  | { kind: "absent" } // If-None-Match: *
  | { kind: "present" } // If-Match: *
  | { kind: "match"; etag: string }; // If-Match: "tag"

const TAG = /^(W\/)?"[\x21\x23-\x7e]*"$/;

/**
 * Reads the conditional headers of a write. Returns an error message for forms we cannot honour
 * atomically (several tags, weak tags, If-None-Match with a tag list).
 */
export function parsePrecondition(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
): Precondition | string {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    return "Send If-Match or If-None-Match, not both";
  }
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.trim() === "*" ? { kind: "absent" } : 'If-None-Match supports only "*"';
  }
  if (ifMatch === undefined) return { kind: "none" };
  const text = ifMatch.trim();
  if (text === "*") return { kind: "present" };
  if (!TAG.test(text)) return "If-Match must be one quoted entity tag or *";
  if (text.startsWith("W/")) return "If-Match needs a strong entity tag";
  return { kind: "match", etag: text };
}
