/**
 * `helios aof check DATA_DIR`: checks the whole log the way recovery reads it — the newest
 * snapshot, then every AOF part after its log position, in order, with no gap; a torn tail is
 * acceptable only at the end of the last part. `--fix` cuts that torn tail (after confirmation);
 * damage anywhere else is reported with the file and offset for a manual decision.
 */
import type { AofCheckOptions, AofCheckResult } from "./check.ts";
import { checkAofFile } from "./check.ts";
import { denoDisk } from "./disk.ts";
import { aofPath, classifyNames, snapshotPath } from "./layout.ts";

export async function checkDataDir(dir: string, options: AofCheckOptions): Promise<AofCheckResult> {
  const listing = classifyNames(await denoDisk.readDir(dir));
  const lines: string[] = [];
  const snapshotSeq = listing.snapshotSeqs.at(-1) ?? null;
  let records = 0;
  let sizeBytes = 0;
  let fixed = false;
  const finish = (
    status: AofCheckResult["status"],
    bad: AofCheckResult | null,
  ): AofCheckResult => ({
    file: bad?.file ?? dir,
    kind: "dir",
    status,
    sizeBytes,
    records,
    badOffset: bad?.badOffset ?? null,
    reason: bad?.reason ?? null,
    fixed,
    exitCode: status === "ok" || fixed ? 0 : 1,
    message: lines.join("\n"),
  });
  if (snapshotSeq !== null) {
    const snapshot = await checkAofFile(snapshotPath(dir, snapshotSeq), { disk: denoDisk });
    lines.push(snapshot.message);
    sizeBytes += snapshot.sizeBytes;
    if (snapshot.status !== "ok") return finish("corrupt", snapshot);
  }
  const firstSeq = snapshotSeq ?? 1;
  const parts = listing.aofSeqs.filter((seq) => seq >= firstSeq);
  const gap = parts.findIndex((seq, i) => seq !== firstSeq + i);
  if (gap >= 0) {
    lines.push(`${dir}: AOF part ${aofPath(dir, firstSeq + gap)} is missing: the log has a gap`);
    return finish("corrupt", null);
  }
  for (const [i, seq] of parts.entries()) {
    const isLast = i === parts.length - 1;
    const part = await checkAofFile(aofPath(dir, seq), {
      ...options,
      fix: options.fix && isLast,
      disk: denoDisk,
    });
    lines.push(part.message);
    records += part.records;
    sizeBytes += part.sizeBytes;
    fixed ||= part.fixed;
    if (part.status === "ok" || part.fixed) continue;
    if (part.status === "torn" && isLast) return finish("torn", part);
    if (!isLast) lines.push(`${part.file} is not the last part: only a manual repair can fix it`);
    return finish("corrupt", part);
  }
  lines.push(
    `${dir}: ${parts.length} AOF parts, ${records} records${fixed ? " (after the fix)" : ""}`,
  );
  return finish("ok", null);
}
