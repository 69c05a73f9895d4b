/**
 * Sends a follower's writes to the leader over RESP, so any node accepts any command. One
 * pipelined connection per leader address; a broken connection is dropped and the caller gets a
 * TRYAGAIN error (a forwarded write is never retried blindly: it may have been applied).
 */
import { error, type Reply } from "../../atlas/mod.ts";
import { RespConnection } from "../storage/resp_connection.ts";
import { parseHostPort } from "../lib/address.ts";

export class LeaderForwarder {
  readonly #connections = new Map<string, Promise<RespConnection>>();

  constructor(private readonly options: { password: string; connectTimeoutMs: number }) {}

  async send(address: string, argv: string[]): Promise<Reply> {
    let connection: RespConnection;
    try {
      connection = await this.#connection(address);
    } catch (cause) {
      this.#connections.delete(address);
      return error(
        `TRYAGAIN Cannot reach the Raft leader at ${address}: ${(cause as Error).message}`,
      );
    }
    try {
      return await connection.send(argv);
    } catch (cause) {
      this.#connections.delete(address);
      connection.close();
      return error(
        `TRYAGAIN Lost the connection to the Raft leader at ${address}; the write may or may not ` +
          `have been applied (${(cause as Error).message})`,
      );
    }
  }

  close(): void {
    for (const pending of this.#connections.values()) pending.then((c) => c.close(), () => {});
    this.#connections.clear();
  }

  #connection(address: string): Promise<RespConnection> {
    const existing = this.#connections.get(address);
    if (existing) {
      return existing.then((c) => {
        if (!c.closed) return c;
        this.#connections.delete(address);
        return this.#connection(address);
      });
    }
    const target = parseHostPort(address);
    if (!target) return Promise.reject(new Error(`bad address "${address}"`));
    const opening = RespConnection.open({
      hostname: target.hostname === "0.0.0.0" ? "127.0.0.1" : target.hostname,
      port: target.port,
      connectTimeoutMs: this.options.connectTimeoutMs,
      password: this.options.password,
    });
    this.#connections.set(address, opening);
    return opening;
  }
}
