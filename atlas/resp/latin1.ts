import { Buffer } from "node:buffer";

/** node:buffer's native latin1 helpers (present at runtime, missing from the type definitions). */
export interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
}

/** A latin1 view over `bytes` (shares its memory). */
export function latin1View(bytes: Uint8Array): Latin1Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as Latin1Buffer;
}
