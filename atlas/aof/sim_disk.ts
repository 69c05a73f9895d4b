import type { Disk, DiskFile, OpenMode } from "./disk.ts";

/**
 * An in-memory Disk with a power-loss model: file contents and directory entries are volatile
 * until `sync()` / `syncDir()`. `crash()` reverts every file to its last fsynced bytes (plus, when
 * asked, a random prefix of the un-fsynced tail: a torn write) and every directory to its last
 * synced entries. Handles opened before a crash fail afterwards, like a process that died.
 * Faults: `failWrites` / `failSyncs` make the next operations throw, like EIO or ENOSPC.
 */
interface Inode {
  data: Uint8Array;
  length: number;
  /** Bytes [0, durableLength) of `durable ?? data` survive a crash. */
  durableLength: number;
  /** A private copy of the durable bytes, made once a truncate rewrites below durableLength. */
  durable: Uint8Array | null;
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
      inode = { data: new Uint8Array(256), length: 0, durableLength: 0, durable: null };
      this.setName(path, inode);
    } else if (mode === "create") {
      preserveDurable(inode, 0);
      inode.length = 0;
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
      const durable = inode.durable ?? inode.data;
      const unsynced = inode.durable ? 0 : inode.length - inode.durableLength;
      const kept = options.tornTail && unsynced > 0 ? Math.floor(random() * (unsynced + 1)) : 0;
      const length = inode.durableLength + kept;
      inode.data = durable.slice(0, Math.max(length, 1));
      inode.length = length;
      inode.durableLength = length;
      inode.durable = null;
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
    const inode: Inode = {
      data: bytes.slice(),
      length: bytes.length,
      durableLength: 0,
      durable: null,
    };
    inode.durableLength = bytes.length;
    this.dirChanges = this.dirChanges.filter((change) => change.path !== path);
    this.names.set(path, inode);
    this.durableNames.set(path, inode);
  }

  isLive(generation: number): boolean {
    return generation === this.generation;
  }
}

/** Before bytes below durableLength change, keep a copy of what a crash would restore. */
function preserveDurable(inode: Inode, newLength: number): void {
  if (inode.durable === null && newLength < inode.durableLength) {
    inode.durable = inode.data.slice(0, inode.durableLength);
  }
}

class SimFile implements DiskFile {
  private position: number;

  constructor(
    private readonly disk: SimDisk,
    private readonly inode: Inode,
    private readonly generation: number,
    mode: OpenMode,
  ) {
    this.position = mode === "append" ? inode.length : 0;
  }

  private check(): void {
    if (!this.disk.isLive(this.generation)) throw new Error("Disk crashed (simulated)");
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.check();
    if (this.disk.failWrites) throw new Error("No space left on device (simulated)");
    this.append(bytes);
    if (this.disk.delay) await this.disk.delay();
    this.check();
  }

  private append(bytes: Uint8Array): void {
    const inode = this.inode;
    const end = inode.length + bytes.length;
    if (end > inode.data.length) {
      const grown = new Uint8Array(Math.max(end, inode.data.length * 2));
      grown.set(inode.data.subarray(0, inode.length));
      inode.data = grown;
    }
    inode.data.set(bytes, inode.length);
    inode.length = end;
    this.position = end;
  }

  async sync(): Promise<void> {
    this.check();
    if (this.disk.failSyncs) throw new Error("Input/output error (simulated)");
    const length = this.inode.length;
    const durable = this.inode.durable;
    if (this.disk.delay) await this.disk.delay();
    this.check(); // a crash while the fsync ran: nothing became durable
    this.disk.syncCount++;
    if (this.inode.durable === durable) {
      this.inode.durableLength = Math.min(length, this.inode.length);
      this.inode.durable = null;
    }
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
    preserveDurable(this.inode, sizeBytes);
    this.inode.length = Math.min(this.inode.length, sizeBytes);
    return Promise.resolve();
  }

  close(): void {}
}
