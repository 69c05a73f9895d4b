import { Buffer } from "node:buffer";

/**
 * node:buffer's native latin1Slice (present at runtime, missing from the type definitions). Its
 * latin1Write is not used: in Deno it is slower than a loop (see writeBinaryString).
 */
export interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
}

/** A latin1 view over `bytes` (shares its memory). */
export function latin1View(bytes: Uint8Array): Latin1Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as Latin1Buffer;
}
