// deno-lint-ignore-file no-console -- a benchmark script: its output is the result
/** The benchmark's upstream: a small fast HTTP server answering 13 bytes on any path. */
const port = Number(Deno.args[0] ?? "0");
const body = new TextEncoder().encode("Hello, world!");
const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.log(`UPSTREAM ${port}`),
}, () => new Response(body, { headers: { "content-type": "text/plain" } }));
await server.finished;
