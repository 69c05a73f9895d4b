/**
 * Seeds a new cluster member's Raft storage from a restored keyspace: the bootstrap membership,
 * then a snapshot holding the data at the last bootstrap index. Every member of the new cluster
 * seeded from the same backup starts from the same state at the same index.
 *
 * `foundFromStandaloneData` does the same for the growth path: a node's first start with `--raft`
 * on the data directory a standalone node (`helios serve`, `helios atlasd`) wrote carries that
 * data into the new cluster instead of starting empty beside it.
 */
import { join } from "node:path";
import { AtlasEngine, type AtlasLogger, type Store } from "../../atlas/mod.ts";
import { FileStorage } from "../../raft/mod.ts";
import { AtlasStateMachine } from "./state_machine.ts";

export async function seedRaftStorage(
  dir: string,
  voters: string[],
  store: Store,
): Promise<number> {
  const storage = FileStorage.openSync(dir, { bootstrap: { voters, learners: [] } });
  const index = storage.lastIndex();
  const data = new AtlasStateMachine(store).snapshot();
  storage.createSnapshot(index, { voters: [...voters].sort(), learners: [] }, data);
  storage.compact(index);
  await storage.close();
  return index;
}

/** A standalone data set that a new cluster of several founders cannot start from. */
export class StandaloneDataError extends Error {
  override name = "StandaloneDataError";
}

/** The standalone engine's files (atlas/aof/layout.ts: AOF_PATTERN, SNAPSHOT_PATTERN). */
const STANDALONE_FILE = /^(appendonly\.\d{1,9}\.aof|snapshot\.\d{1,9}\.snap)$/;

function standaloneFiles(dataDir: string): string[] {
  try {
    return [...Deno.readDirSync(dataDir)]
      .filter((e) => e.isFile && STANDALONE_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Raft snapshot files (raft/storage/file.ts); a member keeps at least one once it has any. */
const RAFT_SNAPSHOT_FILE = /^snap-\d{16}\.snap$/;

/** True when the Raft directory holds nothing yet: this start founds (or joins) a cluster. */
async function raftStorageIsFresh(raftDir: string, logger: AtlasLogger): Promise<boolean> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(raftDir)].map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
  if (names.length === 0) return true;
  if (names.some((name) => RAFT_SNAPSHOT_FILE.test(name))) return false;
  // Log segments, but maybe no record yet (a crash before the first write leaves an empty one).
  const storage = FileStorage.openSync(raftDir, {
    onTornTail: (file, offset, droppedBytes) =>
      logger.warn("Truncated a torn Raft log tail", { file, offset, dropped_bytes: droppedBytes }),
  });
  try {
    return storage.lastIndex() === 0;
  } finally {
    await storage.close();
  }
}

/**
 * The standalone data files a joining node (`--raft-join`) leaves behind on its first start: it
 * takes the cluster's data from the leader's snapshot, so a data set its data directory holds is
 * not served (and not touched). Empty when there is none or the node has Raft state already.
 */
export async function standaloneDataLeftBehind(
  dataDir: string,
  raftDir: string,
  logger: AtlasLogger,
): Promise<string[]> {
  const files = standaloneFiles(dataDir).filter((name) =>
    Deno.statSync(join(dataDir, name)).size > 0
  );
  if (files.length === 0 || !(await raftStorageIsFresh(raftDir, logger))) return [];
  return files.map((name) => join(dataDir, name));
}

export interface FoundFromStandaloneOptions {
  /** The data directory a standalone node used (its AOF and snapshots). */
  dataDir: string;
  /** This member's Raft directory. */
  raftDir: string;
  nodeId: string;
  /** The other founders (`--raft-peers`); empty for a one-node cluster. */
  peerIds: string[];
  /** Module commands the standalone AOF may hold (replayed before the data is read). */
  extend: (store: Store) => void;
  /** Cut a torn final AOF record (atlas.aof_load_truncated), as the standalone node would. */
  aofLoadTruncated: boolean;
  /** The standalone node's `databases` (atlas.databases; default 16). */
  databases?: number;
  logger: AtlasLogger;
}

/**
 * On a founder's first start (its Raft directory is fresh), carries the standalone data set in
 * its data directory into the new cluster: the keyspace, TTL deadlines included, becomes the
 * cluster's first snapshot, exactly as `helios restore --raft` would seed it. Returns the number
 * of keys carried over, or null when there was nothing to carry (no standalone files, an empty
 * data set, or Raft state already there). The standalone files are left as they were; the
 * cluster never reads them again.
 *
 * Several founders (`--raft-peers`) cannot start from it: the others would start empty at the same
 * log index and the replicas would differ. That start is refused (StandaloneDataError).
 */
export async function foundFromStandaloneData(
  options: FoundFromStandaloneOptions,
): Promise<number | null> {
  const { dataDir, raftDir, nodeId, peerIds, logger } = options;
  const files = standaloneFiles(dataDir);
  if (files.length === 0 || !(await raftStorageIsFresh(raftDir, logger))) return null;
  // The engine takes the data directory's lock: a standalone node still running on it is refused.
  const engine = await AtlasEngine.open({
    dataDir,
    fsync: "every",
    aofLoadTruncated: options.aofLoadTruncated,
    activeExpireHz: 0,
    snapshotIntervalMs: 0,
    logger,
    extend: options.extend,
    store: { databases: options.databases ?? 16 },
  });
  try {
    const keys = engine.store.stats.keys;
    if (keys === 0) return null;
    if (peerIds.length > 0) {
      throw new StandaloneDataError(
        `${dataDir} holds the data set of a standalone node (${keys} keys in ${
          files.join(", ")
        }), and "${nodeId}" would found a cluster with ${peerIds.join(", ")}: they would start ` +
          `empty and the replicas would differ. Start "${nodeId}" alone (without --raft-peers) ` +
          `to carry the data into a one-node cluster, then start the others with --raft-join ` +
          `and add them with \`helios cluster add-peer\`; or seed every founder from one backup ` +
          `(\`helios restore FILE --raft ...\`). See docs/cluster.md.`,
      );
    }
    const index = await seedRaftStorage(raftDir, [nodeId], engine.store);
    logger.info("Carried the standalone data set into the new cluster", {
      keys,
      files: files.map((name) => join(dataDir, name)),
      raft_dir: raftDir,
      snapshot_index: index,
    });
    return keys;
  } finally {
    await engine.close();
  }
}
