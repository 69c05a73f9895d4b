/**
 * Restoring a backup into a data directory: verified first (a corrupt file is refused before
 * anything is written), then loaded into an ATLAS engine and made durable with a snapshot — or,
 * for a new Raft cluster member, written as the Raft snapshot it starts from.
 */
import { AtlasEngine, databasesHeldBy, Store } from "../../atlas/mod.ts";
import { seedRaftStorage } from "../cluster/mod.ts";
import { ConflictError } from "../errors/app_error.ts";
import { type BackupEntry, type BackupMeta, decodeBackup } from "./format.ts";

export interface RestoreResult {
  meta: BackupMeta;
  keys: number;
}

function isEmptyDir(dir: string): boolean {
  try {
    for (const _ of Deno.readDirSync(dir)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

function load(store: Store, entries: BackupEntry[]): void {
  for (const e of entries) store.restoreValue(e.key, e.payload, e.expireAtMs);
}

/** Restores into a standalone node's data directory (must be empty). */
export async function restoreToDataDir(bytes: Uint8Array, dataDir: string): Promise<RestoreResult> {
  const { meta, entries } = decodeBackup(bytes);
  if (!isEmptyDir(dataDir)) {
    throw new ConflictError(
      `Refusing to restore into ${dataDir}: it is not empty (restore seeds a new node)`,
    );
  }
  const engine = await AtlasEngine.open({
    dataDir,
    fsync: "every",
    activeExpireHz: 0,
    // Room for every database the backup holds (the node's own `databases` must allow them).
    store: { databases: Math.max(16, databasesHeldBy(entries)) },
  });
  try {
    load(engine.store, entries);
    await engine.snapshot();
  } finally {
    await engine.close();
  }
  return { meta, keys: entries.length };
}

/** Restores into a new Raft member's raft directory (must be empty), for a cluster of `voters`. */
export async function restoreToRaftDir(
  bytes: Uint8Array,
  raftDir: string,
  voters: string[],
): Promise<RestoreResult> {
  const { meta, entries } = decodeBackup(bytes);
  if (!isEmptyDir(raftDir)) {
    throw new ConflictError(
      `Refusing to restore into ${raftDir}: it is not empty (restore seeds a new cluster)`,
    );
  }
  // Room for every database the backup holds (the members' own `databases` must allow them).
  const store = new Store({ databases: Math.max(16, databasesHeldBy(entries)) });
  load(store, entries);
  await seedRaftStorage(raftDir, voters, store);
  return { meta, keys: entries.length };
}
