/**
 * `helios backup --atlas HOST:PORT OUT` and `helios restore IN --data-dir DIR`. A backup is a
 * consistent copy taken by one node (HELIOS.BACKUP; in a cluster, a linearizable read), checked
 * end to end before it is written; a restore verifies the file before touching the target.
 */
import { join } from "node:path";
import { Buffer } from "node:buffer";
import {
  BackupCorruptError,
  decodeBackup,
  restoreToDataDir,
  restoreToRaftDir,
} from "../backup/mod.ts";
import { AppError } from "../errors/app_error.ts";
import { atlasAddressFlag, atlasPasswordFlag, connectAtlas } from "./atlas_connection.ts";
import { type CliIo, type Command, EXIT_FAILURE, EXIT_OK } from "./command.ts";
import { dataDirFlag, helpFlag, parsePeers, UsageError } from "./flags.ts";

function progress(io: CliIo, text: string): void {
  // Progress is for people at a terminal; scripts get only the final line.
  if (Deno.stderr.isTerminal()) io.err(text);
}

export const backupCommand: Command = {
  name: "backup",
  summary: "Take a consistent backup of a running node or cluster",
  synopsis: "--atlas HOST:PORT OUT",
  flags: [
    atlasAddressFlag,
    atlasPasswordFlag,
    helpFlag,
  ],
  allowPositionals: true,
  async run(flags, io) {
    const [out, ...extra] = flags.positionals;
    if (!out || extra.length > 0) throw new UsageError("backup takes exactly one OUT file");
    progress(io, "Connecting...");
    const connection = await connectAtlas("backup", flags, io);
    if (!connection) return EXIT_FAILURE;
    try {
      progress(io, "Taking a consistent snapshot...");
      const reply = await connection.send([
        "HELIOS.BACKUP",
        String(flags.values.atlas ?? "127.0.0.1:6379"),
      ]);
      if (reply.kind !== "bulk") {
        io.err(
          `helios backup: the node answered ${reply.kind === "error" ? reply.value : reply.kind}`,
        );
        return EXIT_FAILURE;
      }
      const bytes = new Uint8Array(Buffer.from(reply.value, "latin1"));
      progress(io, `Received ${bytes.length} bytes; verifying...`);
      const { meta } = decodeBackup(bytes); // never write a file that would not restore
      const tmp = `${out}.tmp`;
      await Deno.writeFile(tmp, bytes);
      const file = await Deno.open(tmp, { read: true, write: true });
      await file.sync();
      file.close();
      await Deno.rename(tmp, out);
      io.out(`Backup of ${meta.keys} keys (${bytes.length} bytes) written to ${out}`);
      return EXIT_OK;
    } finally {
      connection.close();
    }
  },
};

export const restoreCommand: Command = {
  name: "restore",
  summary: "Seed a new node (or a new cluster member) from a backup file",
  synopsis:
    "IN --data-dir DIR [--raft --raft-node-id ID --raft-peers ID=ADDR,... --raft-data-dir DIR]",
  flags: [
    dataDirFlag,
    { name: "raft", type: "boolean", help: "seed the Raft directory of a new cluster member" },
    { name: "raft-node-id", type: "string", placeholder: "ID", help: "this member's id" },
    { name: "raft-peers", type: "string", placeholder: "ID=ADDR,...", help: "the other voters" },
    {
      name: "raft-data-dir",
      type: "string",
      placeholder: "DIR",
      help: "Raft log and snapshots, as atlasd's --raft-data-dir (default DATA_DIR/raft)",
    },
    helpFlag,
  ],
  allowPositionals: true,
  async run(flags, io) {
    const [input, ...extra] = flags.positionals;
    if (!input || extra.length > 0) throw new UsageError("restore takes exactly one IN file");
    const dataDir = String(flags.values["data-dir"] ?? "./data");
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(input);
    } catch (error) {
      io.err(`helios restore: cannot read ${input}: ${(error as Error).message}`);
      return EXIT_FAILURE;
    }
    try {
      let result;
      let target = dataDir;
      if (flags.values.raft) {
        const id = flags.values["raft-node-id"];
        if (typeof id !== "string") throw new UsageError("--raft needs --raft-node-id");
        const peers = parsePeers(String(flags.values["raft-peers"] ?? "")) as { id: string }[];
        target = String(flags.values["raft-data-dir"] ?? join(dataDir, "raft"));
        result = await restoreToRaftDir(bytes, target, [
          id,
          ...peers.map((p) => p.id),
        ]);
      } else {
        result = await restoreToDataDir(bytes, dataDir);
      }
      io.out(`Restored ${result.keys} keys (backup of ${result.meta.createdAt}) into ${target}`);
      return EXIT_OK;
    } catch (error) {
      if (error instanceof BackupCorruptError || error instanceof AppError) {
        io.err(`helios restore: ${error.message}`);
        return EXIT_FAILURE;
      }
      throw error;
    }
  },
};
