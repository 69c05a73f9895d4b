/**
 * COMMAND DOCS: every command's record (types.ts), merged from the group files, and its reply
 * in Redis 7's shape. A container's reply nests its subcommands' records under `subcommands`.
 */
import { array, bulk, type Reply, simple } from "../../store/reply.ts";
import type { ArgDoc, CommandDoc } from "./types.ts";
import { DOCS as bitmap } from "./bitmap.ts";
import { DOCS as cluster } from "./cluster.ts";
import { DOCS as connection } from "./connection.ts";
import { DOCS as generic } from "./generic.ts";
import { DOCS as geo } from "./geo.ts";
import { DOCS as hash } from "./hash.ts";
import { DOCS as helios } from "./helios.ts";
import { DOCS as hyperloglog } from "./hyperloglog.ts";
import { DOCS as list } from "./list.ts";
import { DOCS as pubsub } from "./pubsub.ts";
import { DOCS as scripting } from "./scripting.ts";
import { DOCS as server } from "./server.ts";
import { DOCS as set } from "./set.ts";
import { DOCS as sortedSet } from "./sorted_set.ts";
import { DOCS as stream } from "./stream.ts";
import { DOCS as string } from "./string.ts";
import { DOCS as transactions } from "./transactions.ts";

export type { ArgDoc, CommandDoc } from "./types.ts";

/** Lower-case name (`get`, `client|list`) -> record. */
export const COMMAND_DOCS: ReadonlyMap<string, CommandDoc> = new Map(
  [
    bitmap,
    cluster,
    connection,
    generic,
    geo,
    hash,
    helios,
    hyperloglog,
    list,
    pubsub,
    scripting,
    server,
    set,
    sortedSet,
    stream,
    string,
    transactions,
  ].flatMap((group) => Object.entries(group)),
);

/** Subcommand names per container (`client` -> [`client|getname`, ...]), in record order. */
const SUBCOMMANDS: ReadonlyMap<string, readonly string[]> = (() => {
  const out = new Map<string, string[]>();
  for (const name of COMMAND_DOCS.keys()) {
    const bar = name.indexOf("|");
    if (bar < 0) continue;
    const container = name.slice(0, bar);
    out.set(container, [...(out.get(container) ?? []), name]);
  }
  return out;
})();

/** doc_flags and an argument's flags: a set in RESP3, as Redis sends them (an array in RESP2). */
function flagSet(flags: readonly string[]): Reply {
  return { kind: "set", value: flags.map(simple) };
}

/** A command's COMMAND DOCS reply (a map), or null when `name` has no record. */
export function commandDocsReply(name: string): Reply | null {
  const record = COMMAND_DOCS.get(name);
  if (record === undefined) return null;
  const fields: [Reply, Reply][] = [
    [bulk("summary"), bulk(record.summary)],
    [bulk("since"), bulk(record.since)],
    [bulk("group"), bulk(record.group)],
  ];
  if (record.complexity !== "") fields.push([bulk("complexity"), bulk(record.complexity)]);
  if (record.docFlags) fields.push([bulk("doc_flags"), flagSet(record.docFlags)]);
  if (record.deprecatedSince) {
    fields.push([bulk("deprecated_since"), bulk(record.deprecatedSince)]);
  }
  if (record.replacedBy) fields.push([bulk("replaced_by"), bulk(record.replacedBy)]);
  if (record.args) fields.push([bulk("arguments"), array(record.args.map(argReply))]);
  const subcommands = SUBCOMMANDS.get(name);
  if (subcommands) {
    fields.push([bulk("subcommands"), {
      kind: "map",
      value: subcommands.map((sub) => [bulk(sub), commandDocsReply(sub)!] as const),
    }]);
  }
  return { kind: "map", value: fields };
}

/** One argument, fields in Redis's order. */
function argReply(a: ArgDoc): Reply {
  const fields: [Reply, Reply][] = [[bulk("name"), bulk(a.name)], [bulk("type"), bulk(a.type)]];
  if (a.token !== undefined) fields.push([bulk("token"), bulk(a.token)]);
  if (a.since !== undefined) fields.push([bulk("since"), bulk(a.since)]);
  const flags: string[] = [];
  if (a.optional) flags.push("optional");
  if (a.multiple) flags.push("multiple");
  if (a.multipleToken) flags.push("multiple_token");
  if (flags.length > 0) fields.push([bulk("flags"), flagSet(flags)]);
  if (a.deprecatedSince !== undefined) {
    fields.push([bulk("deprecated_since"), bulk(a.deprecatedSince)]);
  }
  if (a.args) fields.push([bulk("arguments"), array(a.args.map(argReply))]);
  return { kind: "map", value: fields };
}
