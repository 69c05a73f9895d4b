// deno-lint-ignore-file no-console
/**
 * The ceiling for bench/gateway: a plain Deno.serve that answers every request with the response
 * Helios gives an authenticated GET /api/v1/kv/{key} — the same status, headers (a fresh
 * X-Request-Id each time) and body, prebuilt — and does nothing else. Deno.serve's cost for that
 * response shape (several headers; more than 512 bytes, which Deno sends in two writes) bounds
 * what any gateway can reach against the hello world. Args: a JSON file
 * {"headers": [[name, value], ...], "body": "..."}. Prints "PORT <n>" when ready.
 */
const shape = JSON.parse(Deno.readTextFileSync(Deno.args[0])) as {
  headers: [string, string][];
  body: string;
};
const fixed = shape.headers.filter(([name]) => name !== "x-request-id");
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`PORT ${port}`),
}, () => {
  const headers: Record<string, string> = { "x-request-id": crypto.randomUUID() };
  for (const [name, value] of fixed) headers[name] = value;
  return new Response(shape.body, { headers });
});
