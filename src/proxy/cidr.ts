/** IPv4/IPv6 CIDR parsing and matching for trusted-proxy lists. */

export interface Cidr {
  bytes: Uint8Array;
  prefixBits: number;
}

export function parseIp(text: string): Uint8Array | null {
  const host = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (host.includes(":")) return parseIpv6(host);
  return parseIpv4(host);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const value = Number(parts[i]);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  const zone = text.indexOf("%");
  let body = zone >= 0 ? text.slice(0, zone) : text;
  let tail: Uint8Array | null = null;
  const lastColon = body.lastIndexOf(":");
  if (body.slice(lastColon + 1).includes(".")) {
    tail = parseIpv4(body.slice(lastColon + 1));
    if (!tail) return null;
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1].split(":")) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return null;
    const value = parseInt(groups[i], 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}

export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const bytes = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!bytes) return null;
  const maxBits = bytes.length * 8;
  if (slash < 0) return { bytes, prefixBits: maxBits };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > maxBits) return null;
  return { bytes, prefixBits: Number(bitsText) };
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) compares as IPv4. */
function normalise(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 16) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  return bytes.slice(12);
}

export function cidrContains(cidr: Cidr, ip: Uint8Array): boolean {
  const a = normalise(cidr.bytes);
  const b = normalise(ip);
  if (a.length !== b.length) return false;
  const prefixBits = cidr.bytes.length === a.length ? cidr.prefixBits : cidr.prefixBits - 96;
  let bits = prefixBits;
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}

/** A compiled list; `contains` caches per address since peers repeat. */
export class CidrSet {
  private readonly cidrs: Cidr[];
  private readonly cache = new Map<string, boolean>();
  constructor(texts: string[]) {
    this.cidrs = texts.map((text) => parseCidr(text)).filter((c): c is Cidr => c !== null);
  }
  get size(): number {
    return this.cidrs.length;
  }
  contains(address: string): boolean {
    if (this.cidrs.length === 0) return false;
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached;
    const ip = parseIp(address);
    const result = ip !== null && this.cidrs.some((cidr) => cidrContains(cidr, ip));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(address, result);
    return result;
  }
}
