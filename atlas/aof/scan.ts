/**
 * Walks the records of one AOF file's bytes and classifies the first bad spot:
 * - `torn`: the file ends inside a record (its header checks out but its body is cut short), or a
 *   bad record is followed only by zero bytes or is the very last thing in the file — what an
 *   interrupted write or a power loss leaves behind.
 * - `corrupt`: a bad record with more data after it — damage no crash can explain.
 *
 * Zero bytes from a record boundary to the end of the file are not damage: they are the
 * zero-filled space the writer preallocates ahead of its records (writer.ts), or what a power loss
 * leaves after a size update whose data never reached the disk. Either way the log ends there:
 * the scan is `ok`, and `paddingBytes` says how many such bytes follow the last record. No record
 * can start with zero bytes: its header's checksum of a zero length is not zero.
 */
import { crc32 } from "./crc32.ts";
import {
  AOF_HEADER_BYTES,
  AOF_VERSION,
  decodeAofHeader,
  decodeBody,
  type DecodedRecord,
  latin1Slicer,
  RECORD_BODY_BYTES_MAX,
  RECORD_HEADER_BYTES,
} from "./format.ts";

export type ScanStatus = "ok" | "torn" | "corrupt";

export interface ScanResult {
  status: ScanStatus;
  /** Records that checked out before the first bad byte. */
  records: number;
  /** Bytes [0, validBytes) are a clean file: the truncation point for a torn tail or padding. */
  validBytes: number;
  /** Zero bytes after the last record (preallocated space); 0 unless status is ok. */
  paddingBytes: number;
  /** Offset of the first bad byte when status is not ok. */
  badOffset: number | null;
  reason: string | null;
  fileSeq: number | null;
}

/**
 * Scans `bytes`; calls `onRecord` for each good record in order (skip decoding by passing none).
 * An exception thrown by `onRecord` propagates.
 */
export function scanAof(
  bytes: Uint8Array,
  onRecord?: (record: DecodedRecord, offset: number) => void,
): ScanResult {
  const size = bytes.length;
  const header = decodeAofHeader(bytes);
  if (header === null) {
    const torn = size < AOF_HEADER_BYTES && isPrefixOfHeader(bytes);
    return bad(
      torn ? "torn" : "corrupt",
      0,
      0,
      torn ? "File ends inside the header" : "Bad file header",
      null,
    );
  }
  if (header.version !== AOF_VERSION) {
    return bad("corrupt", 0, 0, `Unsupported AOF version ${header.version}`, header.fileSeq);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = latin1Slicer(bytes);
  let offset = AOF_HEADER_BYTES;
  let records = 0;
  while (offset < size) {
    /** A bad record is torn when nothing but zero bytes follows `lastFrom`. */
    const fail = (reason: string, lastFrom: number): ScanResult => {
      const torn = lastFrom >= size || allZero(bytes, lastFrom);
      return bad(torn ? "torn" : "corrupt", records, offset, reason, header.fileSeq);
    };
    if (allZero(bytes, offset)) {
      return { ...ok(records, offset, header.fileSeq), paddingBytes: size - offset };
    }
    if (size - offset < RECORD_HEADER_BYTES) return fail("File ends inside a record header", size);
    if (view.getUint32(offset + 8, true) !== crc32(bytes, 0, offset, offset + 8)) {
      return fail("Record header checksum mismatch", offset + RECORD_HEADER_BYTES);
    }
    const length = view.getUint32(offset, true);
    if (length > RECORD_BODY_BYTES_MAX || length < 12) {
      return fail(`Bad record length ${length}`, offset);
    }
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > size) return fail("File ends inside a record", size);
    const stored = view.getUint32(offset + 4, true);
    if (crc32(bytes, 0, offset + RECORD_HEADER_BYTES, end) !== stored) {
      // Cut short by a crash inside preallocated space, the body's tail is still zero bytes.
      return fail("Record checksum mismatch", end);
    }
    if (onRecord) {
      let record: DecodedRecord;
      try {
        record = decodeBody(bytes, offset + RECORD_HEADER_BYTES, end, text);
      } catch (error) {
        return fail(`Bad record body: ${(error as Error).message}`, offset);
      }
      onRecord(record, offset);
    }
    records++;
    offset = end;
  }
  return ok(records, size, header.fileSeq);
}

function ok(records: number, validBytes: number, fileSeq: number): ScanResult {
  return {
    status: "ok",
    records,
    validBytes,
    paddingBytes: 0,
    badOffset: null,
    reason: null,
    fileSeq,
  };
}

function bad(
  status: ScanStatus,
  records: number,
  offset: number,
  reason: string,
  fileSeq: number | null,
): ScanResult {
  return {
    status,
    records,
    validBytes: offset,
    paddingBytes: 0,
    badOffset: offset,
    reason,
    fileSeq,
  };
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function isPrefixOfHeader(bytes: Uint8Array): boolean {
  const magic = "ATLASAOF";
  for (let i = 0; i < Math.min(bytes.length, 8); i++) {
    if (bytes[i] !== magic.charCodeAt(i)) return false;
  }
  return true;
}
