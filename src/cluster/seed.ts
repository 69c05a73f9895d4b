/**
 * Seeds a new cluster member's Raft storage from a restored keyspace: the bootstrap membership,
 * then a snapshot holding the data at the last bootstrap index. Every member of the new cluster
 * seeded from the same backup starts from the same state at the same index.
 */
import type { Store } from "../../atlas/mod.ts";
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
