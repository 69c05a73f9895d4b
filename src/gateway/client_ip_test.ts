import assert from "node:assert/strict";
import { parseIp, TrustedProxies } from "./client_ip.ts";

Deno.test("parseIp reads IPv4, IPv6 and mapped addresses", () => {
  assert.deepEqual(parseIp("10.0.0.1"), { bits: 0x0a000001n, v6: false });
  assert.deepEqual(parseIp("::ffff:10.0.0.1"), { bits: 0x0a000001n, v6: false });
  assert.deepEqual(parseIp("::1"), { bits: 1n, v6: true });
  assert.equal(parseIp("fe80::1::2"), null);
  assert.equal(parseIp("300.1.1.1"), null);
  assert.equal(parseIp("nope"), null);
});

Deno.test("the client is the first untrusted hop from the right, only via trusted peers", () => {
  const proxies = new TrustedProxies(["10.0.0.0/8", "::1"]);
  assert.equal(proxies.clientIp("10.1.2.3", "203.0.113.9, 10.0.0.7"), "203.0.113.9");
  assert.equal(proxies.clientIp("::1", "1.1.1.1, 203.0.113.9"), "203.0.113.9");
  // An untrusted peer's header is ignored: it could say anything.
  assert.equal(proxies.clientIp("198.51.100.1", "1.2.3.4"), "198.51.100.1");
  assert.equal(proxies.clientIp("10.0.0.1", "junk, 1.2.3.4"), "1.2.3.4");
  assert.equal(proxies.clientIp("10.0.0.1", "1.2.3.4, junk"), "10.0.0.1");
  assert.equal(new TrustedProxies([]).clientIp("10.0.0.1", "1.2.3.4"), "10.0.0.1");
  assert.throws(() => new TrustedProxies(["10.0.0.0/33"]), /Invalid trusted proxy/);
});
