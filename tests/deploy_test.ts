/**
 * The deployment files stay valid and in step with the code: promtool accepts the Prometheus
 * config and alert rules, the Kubernetes manifests and the compose file have the shape their
 * tools require, and every metric the dashboard and the alerts use is one the code declares.
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Service } from "kubernetes-models/v1/Service";

/** The Kubernetes JSON schemas (from the API's OpenAPI, via kubernetes-models) per kind. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment: Deployment as never,
  StatefulSet: StatefulSet as never,
  Service: Service as never,
};

const root = new URL("../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFileSync(root + path);

async function promtool(...args: string[]) {
  const output = await new Deno.Command("promtool", { args, stdout: "piped", stderr: "piped" })
    .output();
  return {
    ok: output.success,
    text: new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr),
  };
}

Deno.test("deploy/prometheus: promtool accepts the scrape config and the alert rules", async () => {
  const config = await promtool("check", "config", root + "deploy/prometheus/prometheus.yml");
  assert.ok(config.ok, config.text);
  const rules = await promtool("check", "rules", root + "deploy/prometheus/alerts.yml");
  assert.ok(rules.ok, rules.text);
  const names = parse(read("deploy/prometheus/alerts.yml")).groups[0].rules.map((
    r: { alert: string },
  ) => r.alert);
  for (const needed of ["NoLeader", "Fsync", "Old", "Dead", "Circuit", "RateLimit"]) {
    assert.ok(names.some((n: string) => n.includes(needed)), `an alert about ${needed}`);
  }
});

Deno.test("deploy/k8s: manifests pass the Kubernetes schemas and hang together", () => {
  const docs = ["atlas-statefulset.yaml", "gateway-deployment.yaml", "worker-deployment.yaml"]
    .flatMap((file) => parseAllDocuments(read(`deploy/k8s/${file}`)).map((d) => d.toJSON()));
  for (const doc of docs) {
    assert.ok(doc.apiVersion && doc.kind && doc.metadata?.name, JSON.stringify(doc).slice(0, 80));
    const Model = MODELS[doc.kind];
    assert.ok(Model, `no schema for kind ${doc.kind}`);
    new Model(doc as never).validate(); // throws naming the bad field
  }
  const statefulSet = docs.find((d) => d.kind === "StatefulSet");
  const headless = docs.find((d) =>
    d.kind === "Service" && d.metadata.name === statefulSet.spec.serviceName
  );
  assert.equal(
    headless?.spec.clusterIP,
    "None",
    "the StatefulSet's serviceName is a headless Service",
  );
  assert.equal(statefulSet.spec.replicas, 3);
  assert.ok(statefulSet.spec.volumeClaimTemplates.length === 1, "one volume per pod");
  for (const workload of docs.filter((d) => d.kind === "StatefulSet" || d.kind === "Deployment")) {
    const labels = workload.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(workload.spec.selector.matchLabels)) {
      assert.equal(labels[k], v);
    }
    const container = workload.spec.template.spec.containers[0];
    assert.ok(container.image, `${workload.metadata.name} has an image`);
    assert.ok(workload.spec.template.spec.securityContext.runAsNonRoot, "non-root");
  }
});

Deno.test("deploy/compose.yaml: docker-compose accepts it; three raft nodes, a gateway and a worker", async () => {
  const check = await new Deno.Command("docker-compose", {
    args: ["-f", root + "deploy/compose.yaml", "config", "-q"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(check.success, new TextDecoder().decode(check.stderr));
  const compose = parse(read("deploy/compose.yaml"));
  const services = Object.keys(compose.services);
  assert.deepEqual(services.sort(), ["atlas-1", "atlas-2", "atlas-3", "gateway", "worker"]);
  for (const name of ["atlas-1", "atlas-2", "atlas-3"]) {
    const volume = compose.services[name].volumes[0].split(":")[0];
    assert.ok(volume in compose.volumes, `${name}'s volume is declared`);
    assert.ok(compose.services[name].command.includes("--raft"));
  }
});

Deno.test("deploy/grafana and alerts only use metrics the code declares", () => {
  const declared = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(root + dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (path.endsWith(".ts")) {
        for (const m of read(path).matchAll(/(?:name: |gauge\(|counter\()\s*"([a-z_]+)"/g)) {
          declared.add(m[1]);
        }
      }
    }
  };
  walk("src");
  const dashboard = JSON.parse(read("deploy/grafana/helios-dashboard.json"));
  const exprs = [
    ...dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
      (p.targets ?? []).map((t) => t.expr)
    ),
    read("deploy/prometheus/alerts.yml"),
  ].join("\n");
  const used = new Set(
    [...exprs.matchAll(/\b((?:helios|atlas|raft|jobs|job|worker|proxy|rate_limiter)_[a-z_]+)\b/g)]
      .map((m) => m[1].replace(/_(bucket|sum|count)$/, "")),
  );
  const unknown = [...used].filter((name) => !declared.has(name));
  assert.deepEqual(unknown, [], "metrics used in deploy/ but declared nowhere in src/");
  assert.ok(used.size >= 20, `the dashboard covers the documented metrics (${used.size})`);
});
