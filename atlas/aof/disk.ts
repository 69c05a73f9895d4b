/**
 * The file operations the AOF, snapshot and recovery code need, behind an interface so tests can
 * run the whole engine on a simulated disk that loses un-fsynced bytes on a crash (sim_disk.ts).
 * Production uses `denoDisk`.
 */
export interface DiskFile {
  /** Writes all of `bytes` at the end of what this handle wrote so far (loops over short writes). */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Optional synchronous `write`: appending to the page cache takes a few µs, far less than an
   * async op's thread hand-off (~25 µs of CPU), so the AOF writer uses it when offered.
   */
  writeSync?(bytes: Uint8Array): void;
  /** fsync: the bytes written so far survive a crash. */
  sync(): Promise<void>;
  /** Optional synchronous `sync` (fdatasync on the calling thread, no thread hand-off). */
  syncSync?(): void;
  /** Reads up to `into.length` bytes; null at end of file. */
  read(into: Uint8Array): Promise<number | null>;
  truncate(sizeBytes: number): Promise<void>;
  close(): void;
}

/** `read`: existing file. `append`: create if missing, write at the end. `create`: create or empty. */
export type OpenMode = "read" | "append" | "create";

export interface Disk {
  open(path: string, mode: OpenMode): Promise<DiskFile>;
  /** File names (not paths) in `dir`; empty if it does not exist. */
  readDir(dir: string): Promise<string[]>;
  /** Size in bytes, or null when the file does not exist. */
  size(path: string): Promise<number | null>;
  /** Atomic replace (rename(2)); durable only after `syncDir`. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  mkdirp(dir: string): Promise<void>;
  /** fsync the directory, making creations, renames and removals in it durable. */
  syncDir(dir: string): Promise<void>;
}

class DenoDiskFile implements DiskFile {
  constructor(private readonly file: Deno.FsFile) {}

  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.file.write(bytes.subarray(offset));
  }

  writeSync(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      offset += this.file.writeSync(offset === 0 ? bytes : bytes.subarray(offset));
    }
  }

  sync(): Promise<void> {
    return this.file.syncData();
  }

  syncSync(): void {
    this.file.syncDataSync();
  }

  read(into: Uint8Array): Promise<number | null> {
    return this.file.read(into);
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.file.truncate(sizeBytes);
  }

  close(): void {
    this.file.close();
  }
}

const OPEN_OPTIONS: Record<OpenMode, Deno.OpenOptions> = {
  read: { read: true },
  append: { write: true, create: true, append: true },
  create: { write: true, create: true, truncate: true },
};

/** The real file system through Deno's APIs. */
export const denoDisk: Disk = {
  async open(path, mode) {
    return new DenoDiskFile(await Deno.open(path, OPEN_OPTIONS[mode]));
  },
  async readDir(dir) {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    return names;
  },
  async size(path) {
    try {
      return (await Deno.stat(path)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  },
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
  mkdirp: (dir) => Deno.mkdir(dir, { recursive: true }),
  async syncDir(dir) {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  },
};

/** Reads a whole file through a Disk, in 1 MiB steps. */
export async function readWholeFile(disk: Disk, path: string): Promise<Uint8Array> {
  const file = await disk.open(path, "read");
  try {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const chunk = new Uint8Array(1 << 20);
      const n = await file.read(chunk);
      if (n === null) break;
      parts.push(chunk.subarray(0, n));
      total += n;
    }
    return concatBytes(parts, total);
  } finally {
    file.close();
  }
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total ?? parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
