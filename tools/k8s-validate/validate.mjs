// Validates Kubernetes objects against their schemas: reads a JSON array of objects (rendered Helm output) on
// stdin and validates each with the matching kubernetes-models class (`new Deployment(obj).validate()`); KEDA's
// ScaledObject and TriggerAuthentication with @kubernetes-models/keda; the Prometheus Operator's ServiceMonitor and
// PodMonitor (monitoring.coreos.com) with @kubernetes-models/prometheus-operator (its CRD schemas). Exits 1 listing
// every invalid object.
import { readFileSync } from "node:fs";

function modulePath(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/${version}`;
  if (group.endsWith("keda.sh")) return `@kubernetes-models/keda/${group}/${version}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}`;
  return `kubernetes-models/${group}/${version}`;
}

const objects = JSON.parse(readFileSync(0, "utf8"));
if (!Array.isArray(objects)) throw new Error("expected a JSON array of objects on stdin");
const failures = [];
for (const obj of objects) {
  const id = `${obj.apiVersion} ${obj.kind} ${obj?.metadata?.name}`;
  let Model;
  try {
    Model = (await import(modulePath(obj.apiVersion)))[obj.kind];
  } catch (e) {
    failures.push(`${id}: no schema (${e.message})`);
    continue;
  }
  if (typeof Model !== "function") {
    failures.push(`${id}: no schema for kind ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
    console.log(`ok ${id}`);
  } catch (e) {
    failures.push(`${id}: ${e.message}${e.errors ? " " + JSON.stringify(e.errors) : ""}`);
  }
}
if (failures.length) {
  console.error(`INVALID ${failures.length} of ${objects.length} objects:\n` + failures.join("\n"));
  process.exit(1);
}
console.log(`validated ${objects.length} objects`);
