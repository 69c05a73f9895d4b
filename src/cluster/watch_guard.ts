/**
 * WATCH across a Raft log. EXEC judges its watched keys on the node the client talks to, but the
 * transaction applies later, at its place in the log: a write another client made in between
 * (already proposed, or committed and not yet applied here) would not abort it, and two clients'
 * WATCH / GET / MULTI / SET / EXEC rounds on one counter could both succeed (a lost update).
 *
 * So a transaction with watched keys carries a guard as its first command: each key with the
 * fingerprint of its state when EXEC judged it (unchanged since WATCH, or EXEC would have
 * aborted already). Every replica checks the guard when it applies the entry, against its state
 * at that log position, and runs nothing if a key differs: the same decision everywhere, from the
 * log alone. A key that changed and came back to the same value and deadline passes, where Redis
 * would abort; nothing a client can observe tells the two apart.
 *
 * Watched keys are named as the server's WATCH bookkeeping names them, `<db>:<key>` (watchId):
 * the guard holds `HELIOS.WATCHGUARD key fingerprint ...` when every key is in database 0 (the
 * form entries always had), `HELIOS.WATCHGUARDDB db key fingerprint ...` otherwise.
 */
import { createHash } from "node:crypto";
import { error, type Reply, type Store } from "../../atlas/mod.ts";

/** `HELIOS.WATCHGUARD key fingerprint [key fingerprint ...]`: never run as a command. */
export const WATCH_GUARD = "helios.watchguard";
/** `HELIOS.WATCHGUARDDB db key fingerprint [db key fingerprint ...]`: the same, any database. */
export const WATCH_GUARD_DB = "helios.watchguarddb";

/** Every reply of a transaction whose guard failed: EXEC answers nil (the transaction aborted). */
const WATCH_CHANGED_TEXT = "EXECABORT a watched key changed before the transaction applied";
export const WATCH_CHANGED: Reply = error(WATCH_CHANGED_TEXT);

/** The key's state as a transaction may rely on: its value and deadline, or absent. */
export function watchFingerprint(store: Store, key: string, nowMs: number, db = 0): string {
  const expireAtMs = store.expireAtMs(key, db);
  const payload = expireAtMs !== null && expireAtMs <= nowMs ? null : store.dumpValue(key, db);
  if (payload === null) return "-";
  return createHash("sha1").update(payload, "latin1").update(`|${expireAtMs ?? ""}`).digest(
    "base64",
  );
}

/** The guard command for the watched keys (`<db>:<key>` each) as they are in `store` now. */
export function watchGuard(store: Store, watchIds: Iterable<string>, nowMs: number): string[] {
  const keys = [...watchIds].map((id) => {
    const colon = id.indexOf(":");
    return { db: Number(id.slice(0, colon)), key: id.slice(colon + 1) };
  });
  if (keys.every(({ db }) => db === 0)) {
    const guard = [WATCH_GUARD];
    for (const { key } of keys) guard.push(key, watchFingerprint(store, key, nowMs));
    return guard;
  }
  const guard = [WATCH_GUARD_DB];
  for (const { db, key } of keys) {
    guard.push(String(db), key, watchFingerprint(store, key, nowMs, db));
  }
  return guard;
}

/** Whether every key of `guard` still has its fingerprint. */
export function watchGuardHolds(store: Store, guard: readonly string[], nowMs: number): boolean {
  if (guard[0] === WATCH_GUARD_DB) {
    for (let i = 1; i + 2 < guard.length; i += 3) {
      const db = Number(guard[i]);
      if (!(db >= 0 && db < store.databases)) return false;
      if (watchFingerprint(store, guard[i + 1], nowMs, db) !== guard[i + 2]) return false;
    }
    return true;
  }
  for (let i = 1; i + 1 < guard.length; i += 2) {
    if (watchFingerprint(store, guard[i], nowMs) !== guard[i + 1]) return false;
  }
  return true;
}

export function isWatchGuard(argv: readonly string[] | undefined): boolean {
  return argv !== undefined && (argv[0] === WATCH_GUARD || argv[0] === WATCH_GUARD_DB);
}

export function isWatchChanged(reply: Reply | undefined): boolean {
  return reply !== undefined && reply.kind === "error" && reply.value === WATCH_CHANGED_TEXT;
}
