/**
 * The client address behind trusted proxies. The socket peer is the client unless it is a
 * trusted proxy; then X-Forwarded-For is read right to left, skipping trusted hops, and the
 * first untrusted address is the client. Headers from untrusted peers are ignored (spoofable).
 */

/** A parsed trusted-proxy entry: an address or a CIDR block, IPv4 or IPv6. */
interface Block {
  bits: bigint;
  prefix: number;
  v6: boolean;
}

export class TrustedProxies {
  readonly #blocks: Block[];

  /** Entries like "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". Throws on a malformed entry. */
  constructor(entries: readonly string[]) {
    this.#blocks = entries.map((entry) => {
      const [address, prefixText] = entry.trim().split("/");
      const parsed = parseIp(address);
      if (!parsed) throw new Error(`Invalid trusted proxy "${entry}"`);
      const width = parsed.v6 ? 128 : 32;
      const prefix = prefixText === undefined ? width : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) {
        throw new Error(`Invalid trusted proxy "${entry}"`);
      }
      return { bits: parsed.bits, prefix, v6: parsed.v6 };
    });
  }

  get empty(): boolean {
    return this.#blocks.length === 0;
  }

  trusts(address: string): boolean {
    const ip = parseIp(address);
    if (!ip) return false;
    return this.#blocks.some((block) => {
      if (block.v6 !== ip.v6) return false;
      const shift = BigInt((ip.v6 ? 128 : 32) - block.prefix);
      return (block.bits >> shift) === (ip.bits >> shift);
    });
  }

  /** The client address given the socket peer and the X-Forwarded-For header. */
  clientIp(peer: string, forwardedFor: string | undefined): string {
    if (this.empty || !forwardedFor || !this.trusts(peer)) return peer;
    const hops = forwardedFor.split(",").map((hop) => hop.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!parseIp(hops[i])) return peer; // garbage in the chain: trust nothing from it
      if (!this.trusts(hops[i])) return hops[i];
    }
    return hops[0] ?? peer;
  }
}

/** Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4). Null when malformed. */
export function parseIp(text: string): { bits: bigint; v6: boolean } | null {
  if (text.length === 0 || text.length > 45) return null;
  const v4 = parseV4(text);
  if (v4 !== null) return { bits: v4, v6: false };
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) {
    const inner = parseV4(mapped[1]);
    return inner === null ? null : { bits: inner, v6: false };
  }
  const v6 = parseV6(text);
  return v6 === null ? null : { bits: v6, v6: true };
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let bits = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    bits = (bits << 8n) | BigInt(Number(part));
  }
  return bits;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let bits = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    bits = (bits << 16n) | BigInt(parseInt(group, 16));
  }
  return bits;
}
