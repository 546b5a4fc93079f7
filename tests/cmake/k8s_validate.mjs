// Validates Kubernetes objects (a JSON list) against the API schemas of the npm package
// kubernetes-models. Prints each invalid object; exits 1 if there is any.
//   node k8s_validate.mjs OBJECTS.json   (with kubernetes-models in node_modules)
import fs from "fs";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as networking from "kubernetes-models/networking.k8s.io/v1";

const groups = { "v1": core, "apps/v1": apps, "networking.k8s.io/v1": networking };
const objects = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let invalid = 0;
for (const o of objects) {
  const Kind = (groups[o.apiVersion] || {})[o.kind];
  const name = `${o.kind} ${o.metadata.namespace || ""}/${o.metadata.name}`;
  if (!Kind) {
    console.log(`${name}: no schema for ${o.apiVersion}`);
    invalid++;
    continue;
  }
  try {
    new Kind(o).validate();
  } catch (e) {
    console.log(`${name}: ${e.message}`);
    invalid++;
  }
}
console.log(`${objects.length} objects, ${invalid} invalid`);
process.exit(invalid ? 1 : 0);
