/**
 * Raft consensus, usable alone: the pure core, storage, transports, the driver, and the testing
 * tools (simulator checkers and the linearizability checker) other packages reuse.
 */
export * from "./core/mod.ts";
export { FileStorage, WalCorruptError } from "./storage/file.ts";
export type { FileStorageOptions } from "./storage/file.ts";
export { SnapshotCorruptError as RaftSnapshotCorruptError } from "./storage/snapshot_file.ts";
export { MemoryStorage } from "./storage/memory.ts";
export type { Storage, WritableStorage } from "./storage/storage.ts";
export type { PeerLinkStatus, Transport } from "./transport/transport.ts";
export { WebSocketTransport } from "./transport/websocket.ts";
export type { WebSocketTransportOptions } from "./transport/websocket.ts";
export { MemoryNetwork, MemoryTransport } from "./transport/memory.ts";
export { NodeStoppedError, ProposalLostError, RaftNode } from "./node.ts";
export type {
  NodeStatus,
  PeerStatus,
  RaftNodeHooks,
  RaftNodeOptions,
  StateMachine,
} from "./node.ts";
