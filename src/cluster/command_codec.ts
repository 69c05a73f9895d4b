/**
 * What ATLAS puts in a Raft entry. The leader stamps the time and a random seed into every
 * entry, so each replica applies it identically (expiry deadlines, SPOP choices, eviction
 * samples all derive from the entry, never from a replica's clock or randomness).
 *
 *   entry   = u8 kind | f64 nowMs | u32 seed | body
 *     kind 1 (commands): u32 count | command*     one command, or a MULTI/EXEC block
 *     kind 2 (tick):     (no body)                advances the clock; runs active expiry
 *     kind 3 (node):     str nodeId | str respAddress | str raftAddress   a member's addresses
 *     kind 4 (commands in databases): u32 count | (u32 db | command)*
 *   command = u32 argc | (u32 length | bytes)*    arguments are binary strings
 *
 * Kind 1's commands run in database 0; an entry with a command for another database (a client
 * that SELECTed it) is kind 4, so entries of database 0 alone keep the bytes they always had.
 */
import { Buffer } from "node:buffer";
import { ByteWriter } from "./byte_writer.ts";

export type ClusterEntry =
  | {
    kind: "commands";
    nowMs: number;
    seed: number;
    commands: string[][];
    /** Each command's database (SELECT index); absent: all in database 0. */
    dbs?: number[];
  }
  | { kind: "tick"; nowMs: number; seed: number }
  | {
    kind: "node";
    nowMs: number;
    seed: number;
    nodeId: string;
    /** Where the node serves RESP ("" when not known yet). */
    respAddress: string;
    /** Where the node listens for Raft peers. */
    raftAddress: string;
  };

const KINDS = { commands: 1, tick: 2, node: 3 } as const;
const KIND_COMMANDS_IN_DATABASES = 4;

export class MalformedEntryError extends Error {
  override name = "MalformedEntryError";
}

export function encodeEntry(entry: ClusterEntry): Uint8Array {
  const strings: string[] = [];
  if (entry.kind === "commands") { for (const argv of entry.commands) strings.push(...argv); }
  if (entry.kind === "node") strings.push(entry.nodeId, entry.respAddress, entry.raftAddress);
  const dbs = entry.kind === "commands" && entry.dbs?.some((db) => db !== 0) ? entry.dbs : null;
  let size = 1 + 8 + 4;
  if (entry.kind === "commands") size += 4 + entry.commands.length * (dbs ? 8 : 4);
  for (const s of strings) size += 4 + s.length;
  const out = new ByteWriter(size);
  out.u8(dbs ? KIND_COMMANDS_IN_DATABASES : KINDS[entry.kind]);
  out.f64(entry.nowMs);
  out.u32(entry.seed);
  const writeString = (s: string) => {
    out.u32(s.length);
    out.binary(s);
  };
  if (entry.kind === "commands") {
    out.u32(entry.commands.length);
    for (let i = 0; i < entry.commands.length; i++) {
      const argv = entry.commands[i];
      if (dbs) out.u32(dbs[i]);
      out.u32(argv.length);
      for (const arg of argv) writeString(arg);
    }
  } else if (entry.kind === "node") {
    // Node ids and addresses are ASCII in practice, and written one byte per char like
    // arguments (their decoding is latin1 too).
    writeString(entry.nodeId);
    writeString(entry.respAddress);
    writeString(entry.raftAddress);
  }
  return out.finish();
}

export function decodeEntry(bytes: Uint8Array): ClusterEntry {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > buf.length) throw new MalformedEntryError("entry ends inside a field");
  };
  const u32 = () => {
    need(4);
    const v = buf.readUInt32LE(at);
    at += 4;
    return v;
  };
  const str = () => {
    const length = u32();
    need(length);
    const s = buf.toString("latin1", at, at + length);
    at += length;
    return s;
  };
  need(13);
  const kind = buf.readUInt8(0);
  const nowMs = buf.readDoubleLE(1);
  at = 9;
  const seed = u32();
  if (kind === KINDS.tick) return { kind: "tick", nowMs, seed };
  if (kind === KINDS.node) {
    return { kind: "node", nowMs, seed, nodeId: str(), respAddress: str(), raftAddress: str() };
  }
  const inDatabases = kind === KIND_COMMANDS_IN_DATABASES;
  if (kind !== KINDS.commands && !inDatabases) {
    throw new MalformedEntryError(`unknown entry kind ${kind}`);
  }
  const count = u32();
  if (count > buf.length) throw new MalformedEntryError("impossible command count");
  const commands: string[][] = [];
  const dbs: number[] = [];
  for (let i = 0; i < count; i++) {
    if (inDatabases) dbs.push(u32());
    const argc = u32();
    if (argc > buf.length) throw new MalformedEntryError("impossible argument count");
    const argv: string[] = [];
    for (let j = 0; j < argc; j++) argv.push(str());
    commands.push(argv);
  }
  if (inDatabases) return { kind: "commands", nowMs, seed, commands, dbs };
  return { kind: "commands", nowMs, seed, commands };
}
