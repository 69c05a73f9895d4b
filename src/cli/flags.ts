/**
 * Command-line flags. Each flag either maps onto a config key (and so takes precedence over the
 * environment and the file) or is a plain option of its command. Flags follow the documented
 * Go-era names: --data-dir, --listen, --sync-mode, --raft-*, --worker-id, --poll-interval.
 */
import { parseArgs } from "node:util";
import type { Override } from "../config/load.ts";

export interface FlagSpec {
  name: string;
  type: "string" | "boolean";
  help: string;
  /** Config key path the flag sets; absent for plain options. */
  configPath?: string[];
  /** Converts the raw text to the config value (e.g. --raft-peers into a list). */
  toConfig?: (raw: string) => unknown;
  multiple?: boolean;
  placeholder?: string;
  short?: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export const configFlag: FlagSpec = {
  name: "config",
  type: "string",
  placeholder: "FILE",
  help: "YAML config file (keys as in configs/config.yaml)",
};
export const dataDirFlag: FlagSpec = {
  name: "data-dir",
  type: "string",
  placeholder: "DIR",
  help: "data directory for AOF and snapshots (default ./data)",
  configPath: ["atlas", "data_dir"],
};
export const syncModeFlag: FlagSpec = {
  name: "sync-mode",
  type: "string",
  placeholder: "every|interval|none",
  help: "AOF fsync policy (default every)",
  configPath: ["atlas", "aof_fsync"],
};
export const metricsListenFlag: FlagSpec = {
  name: "metrics-listen",
  type: "string",
  placeholder: "ADDR",
  help: "Prometheus metrics listener (default :9090)",
  configPath: ["observability", "metrics_listen"],
};
export const logLevelFlag: FlagSpec = {
  name: "log-level",
  type: "string",
  placeholder: "LEVEL",
  help: "debug, info, warn or error (default info)",
  configPath: ["observability", "log_level"],
};
export const helpFlag: FlagSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  help: "show this help",
};

/** Parses "node-2=127.0.0.1:7002,node-3=127.0.0.1:7003" into [{id, addr}]. */
export function parsePeers(raw: string): unknown {
  if (raw.trim() === "") return [];
  return raw.split(",").map((item) => {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--raft-peers: "${item}" is not ID=HOST:PORT`);
    return { id: item.slice(0, eq).trim(), addr: item.slice(eq + 1).trim() };
  });
}

export const raftFlags: FlagSpec[] = [
  {
    name: "raft",
    type: "boolean",
    help: "replicate through Raft",
    configPath: ["atlas", "raft", "enabled"],
  },
  {
    name: "raft-node-id",
    type: "string",
    placeholder: "ID",
    help: "this node's id, e.g. node-1",
    configPath: ["atlas", "raft", "node_id"],
  },
  {
    name: "raft-addr",
    type: "string",
    placeholder: "HOST:PORT",
    help: "Raft peer listener",
    configPath: ["atlas", "raft", "bind_addr"],
  },
  {
    name: "raft-data-dir",
    type: "string",
    placeholder: "DIR",
    help: "Raft log and snapshots (default DATA_DIR/raft)",
    configPath: ["atlas", "raft", "data_dir"],
  },
  {
    name: "raft-peers",
    type: "string",
    placeholder: "ID=ADDR,...",
    help: "the other voters, dialled exactly at these addresses",
    configPath: ["atlas", "raft", "peers"],
    toConfig: parsePeers,
  },
  {
    name: "raft-join",
    type: "boolean",
    help: "join a running cluster (then `helios cluster add-peer` it) instead of founding one",
    configPath: ["atlas", "raft", "join"],
  },
];

export interface ParsedFlags {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  overrides: Override[];
}

export function parseFlags(
  args: string[],
  specs: FlagSpec[],
  allowPositionals: boolean,
): ParsedFlags {
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = {};
  for (const spec of specs) {
    options[spec.name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: explicitBooleans(args, specs),
      options,
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const overrides: Override[] = [];
  for (const spec of specs) {
    const raw = parsed.values[spec.name];
    if (raw === undefined || !spec.configPath) continue;
    const value = spec.toConfig && typeof raw === "string" ? spec.toConfig(raw) : raw;
    overrides.push({ path: spec.configPath, value, source: `--${spec.name}` });
  }
  if (parsed.values["metrics-listen"] !== undefined) {
    // An explicit listener wins over observability.metrics_port from the file or environment.
    overrides.push({
      path: ["observability", "metrics_port"],
      value: undefined,
      source: "--metrics-listen",
    });
  }
  return { values: parsed.values, positionals: parsed.positionals, overrides };
}

/**
 * `--raft=true` / `--raft=false` as the original Helios README writes them: the value of a boolean
 * flag given explicitly (node:util parseArgs refuses any value on a boolean).
 */
function explicitBooleans(args: string[], specs: FlagSpec[]): string[] {
  const booleans = new Set(specs.filter((s) => s.type === "boolean").map((s) => `--${s.name}`));
  const out: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === "--") return [...out, ...args.slice(i)];
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : "";
    if (!booleans.has(name)) {
      out.push(arg);
      continue;
    }
    const value = arg.slice(eq + 1).toLowerCase();
    if (value === "true") out.push(name);
    else if (value !== "false") throw new UsageError(`Option '${name}' takes true or false`);
  }
  return out;
}

export function formatFlags(specs: FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ""}--${spec.name}${
      spec.placeholder ? ` ${spec.placeholder}` : ""
    }`;
    return [left, spec.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, help]) => left.padEnd(width) + help).join("\n");
}
