/**
 * Side by side with redis-server 7.0: COMMAND DOCS of every command and subcommand atlasd
 * documents. The syntax must be Redis's — argument names, types, tokens, flags, `since` and
 * nesting (redis-cli builds `help` and its typing hints from them) — and so must each command's
 * `since`, `group`, `doc_flags` and `deprecated_since`. Summaries and complexities are ATLAS's own
 * words: they must be present and are not compared; so are `history` and `replaced_by`
 * (left out / reworded) and `key_spec_index` (atlasd has no key specs).
 */
import assert from "node:assert/strict";
import {
  type RawClient,
  type RespValue,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** A RESP2 reply as plain JSON: flat [k, v, ...] arrays of maps become objects where `asMap`. */
function plain(v: RespValue): Json {
  const r = v as { t: string; v: unknown };
  if (Array.isArray(r.v)) return (r.v as RespValue[]).map(plain);
  return r.v as Json;
}

function pairs(list: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  const a = list as Json[];
  for (let i = 0; i + 1 < a.length; i += 2) out[a[i] as string] = a[i + 1];
  return out;
}

interface Compared {
  record: Record<string, Json>;
  summary: Json;
  args: Json;
}

/** The compared form of one argument list (maps as objects, ignored fields dropped). */
function args(list: Json | undefined): Json {
  if (list === undefined) return null;
  return (list as Json[]).map((raw) => {
    const a = pairs(raw);
    const out: Record<string, Json> = { name: a.name, type: a.type };
    for (const field of ["token", "since", "flags", "deprecated_since"]) {
      if (a[field] !== undefined) out[field] = a[field];
    }
    if (a.arguments !== undefined) out.arguments = args(a.arguments);
    return out;
  });
}

/** name -> compared record, for `names` (subcommands nested under their container too). */
async function docs(client: RawClient, names: string[]): Promise<Map<string, Compared>> {
  const [reply] = await client.call(["COMMAND", "DOCS", ...names]);
  const out = new Map<string, Compared>();
  const add = (name: string, raw: Json) => {
    const d = pairs(raw);
    const record: Record<string, Json> = { since: d.since, group: d.group };
    if (d.doc_flags !== undefined) record.doc_flags = d.doc_flags;
    if (d.deprecated_since !== undefined) record.deprecated_since = d.deprecated_since;
    record.has_summary = typeof d.summary === "string" && d.summary.length > 0 &&
      !/^The \S+ command$|^TODO$/.test(d.summary);
    record.has_complexity = d.complexity !== undefined;
    out.set(name, { record, summary: d.summary, args: args(d.arguments) });
    if (d.subcommands !== undefined) {
      const subs = pairs(d.subcommands);
      for (const [sub, subDoc] of Object.entries(subs)) add(sub, subDoc);
    }
  };
  const top = pairs(plain(reply));
  for (const [name, raw] of Object.entries(top)) add(name, raw);
  return out;
}

Deno.test("COMMAND DOCS: atlasd documents its commands with Redis's syntax", () =>
  withRedisAndAtlasd(async (redisClient, atlasClient) => {
    const [listReply] = await atlasClient.call(["COMMAND", "LIST"]);
    const atlasNames = (plain(listReply) as string[]).sort();
    const [redisListReply] = await redisClient.call(["COMMAND", "LIST"]);
    const redisNames = new Set(plain(redisListReply) as string[]);
    const shared = atlasNames.filter((name) => redisNames.has(name));
    const atlas = await docs(atlasClient, atlasNames);
    const redis = await docs(redisClient, shared);

    // Every shared command has a summary of its own; every documented subcommand exists in
    // Redis; every record and argument tree equals Redis's (apart from the fields above).
    // (atlasd's own commands, JOB.* KV.* RL.* HELIOS.*, need a summary too.)
    const differing = atlasNames
      .filter((name) => !atlas.get(name)?.record.has_summary)
      .map((name) => `${name}: no summary of its own`);
    for (const [name, mine] of atlas) {
      const theirs = redis.get(name);
      if (theirs === undefined) {
        // atlasd's own commands are not Redis's; a documented subcommand must be.
        if (name.includes("|") || !atlasNames.includes(name)) {
          differing.push(`${name}: not a Redis 7.0 command`);
        }
        continue;
      }
      if (mine.summary === theirs.summary) differing.push(`${name}: summary copied from Redis`);
      const expected = { ...theirs.record, has_summary: true };
      if (JSON.stringify(mine.record) !== JSON.stringify(expected)) {
        differing.push(
          `${name}: record ${JSON.stringify(mine.record)} != ${JSON.stringify(expected)}`,
        );
      }
      if (JSON.stringify(mine.args) !== JSON.stringify(theirs.args)) {
        differing.push(
          `${name}: arguments\n  atlasd ${JSON.stringify(mine.args)}\n  redis  ${
            JSON.stringify(theirs.args)
          }`,
        );
      }
    }

    // A container documents exactly the subcommands atlasd implements: each Redis subcommand
    // is probed without arguments, and only "unknown subcommand" means atlasd lacks it. (CLUSTER's
    // all answer "cluster support disabled", as Redis's do outside cluster mode.)
    for (const container of shared) {
      const redisSubs = [...redis.keys()].filter((name) => name.startsWith(`${container}|`));
      const implemented: string[] = [];
      for (const sub of redisSubs) {
        const [reply] = await atlasClient.call([container, sub.slice(container.length + 1)]);
        const r = reply as { t: string; v?: unknown };
        if (!(r.t === "error" && String(r.v).startsWith("ERR unknown subcommand"))) {
          implemented.push(sub);
        }
      }
      const documented = [...atlas.keys()].filter((name) => name.startsWith(`${container}|`));
      const missing = implemented.filter((sub) => !documented.includes(sub));
      for (const sub of missing) differing.push(`${sub}: implemented but not documented`);
    }
    assert.deepEqual(differing, []);
  }));

/** The RESP3 types of every `flags` / `doc_flags` value in a reply, in the order met. */
function flagTypes(v: RespValue, out: string[] = []): string[] {
  if (v.t === "map") {
    for (const [k, val] of v.v) {
      if (k.t === "bulk" && (k.v === "flags" || k.v === "doc_flags")) out.push(`${k.v}:${val.t}`);
      flagTypes(val, out);
    }
  } else if (v.t === "array" || v.t === "set" || v.t === "push") {
    v.v.forEach((x) => flagTypes(x, out));
  }
  return out;
}

Deno.test("COMMAND DOCS in RESP3: doc_flags and argument flags are sets, as Redis sends them", () =>
  withRedisAndAtlasd(async (redisClient, atlasClient) => {
    const names = ["set", "hmset", "zadd", "georadius", "client"];
    const types = async (c: RawClient) => {
      await c.call(["HELLO", "3"]);
      return names.map(async (name) => flagTypes((await c.call(["COMMAND", "DOCS", name]))[0]));
    };
    const redis = await Promise.all(await types(redisClient));
    const atlas = await Promise.all(await types(atlasClient));
    assert.ok(redis.flat().length > 20, "Redis's docs have flags to compare");
    assert.deepEqual(atlas, redis);
  }));
