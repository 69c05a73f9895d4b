/**
 * Builds the effective configuration. Precedence: flags > environment > file > defaults.
 * Environment names are HELIOS_ + the key path in upper case with __ between levels:
 * HELIOS_GATEWAY__RATE_LIMIT__DEFAULT_CAPACITY=100 sets gateway.rate_limit.default_capacity.
 * Values from the environment are read as YAML scalars/flow values ("100" → 100, "true" → true,
 * "[a, b]" → a list), so they take the same types as the file.
 */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type HeliosConfig, SECRET_KEYS } from "./schema.ts";

export interface ConfigProblem {
  /** Dotted key path, e.g. "gateway.rate_limit.default_capacity". */
  path: string;
  message: string;
  /** Where the bad value came from: the file path, an env var name, or a flag. */
  source?: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: ConfigProblem[], readonly file?: string) {
    super(
      `Invalid configuration${file ? ` in ${file}` : ""}:\n` +
        problems.map((p) =>
          `  ${p.path || "(root)"}: ${p.message}${p.source ? ` (from ${p.source})` : ""}`
        )
          .join("\n"),
    );
  }
}

/** A value set by a flag: the key path and where it came from ("--data-dir"). */
export interface Override {
  path: string[];
  value: unknown;
  source: string;
}

export interface LoadConfigOptions {
  /** Config file path; none means defaults + env + flags. */
  file?: string;
  /** The environment to read HELIOS_* variables from. */
  env?: Record<string, string>;
  flags?: Override[];
  /** Command-specific defaults, below the file (serve binds loopback unless told otherwise). */
  defaults?: Override[];
  /** Reads the file (injectable for tests). */
  readFile?: (path: string) => string;
}

type Tree = Record<string, unknown>;

export function loadConfig(options: LoadConfigOptions = {}): HeliosConfig {
  const sources = new Map<string, string>();
  const tree: Tree = {};
  for (const override of options.defaults ?? []) applyOverride(tree, override, sources);
  if (options.file) {
    const fileTree = readConfigFile(options.file, options.readFile);
    markSources(fileTree, [], options.file, sources);
    deepMerge(tree, fileTree);
  }
  for (const override of envOverrides(options.env ?? {})) applyOverride(tree, override, sources);
  for (const override of options.flags ?? []) applyOverride(tree, override, sources);
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    throw new ConfigError(describeIssues(result.error.issues, sources), options.file);
  }
  return result.data;
}

function readConfigFile(
  file: string,
  readFile: (path: string) => string = Deno.readTextFileSync,
): Tree {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new ConfigError(
      [{ path: "", message: `cannot read file: ${(error as Error).message}` }],
      file,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      [{ path: "", message: `not valid YAML: ${(error as Error).message}` }],
      file,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(
      [{ path: "", message: "the file must hold a mapping of sections" }],
      file,
    );
  }
  return parsed as Tree;
}

/** HELIOS_A__B__C=value → override of a.b.c. Variables without "__" are not config keys. */
export function envOverrides(env: Record<string, string>): Override[] {
  const overrides: Override[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("HELIOS_") || !name.includes("__")) continue;
    const path = name.slice("HELIOS_".length).toLowerCase().split("__");
    overrides.push({ path, value: parseEnvValue(raw), source: name });
  }
  return overrides;
}

function parseEnvValue(raw: string): unknown {
  try {
    const value = parseYaml(raw);
    return value === null ? raw : value;
  } catch {
    // Not YAML (e.g. "a: b: c"): keep the literal string; the schema decides if it fits.
    return raw;
  }
}

function applyOverride(tree: Tree, override: Override, sources: Map<string, string>): void {
  let node = tree;
  for (const key of override.path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[override.path[override.path.length - 1]] = override.value;
  sources.set(override.path.join("."), override.source);
}

function deepMerge(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isTree(existing) && isTree(value)) deepMerge(existing, value);
    else target[key] = value;
  }
}

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function markSources(tree: unknown, path: string[], source: string, sources: Map<string, string>) {
  if (typeof tree !== "object" || tree === null || Array.isArray(tree)) {
    sources.set(path.join("."), source);
    return;
  }
  for (const [key, value] of Object.entries(tree)) {
    markSources(value, [...path, key], source, sources);
  }
}

function describeIssues(issues: z.core.$ZodIssue[], sources: Map<string, string>): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String);
    // An unknown key is reported at its parent; name each unknown key on its own line.
    const paths = issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => [...base, key].join("."))
      : [base.join(".")];
    return paths.map((path) => {
      const source = sources.get(path);
      const message = issue.code === "unrecognized_keys" ? "unknown key" : issue.message;
      return source ? { path, message, source } : { path, message };
    });
  });
}

/** The config with secrets replaced by "<redacted>", for `helios config print` and logs. */
export function redactSecrets(config: unknown): unknown {
  if (Array.isArray(config)) return config.map(redactSecrets);
  if (typeof config !== "object" || config === null) return config;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      SECRET_KEYS.includes(key) && typeof value === "string" && value !== ""
        ? "<redacted>"
        : redactSecrets(value),
    ]),
  );
}

/** The metrics address: observability.metrics_port, when set, overrides the port of metrics_listen. */
export function metricsListen(config: HeliosConfig): string {
  const port = config.observability.metrics_port;
  if (port === undefined) return config.observability.metrics_listen;
  const listen = config.observability.metrics_listen;
  return `${listen.slice(0, listen.lastIndexOf(":"))}:${port}`;
}
