/**
 * Raft peers over wss: with atlas.raft.tls_cert/tls_key set, nodes listen with TLS and dial
 * wss://; the cluster elects a leader and replicates. The test makes its own CA and a certificate
 * for 127.0.0.1 with openssl, and the nodes trust that CA through DENO_CERT.
 */
import assert from "node:assert/strict";
import { sendRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

async function makeCertificates(dir: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=helios-test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  await openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "node.key",
    "-out",
    "node.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "node.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "node.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
}

Deno.test({
  name: "raft cluster: peers talk over wss when a certificate is configured",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const certs = await Deno.makeTempDir({ prefix: "helios-tls-" });
    await makeCertificates(certs);
    const cluster = await RaftTestCluster.start({
      size: 3,
      env: {
        DENO_CERT: `${certs}/ca.pem`,
        HELIOS_ATLAS__RAFT__TLS_CERT: `${certs}/node.pem`,
        HELIOS_ATLAS__RAFT__TLS_KEY: `${certs}/node.key`,
      },
    });
    try {
      const leader = await cluster.leader();
      const follower = (leader + 1) % 3;
      const f = await cluster.connect(follower);
      assert.deepEqual(await sendRetrying(f, ["SET", "secure", "yes"]), {
        kind: "simple",
        value: "OK",
      });
      const other = await cluster.connect((leader + 2) % 3);
      assert.deepEqual(await sendRetrying(other, ["GET", "secure"]), {
        kind: "bulk",
        value: "yes",
      });
      f.close();
      other.close();
      const raftListen = cluster.nodes[leader].process!.lines.find((l) =>
        l.extra.listener === "raft"
      );
      assert.equal(raftListen?.extra.tls, true);
      // A plain ws:// client cannot talk to a TLS listener.
      const plain = await fetch(`http://127.0.0.1:${cluster.nodes[leader].raftPort}/raft/v1`).catch(
        (e) => e,
      );
      assert.ok(plain instanceof Error || plain.status >= 400);
      if (!(plain instanceof Error)) await plain.body?.cancel();
    } finally {
      await cluster.close();
      await Deno.remove(certs, { recursive: true });
    }
  },
});
