import assert from "node:assert/strict";
import { concatBytes } from "./disk.ts";
import { AOF_HEADER_BYTES, encodeAofHeader, encodeRecordBytes } from "./format.ts";
import { scanAof } from "./scan.ts";

function aofBytes(records: string[][][]): { bytes: Uint8Array; offsets: number[] } {
  const parts = [encodeAofHeader(1)];
  const offsets: number[] = [];
  let offset = AOF_HEADER_BYTES;
  for (const [i, log] of records.entries()) {
    const record = encodeRecordBytes(1000 + i, log);
    offsets.push(offset);
    offset += record.length;
    parts.push(record);
  }
  return { bytes: concatBytes(parts), offsets };
}

const LOGS = [
  [["SET", "a", "1"]],
  [["SET", "b", "\x00\xff binary \r\n"]],
  [["MULTI"], ["INCR", "c"], ["EXEC"]],
  [["DEL", "a"]],
];

Deno.test("scan decodes every record with its clock", () => {
  const { bytes } = aofBytes(LOGS);
  const seen: { nowMs: number; log: string[][] }[] = [];
  const result = scanAof(bytes, (record) => seen.push(record));
  assert.equal(result.status, "ok");
  assert.equal(result.records, 4);
  assert.equal(result.fileSeq, 1);
  assert.deepEqual(seen.map((r) => r.log), LOGS);
  assert.deepEqual(seen.map((r) => r.nowMs), [1000, 1001, 1002, 1003]);
});

Deno.test("a file cut inside its last record is torn at that record", () => {
  const { bytes, offsets } = aofBytes(LOGS);
  for (const cut of [offsets[3] + 1, offsets[3] + 7, offsets[3] + 8, bytes.length - 1]) {
    const result = scanAof(bytes.subarray(0, cut), () => {});
    assert.equal(result.status, "torn", `cut at ${cut}`);
    assert.equal(result.badOffset, offsets[3]);
    assert.equal(result.validBytes, offsets[3]);
    assert.equal(result.records, 3);
  }
});

Deno.test("zero bytes from a record boundary on end the log (preallocated space)", () => {
  const { bytes, offsets } = aofBytes(LOGS);
  const padded = concatBytes([bytes, new Uint8Array(4096)]);
  const result = scanAof(padded, () => {});
  assert.equal(result.status, "ok");
  assert.equal(result.records, 4);
  assert.equal(result.validBytes, bytes.length);
  assert.equal(result.paddingBytes, 4096);
  // A power loss after a size update whose data never reached the disk looks the same.
  const lost = bytes.slice();
  lost.fill(0, offsets[2]);
  const cut = scanAof(lost);
  assert.deepEqual([cut.status, cut.records, cut.validBytes], ["ok", 2, offsets[2]]);
  assert.equal(cut.paddingBytes, bytes.length - offsets[2]);
  assert.equal(scanAof(bytes).paddingBytes, 0);
});

Deno.test("a record cut short inside preallocated space is torn at that record", () => {
  const { bytes, offsets } = aofBytes(LOGS);
  const padded = concatBytes([bytes, new Uint8Array(512)]);
  // The write of the last record reached the disk only up to `keep` bytes; zeros follow.
  for (const keep of [1, 5, 11, 12, 13, bytes.length - offsets[3] - 1]) {
    const torn = padded.slice();
    torn.fill(0, offsets[3] + keep);
    const result = scanAof(torn, () => {});
    assert.equal(result.status, "torn", `kept ${keep} bytes`);
    assert.equal(result.badOffset, offsets[3]);
    assert.equal(result.validBytes, offsets[3]);
    assert.equal(result.records, 3);
  }
  // Damage with records after it stays corruption, padding or not.
  const damaged = padded.slice();
  damaged[offsets[2] + 14] ^= 1;
  assert.equal(scanAof(damaged).status, "corrupt");
});

Deno.test("a damaged record followed by more data is corruption, at its offset", () => {
  const { bytes, offsets } = aofBytes(LOGS);
  for (const at of [offsets[1] + 2, offsets[1] + 12, offsets[2] - 1]) {
    const damaged = bytes.slice();
    damaged[at] ^= 0x55;
    const result = scanAof(damaged, () => {});
    assert.equal(result.status, "corrupt", `flip at ${at}`);
    assert.equal(result.badOffset, offsets[1]);
    assert.equal(result.records, 1);
  }
});

Deno.test("a bad checksum on the very last record counts as torn", () => {
  const { bytes, offsets } = aofBytes(LOGS);
  const damaged = bytes.slice();
  damaged[bytes.length - 1] ^= 1;
  const result = scanAof(damaged);
  assert.equal(result.status, "torn");
  assert.equal(result.badOffset, offsets[3]);
});

Deno.test("headers: empty and cut headers are torn, foreign files are corrupt", () => {
  const { bytes } = aofBytes([]);
  assert.equal(scanAof(bytes).status, "ok");
  assert.equal(scanAof(bytes.subarray(0, 5)).status, "torn");
  assert.equal(scanAof(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n")).status, "corrupt");
});
