/**
 * Names of the files in the data directory. The number in each name is a log position:
 * `appendonly.<n>.aof` is the n-th AOF part; `snapshot.<n>.snap` holds the state from before
 * part n, so recovery loads the newest snapshot and replays parts n, n+1, ... in order.
 */
import { join } from "node:path";

export const AOF_PATTERN = /^appendonly\.(\d{1,9})\.aof$/;
export const SNAPSHOT_PATTERN = /^snapshot\.(\d{1,9})\.snap$/;
export const TEMP_SUFFIX = ".tmp";

export function aofName(seq: number): string {
  return `appendonly.${seq}.aof`;
}

export function snapshotName(seq: number): string {
  return `snapshot.${seq}.snap`;
}

export function aofPath(dir: string, seq: number): string {
  return join(dir, aofName(seq));
}

export function snapshotPath(dir: string, seq: number): string {
  return join(dir, snapshotName(seq));
}

export interface DirListing {
  aofSeqs: number[];
  snapshotSeqs: number[];
  tempNames: string[];
}

export function classifyNames(names: readonly string[]): DirListing {
  const aofSeqs: number[] = [];
  const snapshotSeqs: number[] = [];
  const tempNames: string[] = [];
  for (const name of names) {
    const aof = AOF_PATTERN.exec(name);
    const snap = SNAPSHOT_PATTERN.exec(name);
    if (aof) aofSeqs.push(Number(aof[1]));
    else if (snap) snapshotSeqs.push(Number(snap[1]));
    else if (name.endsWith(TEMP_SUFFIX)) tempNames.push(name);
  }
  const ascending = (a: number, b: number) => a - b;
  return {
    aofSeqs: aofSeqs.sort(ascending),
    snapshotSeqs: snapshotSeqs.sort(ascending),
    tempNames,
  };
}
