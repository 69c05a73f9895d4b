/**
 * Side by side with redis-server 7.0: an HTTP request sent to the RESP port (what a web page can
 * make a browser do to 127.0.0.1:6379) closes the connection at its `POST` or `Host:` line with
 * nothing sent — not even the replies to commands before it in the same read — so the request
 * body never runs as commands. Other connections are untouched. Before, atlasd answered both
 * lines with unknown-command errors and ran what followed.
 */
import assert from "node:assert/strict";
import { RawClient, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const REQUESTS: [string, string][] = [
  ["a POST whose body is a command", "POST / HTTP/1.1\r\nHost: x\r\n\r\nSET hijacked 1\r\n"],
  ["a GET: its Host: line", "GET / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\n\r\n"],
  ["post inside MULTI, after a PING", "PING\r\nMULTI\r\npost x\r\nSET hijacked 1\r\n"],
  [
    "HOST: as a RESP array",
    "*2\r\n$5\r\nHOST:\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$8\r\nhijacked\r\n$1\r\n1\r\n",
  ],
];

/** What the server sent before closing, and whether it closed within 3 s. */
async function answer(
  port: number,
  request: string,
): Promise<{ replies: number; closed: boolean }> {
  const client = await RawClient.connect(port);
  try {
    await client.writeRaw(request);
    for (let waited = 0; waited < 3000 && !client.closedByPeer; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    let replies = 0;
    while (await client.next(50).then(() => true, () => false)) replies++;
    return { replies, closed: client.closedByPeer };
  } finally {
    await client.close();
  }
}

Deno.test("an HTTP request on the RESP port closes the connection with nothing sent, as redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    for (const [what, request] of REQUESTS) {
      const want = await answer(redisPort, request);
      const got = await answer(atlasPort, request);
      assert.deepEqual(want, { replies: 0, closed: true }, `redis-server: ${what}`);
      assert.deepEqual(got, want, `atlasd: ${what}`);
    }
    for (const [name, client] of [["redis-server", redis], ["atlasd", atlas]] as const) {
      assert.deepEqual(await client.call(["EXISTS", "hijacked"], ["PING"]), [
        { t: "integer", v: 0 },
        { t: "simple", v: "PONG" },
      ], `${name}: no body ran, other clients served`);
    }
  }));
