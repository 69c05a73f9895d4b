/**
 * ATLAS as Raft's replicated state machine: every committed entry is applied to the store with
 * the time and seed the leader stamped into it. The cluster's logical clock is the largest
 * stamped time applied so far; reads use it too, so a replica never judges expiry by its own
 * clock and all replicas agree on which keys exist at each log index.
 */
import { error, OK, type Reply, Store } from "../../atlas/mod.ts";
import type { Entry, Snapshot, StateMachine } from "../../raft/mod.ts";
import { Buffer } from "node:buffer";
import { type ClusterEntry, decodeEntry } from "./command_codec.ts";
import { ByteWriter } from "./byte_writer.ts";
import { createPrng } from "../lib/prng.ts";
import { isWatchGuard, WATCH_CHANGED, watchGuardHolds } from "./watch_guard.ts";

export interface AppliedReply {
  replies: Reply[];
}

export class AtlasStateMachine implements StateMachine {
  /** Largest stamped time applied (ms); never goes backwards. */
  logicalNowMs = 0;
  /** Node id → RESP address, learned from node entries (for forwarding to the leader). */
  readonly respAddresses = new Map<string, string>();
  /** Node id → Raft address of members added at run time (the transport dials these). */
  readonly raftAddresses = new Map<string, string>();

  constructor(
    readonly store: Store,
    private readonly onRaftAddress: (nodeId: string, address: string) => void = () => {},
  ) {}

  apply(entry: Entry): AppliedReply {
    let decoded: ClusterEntry;
    try {
      decoded = decodeEntry(entry.data);
    } catch (cause) {
      // Every replica sees the same bytes, so every replica skips the same entry.
      return {
        replies: [error(`ERR malformed replicated entry at index ${entry.index}: ${cause}`)],
      };
    }
    this.logicalNowMs = Math.max(this.logicalNowMs, decoded.nowMs);
    const ctx = { nowMs: this.logicalNowMs, random: createPrng(decoded.seed) };
    switch (decoded.kind) {
      case "commands": {
        const { commands, dbs } = decoded;
        // Each command in its client's database (SELECT index); the rest of the context is shared.
        const run = (argv: string[], i: number) => {
          const db = dbs?.[i] ?? 0;
          // Every member has the same `databases` (docs/cluster.md); a leader never proposes
          // beyond its own, so this answers alike on every replica that is configured alike.
          if (db >= this.store.databases) return error("ERR DB index is out of range");
          return this.store.execute(argv, { ...ctx, db }).reply;
        };
        if (isWatchGuard(commands[0])) {
          // A transaction with watched keys (watch_guard.ts): all or nothing, decided here.
          if (!watchGuardHolds(this.store, commands[0], ctx.nowMs)) {
            return { replies: commands.map(() => WATCH_CHANGED) };
          }
          return { replies: commands.map((argv, i) => i === 0 ? OK : run(argv, i)) };
        }
        if (dbs === undefined) {
          return { replies: commands.map((argv) => this.store.execute(argv, ctx).reply) };
        }
        return { replies: commands.map(run) };
      }
      case "tick":
        this.store.activeExpireCycle(ctx);
        return { replies: [] };
      case "node":
        if (decoded.respAddress) this.respAddresses.set(decoded.nodeId, decoded.respAddress);
        if (decoded.raftAddress) {
          this.raftAddresses.set(decoded.nodeId, decoded.raftAddress);
          this.onRaftAddress(decoded.nodeId, decoded.raftAddress);
        }
        return { replies: [] };
    }
  }

  /** The whole keyspace plus the cluster metadata, as one buffer. */
  snapshot(): Uint8Array {
    const view = this.store.snapshotView();
    const out = new ByteWriter();
    this.#writeMeta(out);
    try {
      for (let e = view.next(); e !== null; e = view.next()) writeSnapshotEntry(out, e);
    } finally {
      view.close();
    }
    return out.finish();
  }

  /**
   * The same bytes as snapshot(), for the state at this moment, but serialized a batch of keys
   * per event-loop turn: the store's copy-on-write view keeps the captured state while the node
   * goes on applying entries, so a large keyspace never stalls replication.
   */
  snapshotInBackground(): Promise<Uint8Array> {
    const view = this.store.snapshotView();
    const out = new ByteWriter();
    this.#writeMeta(out);
    return (async () => {
      try {
        for (let batch = view.nextBatch(4096); batch.length > 0; batch = view.nextBatch(4096)) {
          for (const e of batch) writeSnapshotEntry(out, e);
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      } finally {
        view.close();
      }
      return out.finish();
    })();
  }

  /** u32 length | the cluster metadata as JSON (UTF-8). */
  #writeMeta(out: ByteWriter): void {
    const meta = new TextEncoder().encode(JSON.stringify({
      logicalNowMs: this.logicalNowMs,
      respAddresses: [...this.respAddresses],
      raftAddresses: [...this.raftAddresses],
    }));
    out.u32(meta.length);
    out.bytes(meta);
  }

  restore(snapshot: Snapshot): void {
    this.store.flushAll();
    this.respAddresses.clear();
    const buf = Buffer.from(
      snapshot.data.buffer,
      snapshot.data.byteOffset,
      snapshot.data.byteLength,
    );
    if (buf.length === 0) return;
    const metaLength = buf.readUInt32LE(0);
    const meta = JSON.parse(buf.toString("utf8", 4, 4 + metaLength));
    this.logicalNowMs = meta.logicalNowMs;
    for (const [id, address] of meta.respAddresses) this.respAddresses.set(id, address);
    this.raftAddresses.clear();
    for (const [id, address] of meta.raftAddresses ?? []) {
      this.raftAddresses.set(id, address);
      this.onRaftAddress(id, address);
    }
    let at = 4 + metaLength;
    while (at < buf.length) {
      const keyLength = buf.readUInt32LE(at);
      const payloadLength = buf.readUInt32LE(at + 4);
      const expireAt = buf.readDoubleLE(at + 8);
      at += 16;
      const key = buf.toString("latin1", at, at + keyLength);
      at += keyLength;
      const payload = buf.toString("latin1", at, at + payloadLength);
      at += payloadLength;
      this.store.restoreValue(key, payload, expireAt < 0 ? null : expireAt);
    }
  }
}

/** u32 keyLength | u32 payloadLength | f64 expireAtMs (-1: none) | key | payload */
function writeSnapshotEntry(
  out: ByteWriter,
  e: { key: string; payload: string; expireAtMs: number | null },
): void {
  out.u32(e.key.length);
  out.u32(e.payload.length);
  out.f64(e.expireAtMs ?? -1);
  out.binary(e.key);
  out.binary(e.payload);
}
