/**
 * TLS: `helios gateway` with gateway.tls_enabled serves HTTPS with the configured certificate
 * (made with openssl for 127.0.0.1 by a throwaway CA) and sends HSTS.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeliosProcess } from "./helpers/helios_process.ts";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it. */
async function certificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const [ca, caKey, csr, cert, key, ext] = [
    "ca.pem",
    "ca.key",
    "leaf.csr",
    "cert.pem",
    "key.pem",
    "ext.cnf",
  ]
    .map((name) => join(dir, name));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    caKey,
    "-out",
    ca,
    "-days",
    "1",
    "-subj",
    "/CN=helios test CA",
  ]);
  await openssl(["req", ...ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"]);
  await Deno.writeTextFile(ext, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-out",
    cert,
    "-days",
    "1",
    "-extfile",
    ext,
  ]);
  return { ca, cert, key };
}

Deno.test("helios gateway serves HTTPS when gateway.tls_enabled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-tls-" });
  const { ca, cert, key } = await certificates(dir);
  const config = join(dir, "config.yaml");
  await Deno.writeTextFile(
    config,
    `gateway:\n  tls_enabled: true\n  tls_cert: "${cert}"\n  tls_key: "${key}"\n`,
  );
  const helios = HeliosProcess.start([
    "gateway",
    "--config",
    config,
    "--data-dir",
    join(dir, "data"),
    "--listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "127.0.0.1:0",
  ]);
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca)] });
  try {
    const line = await helios.waitFor((l) =>
      l.message === "Listening" && l.extra.listener === "gateway"
    );
    assert.equal(line.extra.tls, true);
    const response = await fetch(`https://${line.extra.address}/healthz`, { client });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("strict-transport-security") ?? "", /max-age=\d+/);
    assert.deepEqual(await response.json(), { status: "ok" });
  } finally {
    client.close();
    await helios.stop("SIGINT");
    await Deno.remove(dir, { recursive: true });
  }
});
