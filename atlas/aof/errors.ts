/** Typed operating errors of the AOF and recovery. Messages name the file, offset and the fix. */

/** The AOF could not be written or fsynced; writes are refused until restart. */
export class AofWriteError extends Error {
  override readonly name = "AofWriteError";
  constructor(readonly detail: string, options?: ErrorOptions) {
    super(`MISCONF Errors writing to the AOF file: ${detail}`, options);
  }
}

/** A record in the middle of the log is damaged: recovery refuses to start. */
export class AofCorruptError extends Error {
  override readonly name = "AofCorruptError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `Bad AOF record in ${file} at byte offset ${offset}: ${reason}; ` +
        `run "helios aof check ${file} --fix" to cut the file there (the records after it are lost)`,
    );
  }
}

/** The last file ends in a partial record and aofLoadTruncated is off: recovery refuses. */
export class AofTruncatedError extends Error {
  override readonly name = "AofTruncatedError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `AOF file ${file} ends in a partial record at byte offset ${offset} (${reason}); ` +
        `truncate it with "helios aof check ${file} --fix" or enable aof_load_truncated`,
    );
  }
}

/** The set of files in the data directory is inconsistent (a missing AOF part, for example). */
export class AofLayoutError extends Error {
  override readonly name = "AofLayoutError";
}
