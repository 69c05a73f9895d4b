/**
 * `helios atlasd`: the ATLAS key-value server, speaking RESP so redis-cli and Redis clients work
 * unchanged. Standalone by default; `--raft` replicates through a Raft cluster.
 */
import type { Command } from "./command.ts";
import {
  configFlag,
  dataDirFlag,
  helpFlag,
  logLevelFlag,
  metricsListenFlag,
  raftFlags,
  syncModeFlag,
} from "./flags.ts";
import { configFrom, createDaemon } from "./runtime.ts";
import { startAtlasNode, StorageStartError } from "./atlas_node.ts";
import { clusterStoreModules, storeModules } from "./modules.ts";
import { startClusterNode } from "./cluster_node.ts";

export const atlasdCommand: Command = {
  name: "atlasd",
  summary: "Run the ATLAS key-value server (Redis protocol on :6379)",
  synopsis: "[flags]",
  flags: [
    configFlag,
    dataDirFlag,
    {
      name: "listen",
      type: "string",
      placeholder: "ADDR",
      help: "RESP listener (default :6379)",
      configPath: ["atlas", "listen"],
    },
    syncModeFlag,
    ...raftFlags,
    metricsListenFlag,
    logLevelFlag,
    helpFlag,
  ],
  async run(flags, io) {
    const config = configFrom(flags, io);
    const daemon = createDaemon("atlasd", config);
    try {
      if (config.atlas.raft.enabled) {
        await startClusterNode(daemon, {
          listen: config.atlas.listen,
          modules: clusterStoreModules,
        });
      } else {
        const node = await startAtlasNode(daemon, {
          listen: config.atlas.listen,
          modules: storeModules,
        });
        // atlasd's writers are remote clients: under `every` the fsync runs on the event loop's
        // thread like Redis's (no thread hand-off per batch; requests queue in the kernel
        // meanwhile). Embedded engines (serve, gateway, apps) keep the worker-thread fsync.
        node.engine.setBlockingFsync(true);
      }
    } catch (error) {
      if (!(error instanceof StorageStartError)) throw error;
      daemon.logger.error("Cannot start: needs attention", { reason: error.message });
      io.err(`helios atlasd: ${error.message}`);
      await daemon.shutdownNow();
      return 1;
    }
    return await daemon.run();
  },
};
