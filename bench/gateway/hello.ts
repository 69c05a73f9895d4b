// deno-lint-ignore-file no-console
/** The baseline: a plain Deno.serve hello world on 127.0.0.1:0; prints "PORT <n>" when ready. */
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`PORT ${port}`),
}, () => new Response("Hello, World!"));
