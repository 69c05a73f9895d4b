/**
 * The floor of any RESP server on Deno (not a test, not a server): a TCP listener that answers
 * every command redis-benchmark sends with `+OK`, parsing nothing and storing nothing. Its
 * requests/s and CPU per request beside redis-server's show what Deno's own network path costs —
 * one read op and one write op per batch — which no work inside atlasd can go below.
 *
 *   deno run -A bench/resp_vs_redis/deno_floor.ts   (prints the port it listens on)
 *
 * Commands are counted by their `*` array headers: redis-benchmark's keys and values hold none.
 */
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
// deno-lint-ignore no-console
console.log(`listening ${(listener.addr as Deno.NetAddr).port}`);

const OK = new TextEncoder().encode("+OK\r\n");

async function serve(conn: Deno.Conn): Promise<void> {
  const input = new Uint8Array(64 * 1024);
  let output = new Uint8Array(16 * OK.length);
  try {
    for (;;) {
      const n = await conn.read(input);
      if (n === null) return;
      let commands = 0;
      for (let i = 0; i < n; i++) if (input[i] === 0x2a) commands++;
      if (commands === 0) continue;
      if (output.length < commands * OK.length) output = new Uint8Array(commands * OK.length);
      for (let c = 0; c < commands; c++) output.set(OK, c * OK.length);
      await conn.write(output.subarray(0, commands * OK.length));
    }
  } catch {
    // reset by peer: the benchmark client went away
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

for await (const conn of listener) serve(conn);
