/**
 * Keyspace event classes (Redis's notify-keyspace-events): the bit of each class, parsing the
 * flag letters and rendering them back in Redis's canonical order. Commands report an event with
 * `ks.notify(EventClass.X, "name", key)`; the keyspace passes it on only when its class is on.
 */

/** The class bits, same values as Redis's NOTIFY_* constants. */
export const EventClass = {
  /** K: publish on `__keyspace@<db>__:<key>`. */
  Keyspace: 1 << 0,
  /** E: publish on `__keyevent@<db>__:<event>`. */
  Keyevent: 1 << 1,
  Generic: 1 << 2,
  String: 1 << 3,
  List: 1 << 4,
  Set: 1 << 5,
  Hash: 1 << 6,
  ZSet: 1 << 7,
  Expired: 1 << 8,
  Evicted: 1 << 9,
  Stream: 1 << 10,
  KeyMiss: 1 << 11,
  Loaded: 1 << 12,
  Module: 1 << 13,
  New: 1 << 14,
} as const;

/** "A": every class except key-miss and new (both must be asked for by letter, as in Redis). */
export const EVENT_CLASSES_ALL = EventClass.Generic | EventClass.String | EventClass.List |
  EventClass.Set | EventClass.Hash | EventClass.ZSet | EventClass.Expired | EventClass.Evicted |
  EventClass.Stream | EventClass.Module;

const LETTERS: Record<string, number> = {
  A: EVENT_CLASSES_ALL,
  g: EventClass.Generic,
  $: EventClass.String,
  l: EventClass.List,
  s: EventClass.Set,
  h: EventClass.Hash,
  z: EventClass.ZSet,
  x: EventClass.Expired,
  e: EventClass.Evicted,
  K: EventClass.Keyspace,
  E: EventClass.Keyevent,
  t: EventClass.Stream,
  m: EventClass.KeyMiss,
  d: EventClass.Module,
  n: EventClass.New,
};

/** The error text CONFIG SET gives for a letter that names no class. */
export const INVALID_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** Flag letters → bits; null when a character names no class. "" is 0 (notifications off). */
export function parseKeyspaceEvents(text: string): number | null {
  let flags = 0;
  for (const c of text) {
    const bits = LETTERS[c];
    if (bits === undefined) return null;
    flags |= bits;
  }
  return flags;
}

/** Bits → Redis's canonical letters: "A" when every class of A is on, then K, E and m. */
export function formatKeyspaceEvents(flags: number): string {
  let out = "";
  if ((flags & EVENT_CLASSES_ALL) === EVENT_CLASSES_ALL) out = "A";
  else {
    for (const c of "g$lshzxetdn") if ((flags & LETTERS[c]) !== 0) out += c;
  }
  if ((flags & EventClass.Keyspace) !== 0) out += "K";
  if ((flags & EventClass.Keyevent) !== 0) out += "E";
  if ((flags & EventClass.KeyMiss) !== 0) out += "m";
  return out;
}
