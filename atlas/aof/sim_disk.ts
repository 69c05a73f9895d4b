import type { Disk, DiskFile, OpenMode } from "./disk.ts";

/**
 * An in-memory Disk with a power-loss model: file contents and directory entries are volatile
 * until `sync()` / `syncDir()`. `crash()` undoes every change to a file made since its last
 * completed fsync (or, when asked, keeps a random prefix of those changes in the order they were
 * made: a torn write) and reverts every directory to its last synced entries. Handles opened
 * before a crash fail afterwards, like a process that died. Writes land at the handle's position
 * (anywhere in the file, as pwrite-style overwrites of preallocated space do), or at the end for
 * handles opened in `append` mode (O_APPEND).
 * Faults: `failWrites` / `failSyncs` make the next operations throw, like EIO or ENOSPC.
 */
interface Inode {
  data: Uint8Array;
  length: number;
  /** Changes not yet covered by a completed fsync, oldest first. */
  pending: Change[];
  /** Sequence number of the last change made. */
  lastSeq: number;
}

/** One write or truncate, with what it replaced so a crash can undo it. */
interface Change {
  seq: number;
  offset: number;
  /** Bytes written from `offset` (0 for a truncate). */
  written: number;
  /** The file's bytes the change replaced, from `offset` (up to the old length). */
  before: Uint8Array;
  /** The file's length before the change. */
  oldLength: number;
}

export interface CrashOptions {
  /** Keep a random prefix of each file's un-fsynced bytes (models a torn write). */
  tornTail?: boolean;
  /** Random source in [0, 1) for torn tails; deterministic tests pass a seeded one. */
  random?: () => number;
}

export class SimDisk implements Disk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  /**
   * Directory changes not yet durable, in order. An fsync of a directory makes durable every
   * change made before it started (never undoing one a later fsync already made durable).
   */
  private dirChanges: { version: number; path: string; inode: Inode | null }[] = [];
  private dirVersion = 0;
  private generation = 0;
  failWrites = false;
  failSyncs = false;
  syncCount = 0;
  /**
   * Awaited inside every write and fsync (e.g. a few event-loop turns), so a crash can land
   * between a write and its fsync. A write lands in the "page cache" at once; an fsync makes
   * durable what was written before it started, but only if it completes before a crash.
   */
  delay: (() => Promise<void>) | null = null;

  open(path: string, mode: OpenMode): Promise<DiskFile> {
    let inode = this.names.get(path);
    if (!inode) {
      if (mode === "read") return Promise.reject(new Error(`No such file: ${path}`));
      inode = { data: new Uint8Array(256), length: 0, pending: [], lastSeq: 0 };
      this.setName(path, inode);
    } else if (mode === "create") {
      truncateInode(inode, 0);
    }
    return Promise.resolve(new SimFile(this, inode, this.generation, mode));
  }

  readDir(dir: string): Promise<string[]> {
    const prefix = dir.endsWith("/") ? dir : dir + "/";
    const names = [...this.names.keys()]
      .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes("/"))
      .map((path) => path.slice(prefix.length));
    return Promise.resolve(names);
  }

  size(path: string): Promise<number | null> {
    return Promise.resolve(this.names.get(path)?.length ?? null);
  }

  rename(from: string, to: string): Promise<void> {
    const inode = this.names.get(from);
    if (!inode) return Promise.reject(new Error(`No such file: ${from}`));
    this.setName(from, null);
    this.setName(to, inode);
    return Promise.resolve();
  }

  remove(path: string): Promise<void> {
    if (!this.names.has(path)) return Promise.reject(new Error(`No such file: ${path}`));
    this.setName(path, null);
    return Promise.resolve();
  }

  mkdirp(_dir: string): Promise<void> {
    return Promise.resolve();
  }

  async syncDir(dir: string): Promise<void> {
    if (this.failSyncs) throw new Error("Input/output error (simulated)");
    const prefix = dir.endsWith("/") ? dir : dir + "/";
    const upTo = this.dirVersion;
    const generation = this.generation;
    if (this.delay) await this.delay();
    if (generation !== this.generation) throw new Error("Disk crashed (simulated)");
    const pending = [];
    for (const change of this.dirChanges) {
      if (change.version > upTo || !change.path.startsWith(prefix)) {
        pending.push(change);
      } else if (change.inode === null) {
        this.durableNames.delete(change.path);
      } else {
        this.durableNames.set(change.path, change.inode);
      }
    }
    this.dirChanges = pending;
  }

  private setName(path: string, inode: Inode | null): void {
    if (inode === null) this.names.delete(path);
    else this.names.set(path, inode);
    this.dirChanges.push({ version: ++this.dirVersion, path, inode });
  }

  /** Power loss: everything not fsynced is gone (or torn); open handles die. */
  crash(options: CrashOptions = {}): void {
    this.generation++;
    const random = options.random ?? Math.random;
    const inodes = new Set(this.durableNames.values());
    for (const inode of inodes) {
      const total = inode.pending.reduce((sum, change) => sum + change.written, 0);
      const keep = options.tornTail && total > 0 ? Math.floor(random() * (total + 1)) : -1;
      undoPending(inode, keep);
    }
    this.names = new Map(this.durableNames);
    this.dirChanges = [];
  }

  /** Test helper: the current bytes of a file. */
  bytes(path: string): Uint8Array {
    const inode = this.names.get(path);
    if (!inode) throw new Error(`No such file: ${path}`);
    return inode.data.slice(0, inode.length);
  }

  /** Test helper: overwrite a file's bytes (durably), e.g. to inject corruption. */
  setBytes(path: string, bytes: Uint8Array): void {
    const inode: Inode = { data: bytes.slice(), length: bytes.length, pending: [], lastSeq: 0 };
    this.dirChanges = this.dirChanges.filter((change) => change.path !== path);
    this.names.set(path, inode);
    this.durableNames.set(path, inode);
  }

  isLive(generation: number): boolean {
    return generation === this.generation;
  }
}

/** Makes room for `length` bytes, zero-filled past the current length. */
function ensureCapacity(inode: Inode, length: number): void {
  if (length > inode.data.length) {
    const grown = new Uint8Array(Math.max(length, inode.data.length * 2));
    grown.set(inode.data.subarray(0, inode.length));
    inode.data = grown;
  }
}

function record(inode: Inode, offset: number, written: number, end: number): void {
  inode.pending.push({
    seq: ++inode.lastSeq,
    offset,
    written,
    before: inode.data.slice(offset, Math.min(end, inode.length)),
    oldLength: inode.length,
  });
}

function writeInode(inode: Inode, offset: number, bytes: Uint8Array): void {
  const end = offset + bytes.length;
  record(inode, offset, bytes.length, end);
  ensureCapacity(inode, end);
  if (offset > inode.length) inode.data.fill(0, inode.length, offset); // a hole reads as zeros
  inode.data.set(bytes, offset);
  inode.length = Math.max(inode.length, end);
}

/** ftruncate: shrinks, or grows with zero bytes. */
function truncateInode(inode: Inode, length: number): void {
  if (length === inode.length) return;
  record(inode, Math.min(length, inode.length), 0, inode.length);
  ensureCapacity(inode, length);
  if (length > inode.length) inode.data.fill(0, inode.length, length);
  inode.length = length;
}

/**
 * Undoes the pending changes of a file, newest first, except that the first `keepBytes` written
 * bytes (in the order they were written) survive; -1 keeps nothing, not even a truncate.
 */
function undoPending(inode: Inode, keepBytes: number): void {
  let budget = keepBytes;
  let firstUndone = inode.pending.length;
  let keptOfFirst = 0;
  for (const [i, change] of inode.pending.entries()) {
    if (budget < 0 || budget < change.written) {
      firstUndone = i;
      keptOfFirst = Math.max(0, budget);
      break;
    }
    budget -= change.written;
  }
  for (let i = inode.pending.length - 1; i >= firstUndone; i--) {
    const change = inode.pending[i];
    const kept = i === firstUndone ? keptOfFirst : 0;
    ensureCapacity(inode, change.offset + change.before.length);
    inode.data.set(change.before.subarray(kept), change.offset + kept);
    inode.length = Math.max(change.oldLength, change.offset + kept);
  }
  inode.pending = [];
  if (inode.data.length > inode.length * 2 + 256) inode.data = inode.data.slice(0, inode.length);
}

class SimFile implements DiskFile {
  private position = 0;

  constructor(
    private readonly disk: SimDisk,
    private readonly inode: Inode,
    private readonly generation: number,
    private readonly mode: OpenMode,
  ) {}

  private check(): void {
    if (!this.disk.isLive(this.generation)) throw new Error("Disk crashed (simulated)");
  }

  // No writeSync/syncSync: the writer then takes its async paths, where `delay` lets a crash
  // land between a write and its fsync.
  async write(bytes: Uint8Array): Promise<void> {
    this.put(bytes);
    if (this.disk.delay) await this.disk.delay();
    this.check();
  }

  private put(bytes: Uint8Array): void {
    this.check();
    if (this.disk.failWrites) throw new Error("No space left on device (simulated)");
    const offset = this.mode === "append" ? this.inode.length : this.position;
    writeInode(this.inode, offset, bytes);
    this.position = offset + bytes.length;
  }

  async sync(): Promise<void> {
    this.check();
    if (this.disk.failSyncs) throw new Error("Input/output error (simulated)");
    const upTo = this.inode.lastSeq;
    if (this.disk.delay) await this.disk.delay();
    this.check(); // a crash while the fsync ran: nothing became durable
    this.syncDone(upTo);
  }

  /** Changes made before the fsync started are durable now. */
  private syncDone(upTo: number): void {
    this.disk.syncCount++;
    const pending = this.inode.pending;
    let i = 0;
    while (i < pending.length && pending[i].seq <= upTo) i++;
    if (i > 0) this.inode.pending = pending.slice(i);
  }

  read(into: Uint8Array): Promise<number | null> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error);
    }
    const available = this.inode.length - this.position;
    if (available <= 0) return Promise.resolve(null);
    const n = Math.min(available, into.length);
    into.set(this.inode.data.subarray(this.position, this.position + n));
    this.position += n;
    return Promise.resolve(n);
  }

  truncate(sizeBytes: number): Promise<void> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error);
    }
    truncateInode(this.inode, sizeBytes);
    return Promise.resolve();
  }

  close(): void {}
}
