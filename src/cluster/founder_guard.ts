/**
 * Keeps a one-node cluster out of another cluster's traffic. A node started with `--raft` and no
 * `--raft-peers` or `--raft-join` founds a cluster of its own (the original README's node-2 and
 * node-3 commands do exactly that). When another cluster's leader adds it with ADD-PEER, that
 * leader's appends must not be taken: two clusters' logs share indexes and terms (both begin with
 * a bootstrap entry at index 1, term 1, and elect at term 2), so Raft's log matching would splice
 * one log onto the other and the node would serve a keyspace neither cluster has, and a higher
 * term from either side would unseat the other's leader.
 *
 * So while this node's membership is exactly itself, messages from other nodes are dropped
 * (and logged once a minute per sender). Every legitimate sender is a member: a joining node
 * (`--raft-join`) has no membership yet and takes its first leader's messages, and a leader sends
 * to a node only after applying the change that made it a member. The ADD-PEER that tried it finds
 * the node never catching up as a learner and says why (cluster_node.ts).
 */
import type { Message, NodeId, PeerLinkStatus, Transport } from "../../raft/mod.ts";
import type { Logger } from "../observability/logger.ts";

const LOG_EVERY_MS = 60_000;

export class FounderGuardTransport implements Transport {
  readonly #lastLogged = new Map<NodeId, number>();

  constructor(
    private readonly inner: Transport,
    /** True while this node's membership is exactly itself (RaftNode.isSoleMember). */
    private readonly alone: () => boolean,
    private readonly logger: Logger,
  ) {}

  start(deliver: (messages: Message[]) => void): Promise<void> {
    return this.inner.start((messages) => {
      if (!this.alone()) return deliver(messages);
      for (const from of new Set(messages.map((m) => m.from))) this.#refused(from);
    });
  }

  #refused(from: NodeId): void {
    const now = Date.now();
    if (now - (this.#lastLogged.get(from) ?? -Infinity) < LOG_EVERY_MS) return;
    this.#lastLogged.set(from, now);
    this.logger.warn("Ignored Raft messages from another cluster", {
      peer_id: from,
      reason: `this node founded a one-node cluster of its own; to join ${from}'s cluster, stop ` +
        `it, empty its Raft data directory and start it with --raft-join`,
    });
  }

  send(messages: Message[]): void {
    this.inner.send(messages);
  }
  setPeer(id: NodeId, addr: string): void {
    this.inner.setPeer(id, addr);
  }
  removePeer(id: NodeId): void {
    this.inner.removePeer(id);
  }
  takeUnreachable(): NodeId[] {
    return this.inner.takeUnreachable();
  }
  peers(): PeerLinkStatus[] {
    return this.inner.peers();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
