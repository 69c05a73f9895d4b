/**
 * Small byte buffers carved from shared 64 KiB slabs. On this machine `new Uint8Array(n)` costs
 * 0.3-1 µs whatever the size, even for a few bytes (every ArrayBuffer gets its own off-heap
 * backing store), and a proxied request needs several; a view into a slab costs a few tens of
 * nanoseconds. Views are never handed out twice, so a buffer still being written to a socket
 * cannot be overwritten; a slab is freed by the GC once no view of it is left.
 */
const SLAB_BYTES = 64 * 1024;
/** Larger requests get their own buffer (rare, and it would waste slab space). */
const SLAB_ALLOC_MAX = 8 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let offset = 0;

/** A zero-filled view of `n` bytes that nothing else uses. */
export function allocBytes(n: number): Uint8Array<ArrayBuffer> {
  if (n > SLAB_ALLOC_MAX) return new Uint8Array(n);
  if (offset + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    offset = 0;
  }
  const view = slab.subarray(offset, offset + n);
  // Keep views 8-byte aligned (DataView/typed reads stay cheap).
  offset += (n + 7) & ~7;
  return view;
}

/** A copy of `bytes` in slab memory. */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = allocBytes(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * Copies src[from, to) into dst at `at`. Short ranges by a loop: the subarray view that set()
 * needs costs more than copying a few dozen bytes.
 */
export function copyRange(
  src: Uint8Array,
  from: number,
  to: number,
  dst: Uint8Array,
  at: number,
): void {
  if (to - from > 64) {
    dst.set(src.subarray(from, to), at);
    return;
  }
  for (let i = from; i < to; i++) dst[at++] = src[i];
}
