// deno-lint-ignore-file no-console -- a test fixture process: its stdout is the ready signal
/**
 * A test upstream for the proxy's fault tests, run as its own process:
 *   deno run -A tests/proxy_fixture_upstream.ts ID [PORT]
 * prints "UPSTREAM <port>" when ready. Behaviour is switched over HTTP:
 *   POST /__ctl?fail=N      the next N requests answer 500 (N=-1: always; 0: never)
 *   POST /__ctl?health=503  what /health answers;  POST /__ctl?delay=MS  delay every answer
 *   GET  /__stats           {hits, posts} seen since start (control calls excluded)
 *   /slow?ms=X  waits X ms;  /echo  JSON of method, headers and body size;
 *   /sse  five events 150 ms apart;  /ws  WebSocket echo;  anything else: "ID"
 */
const id = Deno.args[0] ?? "up";
let failLeft = 0;
let healthStatus = 200;
let delayMs = 0;
let hits = 0;
let posts = 0;

async function handle(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname === "/__ctl") {
    const fail = url.searchParams.get("fail");
    if (fail !== null) failLeft = Number(fail);
    const delay = url.searchParams.get("delay");
    if (delay !== null) delayMs = Number(delay);
    const health = url.searchParams.get("health");
    if (health !== null) healthStatus = Number(health);
    return new Response("ok");
  }
  if (url.pathname === "/__stats") return Response.json({ hits, posts });
  if (url.pathname === "/health") return new Response(id, { status: healthStatus });
  hits++;
  if (req.method === "POST") posts++;
  if (url.pathname === "/ws") {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => socket.send(e.data);
    return response;
  }
  const bodyBytes = req.body ? (await req.arrayBuffer()).byteLength : 0;
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  if (failLeft !== 0) {
    if (failLeft > 0) failLeft--;
    return new Response(`${id} failing`, { status: 500 });
  }
  if (url.pathname === "/slow") {
    await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? "1000")));
  }
  if (url.pathname === "/echo") {
    return Response.json({
      id,
      method: req.method,
      headers: Object.fromEntries(req.headers),
      bodyBytes,
    });
  }
  if (url.pathname === "/sse") return sse();
  return new Response(id);
}

function sse(): Response {
  const encoder = new TextEncoder();
  let n = 0;
  let timer: ReturnType<typeof setInterval>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`data: event ${n++}\n\n`));
      timer = setInterval(() => {
        controller.enqueue(encoder.encode(`data: event ${n++}\n\n`));
        if (n === 5) {
          clearInterval(timer);
          controller.close();
        }
      }, 150);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[1] ?? "0"),
  onListen: ({ port }) => console.log(`UPSTREAM ${port}`),
}, handle);
