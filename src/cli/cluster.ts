/**
 * `helios cluster status | add-peer ID ADDR | remove-peer ID | transfer-leader ID --atlas HOST:PORT`:
 * operator commands sent to any node over RESP (HELIOS.CLUSTER); a follower passes changes on to
 * the leader.
 */
import { binaryToUtf8 } from "../../atlas/mod.ts";
import { atlasAddressFlag, atlasPasswordFlag, connectAtlas } from "./atlas_connection.ts";
import { type Command, EXIT_FAILURE, EXIT_OK } from "./command.ts";
import { helpFlag, UsageError } from "./flags.ts";

const USAGE: Record<string, number> = {
  "status": 0,
  "add-peer": 2,
  "remove-peer": 1,
  "transfer-leader": 1,
};

export const clusterCommand: Command = {
  name: "cluster",
  summary: "Inspect and change a Raft cluster through any of its nodes",
  synopsis:
    "status | add-peer ID RAFT_ADDR | remove-peer ID | transfer-leader ID  --atlas HOST:PORT",
  flags: [
    atlasAddressFlag,
    atlasPasswordFlag,
    helpFlag,
  ],
  allowPositionals: true,
  async run(flags, io) {
    const [action, ...args] = flags.positionals;
    if (!action || !(action in USAGE)) {
      throw new UsageError(`expected one of ${Object.keys(USAGE).join(", ")}`);
    }
    if (args.length !== USAGE[action]) {
      throw new UsageError(`${action} takes ${USAGE[action]} argument(s)`);
    }
    const connection = await connectAtlas("cluster", flags, io);
    if (!connection) return EXIT_FAILURE;
    try {
      const reply = await connection.send(["HELIOS.CLUSTER", action.toUpperCase(), ...args]);
      if (reply.kind === "error") {
        io.err(`helios cluster ${action}: ${reply.value}`);
        return EXIT_FAILURE;
      }
      if (reply.kind === "bulk") {
        io.out(JSON.stringify(JSON.parse(binaryToUtf8(reply.value)), null, 2));
      } else io.out(reply.kind === "simple" ? reply.value : JSON.stringify(reply));
      return EXIT_OK;
    } finally {
      connection.close();
    }
  },
};
