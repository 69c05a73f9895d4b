/**
 * The AOF writer: an in-memory buffer plus one serial "pump" that writes it out.
 *
 * `append()` encodes a record into the buffer and schedules the pump as a microtask: it runs once
 * the callbacks of the current I/O turn (every connection whose read completed in it) have run, so
 * the writes of a turn share one write(2) — and, under `every`, one fsync; writes arriving while
 * an fsync is in flight form the next batch (group commit). Every EAGER_PUMPS_MAX-th pump goes
 * through setImmediate instead, so writers that append again as soon as sync() resolves still let
 * timers run. `sync()` resolves once everything appended before it is as durable as the mode
 * promises. `rotate()` starts a new AOF part at an exact record boundary (used by snapshots).
 *
 * Under `every` the part is preallocated: zero bytes are written ahead of the records (and
 * fsynced) in steps of `preallocateBytes`, and records overwrite them. An fdatasync of bytes
 * inside the file's size has no size change to make durable, so it writes only the data pages:
 * on this machine's ext4 it took 98 µs instead of 160 µs and 40 µs of CPU instead of 63. The
 * extension runs off the reply path, ahead of need, through a second handle opened in append
 * mode: it always writes at the end of the file, past any record, so it can run while records
 * are written. The zero tail is trimmed when a part is finished or closed, and by recovery after
 * a crash (a scan ends the log at zero bytes on a record boundary: scan.ts).
 */
import { setImmediate } from "node:timers";
import { concatBytes, type Disk, type DiskFile } from "./disk.ts";
import { AofWriteError } from "./errors.ts";
import { encodeAofHeader, encodeRecord, recordSize } from "./format.ts";
import { aofPath } from "./layout.ts";

export type FsyncMode = "every" | "interval" | "none";
export const FSYNC_MODES: readonly FsyncMode[] = ["every", "interval", "none"];

export interface AofWriterOptions {
  disk: Disk;
  dir: string;
  fsync: FsyncMode;
  /** The first part to write (a new file). */
  fileSeq: number;
  /** Bytes already on disk in older live parts (for the size statistic). */
  baseSizeBytes?: number;
  /**
   * Under `every`, fsync on the event loop's own thread when the file offers it, as Redis does
   * under `appendfsync always` (default false; settable later through `blockingFsync`). The loop
   * waits for each fsync, but saves a thread hand-off per fsync (~30 µs CPU and as much latency):
   * better for a server whose writers are remote clients (their next requests queue in the
   * kernel meanwhile). Worse for in-process writers, which keep working while a worker-thread
   * fsync runs and so fill the next batch (the embedded job queue ran 3-4x slower with it).
   */
  blockingFsync?: boolean;
  /** Under `every`, how many zero bytes to preallocate at a time (0 or unset: none). */
  preallocateBytes?: number;
  onFsync?: (seconds: number, mode: FsyncMode) => void;
  /** Called once, on the first failed write or fsync. */
  onError?: (error: AofWriteError) => void;
}

interface Segment {
  fileSeq: number;
  parts: Uint8Array[];
  /** Sequence number of the last record appended to this segment. */
  endSeq: number;
}

/**
 * Callers of sync() waiting for one target. Callers that arrive before the pump next takes data
 * share one waiter (its seq raised to the latest record, which that same write covers): one
 * promise per batch, not one per client.
 */
interface Waiter {
  seq: number;
  /** pumpTakes when this waiter was created. */
  epoch: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newWaiter(seq: number, epoch: number): Waiter {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  return { seq, epoch, promise, resolve, reject };
}

/** Joins the list's last waiter if no pump took data since it was made, else adds one. */
function joinWaiters(list: Waiter[], seq: number, epoch: number): Promise<void> {
  const last = list.length > 0 ? list[list.length - 1] : undefined;
  if (last !== undefined && last.epoch === epoch) {
    if (seq > last.seq) last.seq = seq;
    return last.promise;
  }
  const waiter = newWaiter(seq, epoch);
  list.push(waiter);
  return waiter.promise;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Pumps scheduled as microtasks in a row before one is scheduled with setImmediate. A microtask
 * pump writes as soon as the turn's callbacks are done instead of after another round of the
 * event loop (paired runs of atlasd, `redis-benchmark -c 50 -P 1`: SET, INCR and LPUSH a few
 * percent faster and cheaper per request, under `interval` and `every`). But a writer whose
 * next append waits only for sync() (an in-process loop) would chain microtask pumps forever, so
 * every 64th batch waits for the loop's check phase: timers run at least that often (sockets
 * less often: Deno does not poll them at every check phase, with or without this bound).
 */
const EAGER_PUMPS_MAX = 64;

/** Parts up to this many bytes in all are copied together and written with one write(2). */
const COALESCE_BYTES_MAX = 256 * 1024;

/**
 * What one pump writes: its parts copied into one array (one write(2)), unless they are large:
 * then each part as it is. Copying a batch of large records (big values, a big MULTI) would
 * cost a fresh allocation and a memcpy of all of it to save a few system calls.
 */
function writeBatches(parts: Uint8Array[]): Uint8Array[] {
  if (parts.length === 1) return parts;
  let total = 0;
  for (const part of parts) total += part.length;
  return total <= COALESCE_BYTES_MAX ? [concatBytes(parts, total)] : parts;
}

let zeros = new Uint8Array(0);

/** A shared, never written, zero-filled array of `length` bytes. */
function zeroBytes(length: number): Uint8Array {
  if (zeros.length < length) zeros = new Uint8Array(length);
  return zeros.subarray(0, length);
}

export class AofWriter {
  private readonly options: AofWriterOptions;
  private segments: Segment[];
  private chunk = new Uint8Array(CHUNK_BYTES);
  private chunkStart = 0;
  private chunkUsed = 0;
  private waiters: Waiter[] = [];
  /** Callers of sync() under interval/none: released once their records reached the OS. */
  private writtenWaiters: Waiter[] = [];
  private file: DiskFile | null = null;
  private fileSeq = 0;
  private scheduled = false;
  /** Microtask pumps since the last setImmediate one (see EAGER_PUMPS_MAX). */
  private eagerPumps = 0;
  /** True while pump() runs; set and cleared synchronously so append() never misses a pump. */
  private pumping = false;
  private fsyncWanted = false;
  /** Times the pump took buffered data to write (waiters made before it cannot join after). */
  private pumpTakes = 0;
  private closed = false;
  private switchListeners: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Records appended / handed to the OS / fsynced, counted from 0 at open. */
  appendedSeq = 0;
  writtenSeq = 0;
  durableSeq = 0;
  sizeBytes: number;
  failure: AofWriteError | null = null;
  /** See AofWriterOptions.blockingFsync; takes effect from the next batch. */
  blockingFsync: boolean;
  /** Bytes of the current part that hold its header and records. */
  private fileBytes = 0;
  /** The current part's size: fileBytes plus preallocated zero bytes. */
  private allocatedBytes = 0;
  /** The preallocation step asked for (used under `every` only). */
  private readonly preallocateStep: number;
  /** The fsync mode now (setFsyncMode changes it). */
  private mode: FsyncMode;
  /**
   * Records appended under `every` before a switch to a weaker mode: sync() still waits for an
   * fsync that covers them (they were promised one). 0 when none.
   */
  private strictSeq = 0;
  private extending: Promise<void> | null = null;

  constructor(options: AofWriterOptions) {
    this.options = options;
    this.segments = [{ fileSeq: options.fileSeq, parts: [], endSeq: 0 }];
    this.sizeBytes = options.baseSizeBytes ?? 0;
    this.blockingFsync = options.blockingFsync === true;
    this.preallocateStep = options.preallocateBytes ?? 0;
    this.mode = options.fsync;
  }

  /** The preallocation step in bytes; 0 when off (it is on under `every` only). */
  private get preallocateBytes(): number {
    return this.mode === "every" ? this.preallocateStep : 0;
  }

  /** The fsync mode now. */
  get fsyncMode(): FsyncMode {
    return this.mode;
  }

  /**
   * Switches the fsync mode at run time (CONFIG SET appendfsync); takes effect at once. Promises
   * already made hold: records appended under `every` still get their fsync before sync() (and
   * so their replies) resolve, even after a switch to `interval` or `none`. A switch to `every`
   * fsyncs everything written so far right away, and the next sync() waits for an fsync covering
   * every record before it. The interval timer is the engine's (AtlasEngine.setFsyncMode).
   */
  setFsyncMode(mode: FsyncMode): void {
    if (!FSYNC_MODES.includes(mode)) throw new RangeError(`Unknown fsync mode "${mode}"`);
    if (mode === this.mode) return;
    const wasEvery = this.mode === "every";
    this.mode = mode;
    if (this.appendedSeq === this.durableSeq) return;
    if (wasEvery) this.strictSeq = this.appendedSeq;
    this.fsyncWanted = true;
    this.kick();
  }

  /** The part new records go to. */
  get currentFileSeq(): number {
    return this.segments[this.segments.length - 1].fileSeq;
  }

  /** Creates the first part. Call once before appending. */
  async start(): Promise<void> {
    await this.switchFile(this.segments[0].fileSeq);
  }

  /** Buffers one record (the whole log of one command) and schedules its write. */
  append(nowMs: number, log: readonly (readonly string[])[]): void {
    if (this.failure) return; // writes are refused; nothing more can become durable
    const size = recordSize(log);
    if (this.chunk.length - this.chunkUsed < size) {
      this.sealChunk();
      this.chunk = new Uint8Array(Math.max(CHUNK_BYTES, size));
      this.chunkStart = 0;
      this.chunkUsed = 0;
    }
    this.chunkUsed = encodeRecord(this.chunk, this.chunkUsed, nowMs, log);
    this.appendedSeq++;
    this.segments[this.segments.length - 1].endSeq = this.appendedSeq;
    this.kick();
  }

  /** Everything appended so far is as durable as the mode promises once this resolves. */
  sync(): Promise<void> {
    if (this.mode !== "every") {
      // No fsync on the reply path, but the records reach the OS (write) before any reply goes
      // out, as Redis does under everysec: a process crash then loses nothing acknowledged.
      if (this.durableSeq < this.strictSeq) {
        return Promise.all([this.waitDurable(this.strictSeq), this.waitWritten(this.appendedSeq)])
          .then(() => undefined);
      }
      return this.waitWritten(this.appendedSeq);
    }
    return this.waitDurable(this.appendedSeq);
  }

  /** Whether some appended record is not yet as durable as the mode promises. */
  get unsettled(): boolean {
    if (this.mode === "every") return this.durableSeq < this.appendedSeq;
    return this.writtenSeq < this.appendedSeq || this.durableSeq < this.strictSeq;
  }

  private waitWritten(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.writtenSeq >= seq) return Promise.resolve();
    this.kick();
    return joinWaiters(this.writtenWaiters, seq, this.pumpTakes);
  }

  private settleWrittenWaiters(): void {
    if (this.writtenWaiters.length === 0) return;
    const pending: Waiter[] = [];
    for (const waiter of this.writtenWaiters) {
      if (waiter.seq <= this.writtenSeq) waiter.resolve();
      else pending.push(waiter);
    }
    this.writtenWaiters = pending;
  }

  /** Writes and fsyncs everything appended so far, whatever the mode. */
  flush(): Promise<void> {
    this.fsyncWanted = true;
    this.kick();
    return this.waitDurable(this.appendedSeq);
  }

  /** Interval mode's timer calls this: fsync off the reply path if anything is unsynced. */
  requestFsync(): void {
    if (this.writtenSeq > this.durableSeq || this.appendedSeq > this.writtenSeq) {
      this.fsyncWanted = true;
      this.kick();
    }
  }

  /** Records appended from now on go to part `fileSeq`; resolves once that file is in place. */
  rotate(fileSeq: number): Promise<void> {
    this.sealChunk();
    const last = this.segments[this.segments.length - 1];
    this.segments.push({ fileSeq, parts: [], endSeq: last.endSeq });
    const switched = new Promise<void>((resolve, reject) =>
      this.switchListeners.push({ seq: fileSeq, resolve, reject })
    );
    this.kick();
    return switched;
  }

  /** Flushes, fsyncs and closes. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.failure) {
        await this.flush();
        await this.trimPreallocated();
      }
    } finally {
      this.closed = true;
      this.file?.close();
      this.file = null;
    }
  }

  private waitDurable(seq: number): Promise<void> {
    if (this.durableSeq >= seq) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return joinWaiters(this.waiters, seq, this.pumpTakes);
  }

  private sealChunk(): void {
    if (this.chunkUsed > this.chunkStart) {
      this.segments[this.segments.length - 1].parts.push(
        this.chunk.subarray(this.chunkStart, this.chunkUsed),
      );
      this.chunkStart = this.chunkUsed;
    }
  }

  private kick(): void {
    if (this.scheduled || this.pumping || this.failure || this.closed) return;
    this.scheduled = true;
    if (++this.eagerPumps < EAGER_PUMPS_MAX) queueMicrotask(this.runPump);
    else {
      this.eagerPumps = 0;
      setImmediate(this.runPump);
    }
  }

  private readonly runPump = () => {
    this.scheduled = false;
    if (!this.pumping) void this.pump();
  };

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.failure) {
        this.sealChunk();
        const segment = this.segments[0];
        if (segment.fileSeq !== this.fileSeq) {
          await this.switchFile(segment.fileSeq);
          continue; // records appended meanwhile sit in the chunk: seal them before reading endSeq
        }
        if (segment.parts.length > 0) {
          const batch = writeBatches(segment.parts);
          segment.parts = [];
          this.pumpTakes++;
          const endSeq = segment.endSeq;
          const file = this.file!;
          for (const data of batch) {
            if (file.writeSync !== undefined) file.writeSync(data);
            else await file.write(data);
            this.sizeBytes += data.length;
            this.fileBytes += data.length;
          }
          this.writtenSeq = endSeq;
          this.preallocateAhead();
          this.settleWrittenWaiters();
          if (this.mode === "every") {
            if (this.fsyncBlocks()) {
              this.fsyncOnLoop();
              // Not straight on to the next batch: the callers just released run first, and
              // their appends schedule the next pump (kick() bounds how long such a chain can
              // keep timers waiting).
              return;
            }
            await this.fsyncNow();
          }
        } else if (this.segments.length > 1) {
          this.segments.shift();
        } else if (this.writtenSeq > this.durableSeq && (this.fsyncWanted || this.waiters.length)) {
          await this.fsyncNow();
        } else {
          if (this.durableSeq >= this.writtenSeq) this.fsyncWanted = false;
          this.settleWaiters();
          return;
        }
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.pumping = false;
      // Work that arrived while pumping (a rotation, records of a blocked turn) gets a new pump.
      if (!this.failure && (this.appendedSeq > this.writtenSeq || this.segments.length > 1)) {
        this.kick();
      }
    }
  }

  /** Whether `every` fsyncs on the loop's thread (see AofWriterOptions.blockingFsync). */
  private fsyncBlocks(): boolean {
    return this.blockingFsync && this.file!.syncSync !== undefined;
  }

  /** The blocking fsync: no await, so no caller runs between the fsync and its release. */
  private fsyncOnLoop(): void {
    const startMs = performance.now();
    const target = this.writtenSeq;
    this.file!.syncSync!();
    this.fsynced(target, startMs);
  }

  private async fsyncNow(): Promise<void> {
    const startMs = performance.now();
    const target = this.writtenSeq;
    await this.file!.sync(); // interval's timer fsync stays off the loop (like Redis's everysec)
    this.fsynced(target, startMs);
  }

  private fsynced(target: number, startMs: number): void {
    this.options.onFsync?.((performance.now() - startMs) / 1000, this.mode);
    this.durableSeq = target;
    this.fsyncWanted = false;
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const pending: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.seq <= this.durableSeq) waiter.resolve();
      else pending.push(waiter);
    }
    this.waiters = pending;
  }

  /** Finishes the old part (always fsynced: only the last part may have a torn tail). */
  private async switchFile(fileSeq: number): Promise<void> {
    const { disk, dir } = this.options;
    if (this.file) {
      await this.trimPreallocated();
      await this.file.sync();
      this.durableSeq = this.writtenSeq;
      this.settleWaiters();
      this.file.close();
      this.file = null;
    }
    const file = await disk.open(aofPath(dir, fileSeq), "create");
    this.file = file;
    this.fileSeq = fileSeq;
    const header = encodeAofHeader(fileSeq);
    await file.write(header);
    this.fileBytes = this.allocatedBytes = header.length;
    if (this.preallocateBytes > 0) await this.extend(); // synced by the next line either way
    await file.sync();
    await disk.syncDir(dir);
    this.sizeBytes += header.length;
    const ready = this.switchListeners.filter((listener) => listener.seq <= fileSeq);
    this.switchListeners = this.switchListeners.filter((listener) => listener.seq > fileSeq);
    for (const listener of ready) listener.resolve();
  }

  /** Starts the next preallocation step once less than half a step of zero bytes is left. */
  private preallocateAhead(): void {
    if (this.preallocateBytes === 0 || this.extending !== null) return;
    if (this.allocatedBytes - this.fileBytes >= this.preallocateBytes / 2) return;
    this.extending = this.extend().finally(() => this.extending = null);
  }

  /**
   * Appends `preallocateBytes` zero bytes to the current part and fsyncs them. Best effort: on a
   * failure (a full disk, say) records simply go on past the end of the file, as without it.
   */
  private async extend(): Promise<void> {
    const { disk, dir } = this.options;
    const path = aofPath(dir, this.fileSeq);
    try {
      const handle = await disk.open(path, "append");
      try {
        await handle.write(zeroBytes(this.preallocateBytes));
        await handle.sync();
      } finally {
        handle.close();
      }
      this.allocatedBytes = (await disk.size(path)) ?? this.allocatedBytes;
    } catch {
      // Not worth failing writes over: the records themselves report real I/O errors.
    }
  }

  /** Cuts the current part's unused zero bytes off, leaving the header and records. */
  private async trimPreallocated(): Promise<void> {
    if (this.extending !== null) await this.extending;
    if (this.file === null || this.allocatedBytes <= this.fileBytes) return;
    await this.file.truncate(this.fileBytes);
    await this.file.sync();
    this.allocatedBytes = this.fileBytes;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    const failure = error instanceof AofWriteError
      ? error
      : new AofWriteError(error.message, { cause: error });
    this.failure = failure;
    for (const waiter of [...this.waiters, ...this.writtenWaiters]) waiter.reject(failure);
    this.waiters = [];
    this.writtenWaiters = [];
    for (const listener of this.switchListeners) listener.reject(failure);
    this.switchListeners = [];
    this.options.onError?.(failure);
  }

  /** Bytes a compaction removed from disk (for the size statistic). */
  forgetBytes(bytes: number): void {
    this.sizeBytes = Math.max(0, this.sizeBytes - bytes);
  }
}
