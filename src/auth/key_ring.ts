/**
 * JWT signing keys. Asymmetric (EdDSA / Ed25519) by default: keys live in ATLAS (so every
 * gateway of a cluster signs and verifies with the same ring), the current key signs, earlier
 * keys keep verifying until `retireAfterMs` after the rotation that replaced them (so tokens
 * signed just before a rotation stay valid until they expire). With `gateway.jwt_secret` set
 * the ring is a single HS256 key instead, and the JWKS is empty.
 */
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/**
 * A key as jose returns it. Named through jose's own signature, because the global CryptoKey and
 * node:crypto's webcrypto.CryptoKey differ once Node's types are in the same program.
 */
type JoseKey = Awaited<ReturnType<typeof importJWK>>;
import type { AtlasClient } from "../storage/atlas_client.ts";
import type { Clock } from "../lib/clock.ts";
import { hgetall, ok, randomToken, sha256Hex } from "./atlas_util.ts";
import { keys } from "./records.ts";

export type SigningAlgorithm = "EdDSA" | "HS256";

interface StoredKey {
  kid: string;
  alg: "EdDSA";
  privateJwk: JWK;
  publicJwk: JWK;
  createdMs: number;
  /** Set when a newer key took over: stops verifying at this time. */
  retiresAtMs?: number;
  /**
   * A key written before its gateway knew it would become current (two gateways starting at
   * once): nobody lists or trusts it unless it is current; the loser deletes it.
   */
  candidate?: true;
}

interface LoadedKey {
  kid: string;
  stored?: StoredKey;
  signKey: JoseKey;
  verifyKey: JoseKey;
}

/** HS256 keys must be at least as long as the hash output. */
export const HS256_SECRET_BYTES_MIN = 32;

/** How often an unknown `kid` may trigger a reload from ATLAS (another node rotated). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

export class KeyRing {
  readonly algorithm: SigningAlgorithm;
  private current: LoadedKey | null = null;
  private readonly verifiers = new Map<string, LoadedKey>();
  private lastReloadMs = -Infinity;

  constructor(
    private readonly atlas: AtlasClient,
    private readonly clock: Clock,
    private readonly options: { secret: string; retireAfterMs: number },
  ) {
    this.algorithm = options.secret ? "HS256" : "EdDSA";
  }

  async load(): Promise<void> {
    if (this.algorithm === "HS256") {
      const secret = new TextEncoder().encode(this.options.secret);
      if (secret.length < HS256_SECRET_BYTES_MIN) {
        throw new Error(
          `gateway.jwt_secret must be at least ${HS256_SECRET_BYTES_MIN} bytes (RFC 7518 §3.2)`,
        );
      }
      const kid = `hs256-${(await sha256Hex(this.options.secret)).slice(0, 12)}`;
      this.current = { kid, signKey: secret, verifyKey: secret };
      this.verifiers.set(kid, this.current);
      return;
    }
    await this.reload();
    if (!this.current) {
      const created = await newStoredKey(this.clock.nowMs());
      const candidate: StoredKey = { ...created, candidate: true };
      await this.atlas.call("HSET", keys.jwks(), created.kid, JSON.stringify(candidate));
      // NX: when two gateways start at once, one key wins and both use it; the loser's goes.
      // Until then it is a candidate, so a gateway reloading meanwhile does not take it up.
      const won = ok(await this.atlas.call("SET", keys.jwksCurrent(), created.kid, "NX"), "SET");
      if (won === null) await this.atlas.call("HDEL", keys.jwks(), created.kid);
      else await this.atlas.call("HSET", keys.jwks(), created.kid, JSON.stringify(created));
      await this.reload();
    }
    if (!this.current) throw new Error("No current JWT signing key after creating one");
  }

  signing(): { kid: string; key: JoseKey; alg: SigningAlgorithm } {
    if (!this.current) throw new Error("KeyRing.load() was not called");
    return { kid: this.current.kid, key: this.current.signKey, alg: this.algorithm };
  }

  /** The key that verifies `kid`, or null (unknown or retired). */
  async verifying(kid: string): Promise<JoseKey | null> {
    let key = this.verifiers.get(kid);
    const now = this.clock.nowMs();
    if (!key && this.algorithm === "EdDSA" && now - this.lastReloadMs >= UNKNOWN_KID_RELOAD_MS) {
      await this.reload();
      key = this.verifiers.get(kid);
    }
    if (!key) return null;
    const retires = key.stored?.retiresAtMs;
    return retires !== undefined && retires <= now ? null : key.verifyKey;
  }

  /** The public keys that still verify, for /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    const now = this.clock.nowMs();
    const out: JWK[] = [];
    for (const key of this.verifiers.values()) {
      const stored = key.stored;
      if (!stored || (stored.retiresAtMs !== undefined && stored.retiresAtMs <= now)) continue;
      out.push({ ...stored.publicJwk, kid: stored.kid, alg: "EdDSA", use: "sig" });
    }
    return { keys: out };
  }

  /** A new current key; the old one verifies until retireAfterMs from now. Returns its kid. */
  async rotate(): Promise<string> {
    if (this.algorithm === "HS256") throw new Error("HS256 keys rotate by changing jwt_secret");
    const now = this.clock.nowMs();
    const created = await newStoredKey(now);
    const previous = this.current?.stored;
    const commands: (string | number)[][] = [
      ["HSET", keys.jwks(), created.kid, JSON.stringify(created)],
      ["SET", keys.jwksCurrent(), created.kid],
    ];
    if (previous) {
      const retired = { ...previous, retiresAtMs: now + this.options.retireAfterMs };
      commands.push(["HSET", keys.jwks(), previous.kid, JSON.stringify(retired)]);
    }
    await this.atlas.transaction(commands);
    await this.reload();
    return created.kid;
  }

  private async reload(): Promise<void> {
    this.lastReloadMs = this.clock.nowMs();
    const all = await hgetall(this.atlas, keys.jwks());
    const currentKid = ok(await this.atlas.call("GET", keys.jwksCurrent()), "GET");
    for (const [kid, json] of Object.entries(all)) {
      const stored = JSON.parse(json) as StoredKey;
      if (stored.candidate && kid !== currentKid) continue; // a start-up race's loser, going
      const known = this.verifiers.get(kid);
      if (known?.stored && known.stored.retiresAtMs === stored.retiresAtMs) continue;
      this.verifiers.set(kid, {
        kid,
        stored,
        signKey: await importJWK(stored.privateJwk, "EdDSA"),
        verifyKey: await importJWK(stored.publicJwk, "EdDSA"),
      });
    }
    // Keys gone from ATLAS (a lost candidate, a purged key) stop verifying here too.
    for (const kid of this.verifiers.keys()) {
      const json = all[kid];
      if (json === undefined || (JSON.parse(json).candidate && kid !== currentKid)) {
        this.verifiers.delete(kid);
      }
    }
    if (typeof currentKid === "string") this.current = this.verifiers.get(currentKid) ?? null;
  }
}

async function newStoredKey(nowMs: number): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", {
    crv: "Ed25519",
    extractable: true,
  });
  return {
    kid: `ed-${randomToken(9)}`,
    alg: "EdDSA",
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
    createdMs: nowMs,
  };
}
