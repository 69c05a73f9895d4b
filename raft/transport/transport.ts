import type { Message, NodeId } from "../core/types.ts";

/** What the driver needs to know about a link, for status pages and metrics. */
export interface PeerLinkStatus {
  id: NodeId;
  addr: string;
  connected: boolean;
  /** Last measured round trip, in seconds; null until one was measured. */
  rttSeconds: number | null;
}

/**
 * How Raft messages travel between nodes. Delivery is best effort: a message may be dropped,
 * delayed or duplicated, and Raft's own retries make up for it — so `send` never blocks and never
 * throws for a peer that is down; it records the peer as unreachable instead.
 */
export interface Transport {
  /** Starts listening; inbound batches go to `deliver` in arrival order per link. */
  start(deliver: (messages: Message[]) => void): Promise<void>;
  /** Queues messages for their `to` peers; everything queued in one turn goes in one frame. */
  send(messages: Message[]): void;
  /** Adds a peer or changes its address (the address is dialled exactly as given). */
  setPeer(id: NodeId, addr: string): void;
  removePeer(id: NodeId): void;
  /** Peers a send failed to since the last call (for RawNode.reportUnreachable). */
  takeUnreachable(): NodeId[];
  peers(): PeerLinkStatus[];
  close(): Promise<void>;
}
