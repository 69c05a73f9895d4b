import assert from "node:assert/strict";
import { CidrSet, parseCidr, parseIp } from "./cidr.ts";

Deno.test("parses IPv4, IPv6 and CIDRs", () => {
  assert.deepEqual([...parseIp("10.1.2.3")!], [10, 1, 2, 3]);
  assert.equal(parseIp("::1")![15], 1);
  assert.equal(parseIp("[2001:db8::1]")![0], 0x20);
  assert.equal(parseIp("300.1.1.1"), null);
  assert.equal(parseIp("1:2:3"), null);
  assert.equal(parseCidr("10.0.0.0/33"), null);
  assert.equal(parseCidr("10.0.0.0/8")!.prefixBits, 8);
});

Deno.test("cidr set matches addresses including IPv4-mapped IPv6", () => {
  const set = new CidrSet(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);
  assert.equal(set.contains("10.200.3.4"), true);
  assert.equal(set.contains("11.0.0.1"), false);
  assert.equal(set.contains("192.168.1.7"), true);
  assert.equal(set.contains("192.168.1.8"), false);
  assert.equal(set.contains("::ffff:10.9.9.9"), true);
  assert.equal(set.contains("fd12::1"), true);
  assert.equal(set.contains("fe80::1"), false);
  assert.equal(set.contains("not-an-ip"), false);
});
