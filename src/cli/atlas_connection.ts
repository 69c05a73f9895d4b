/**
 * The RESP connection operator commands (`cluster`, `backup`) open to one ATLAS node, from the
 * shared `--atlas HOST:PORT` and `--password` flags (or HELIOS_ATLAS_PASSWORD).
 */
import { parseHostPort } from "../lib/address.ts";
import { RespConnection } from "../storage/resp_connection.ts";
import type { CliIo } from "./command.ts";
import { type FlagSpec, type ParsedFlags, UsageError } from "./flags.ts";

export const atlasAddressFlag: FlagSpec = {
  name: "atlas",
  type: "string",
  placeholder: "HOST:PORT",
  help: "any node's RESP address (default 127.0.0.1:6379)",
};

export const atlasPasswordFlag: FlagSpec = {
  name: "password",
  type: "string",
  placeholder: "PW",
  help: "the nodes' requirepass (or HELIOS_ATLAS_PASSWORD)",
};

/** Opens the connection, or reports why not (and returns null) in the command's voice. */
export async function connectAtlas(
  command: string,
  flags: ParsedFlags,
  io: CliIo,
): Promise<RespConnection | null> {
  const target = parseHostPort(String(flags.values.atlas ?? "127.0.0.1:6379"), "127.0.0.1");
  if (!target) throw new UsageError("--atlas must be HOST:PORT");
  try {
    return await RespConnection.open({
      hostname: target.hostname,
      port: target.port,
      connectTimeoutMs: 3000,
      password: String(flags.values.password ?? io.env.HELIOS_ATLAS_PASSWORD ?? ""),
    });
  } catch (error) {
    io.err(
      `helios ${command}: cannot connect to ${target.hostname}:${target.port}: ${
        (error as Error).message
      }`,
    );
    return null;
  }
}
