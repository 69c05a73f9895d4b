/**
 * One process per data directory: two engines appending to the same AOF would interleave their
 * parts and corrupt the log. The lock is a file `atlas.lock` holding the owner's pid, created
 * with O_EXCL. A lock whose pid no longer runs (kill -9, power loss) or is a zombie is stale and
 * taken over; Linux only for the liveness check (/proc), elsewhere an existing lock is trusted.
 */
import { join } from "node:path";

export const LOCK_NAME = "atlas.lock";

/** Locks held by this process (a pid match alone could be a stale lock from a previous boot). */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `Data directory ${dir} is in use by process ${pid}; stop it first ` +
        `(if no such process runs, delete ${join(dir, LOCK_NAME)})`,
    );
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
        await file.sync();
      } finally {
        file.close();
      }
      held.add(path);
      return { release: () => release(path) };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const owner = await readOwner(path);
    if (owner !== null && isRunning(owner, path)) throw new DataDirLockedError(dir, owner);
    await Deno.remove(path).catch(() => undefined); // stale: its owner is gone
  }
  throw new DataDirLockedError(dir, (await readOwner(path)) ?? -1);
}

async function release(path: string): Promise<void> {
  if (!held.delete(path)) return;
  await Deno.remove(path).catch(() => undefined);
}

async function readOwner(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await Deno.readTextFile(path), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null; // vanished or unreadable: treat as stale
  }
}

function isRunning(pid: number, path: string): boolean {
  if (pid === Deno.pid) return held.has(path);
  if (Deno.build.os !== "linux") return true;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return false;
  }
  // A process killed with -9 stays a zombie (state Z, or X while being reaped) until its parent
  // waits for it — forever under a container's PID 1 that reaps nothing. It holds no files and
  // writes nothing more: its lock is stale.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}
