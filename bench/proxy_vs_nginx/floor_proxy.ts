// deno-lint-ignore-file no-console -- a benchmark script: its output is the result
/**
 * The floor for bench/proxy_vs_nginx: the least a proxy on Deno's public TCP API can do per
 * exchange, so the bench can show what part of helios proxy's cost is Deno's and what part is its
 * own. Per client connection it opens one upstream connection, then loops: one read from the
 * client, the bytes written to the upstream as they are, one read of the answer, written back.
 *
 * It is not a proxy anyone could use: no parsing, no pool, no headers added, no timeouts, and it
 * assumes what holds for this bench only (wrk sends one small request at a time per connection;
 * the upstream answers each with one small write that a single read gets whole over loopback).
 * Args: the upstream port. Prints "FLOOR <port>" when ready.
 */
const upstreamPort = Number(Deno.args[0]);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(`FLOOR ${(listener.addr as Deno.NetAddr).port}`);

async function relay(client: Deno.TcpConn): Promise<void> {
  const upstream = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const request = new Uint8Array(16 * 1024);
  const response = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      const n = await client.read(request);
      if (n === null) return;
      await upstream.write(request.subarray(0, n));
      const m = await upstream.read(response);
      if (m === null) return;
      await client.write(response.subarray(0, m));
    }
  } catch {
    // wrk closing its connections at the end of a run
  } finally {
    client.close();
    upstream.close();
  }
}

for await (const conn of listener) relay(conn);
