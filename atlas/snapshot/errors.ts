/** A snapshot file fails its checks: recovery refuses to start rather than load partial state. */
export class SnapshotCorruptError extends Error {
  override readonly name = "SnapshotCorruptError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `Bad snapshot ${file} at byte offset ${offset}: ${reason}; ` +
        `move it away to recover from an older snapshot or the AOF alone only if those still exist`,
    );
  }
}
