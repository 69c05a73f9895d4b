/** For tests: the state a Raft directory's snapshot holds, as a replica would restore it. */
import { Store } from "../../../atlas/mod.ts";
import { FileStorage } from "../../../raft/mod.ts";
import { AtlasStateMachine } from "../state_machine.ts";

/** Restores the snapshot in `raftDir` into a fresh state machine with `databases` databases. */
export async function stateInRaftDir(raftDir: string, databases = 16): Promise<AtlasStateMachine> {
  const storage = FileStorage.openSync(raftDir);
  const machine = new AtlasStateMachine(new Store({ databases }));
  try {
    machine.restore(storage.snapshot());
  } finally {
    await storage.close();
  }
  return machine;
}
