/** Snapshots: checksummed chunked format, streaming reader, atomic writer. */
export { SnapshotCorruptError } from "./errors.ts";
export { readSnapshot } from "./reader.ts";
export type { SnapshotReadResult } from "./reader.ts";
export { writeSnapshot } from "./writer.ts";
export type { SnapshotWriteResult } from "./writer.ts";
