"""Checks the Kubernetes manifests kubectl rendered for a build tree's apps against the store.

    python3 k8s_check.py RENDERED.yaml LIST.json POOLS.json [nodeport]

RENDERED.yaml: `kubectl kustomize <build>/apps`; LIST.json: `berth --json list`; POOLS.json:
`berth --json pool show`. Prints one line per failed expectation and exits 1 if there is any.
"""
import json
import sys

import yaml

rendered, listed, pools_file = sys.argv[1:4]
nodeport = len(sys.argv) > 4 and sys.argv[4] == "nodeport"
docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
apps = {r["project"]: r for r in json.load(open(listed))}
pools = {p["name"]: p for p in json.load(open(pools_file))["pools"]}
problems = []


def expect(cond, what):
    if not cond:
        problems.append(what)


def of(kind):
    return [d for d in docs if d["kind"] == kind]


def find(kind, namespace, name):
    found = [d for d in of(kind) if d["metadata"].get("namespace") == namespace and d["metadata"]["name"] == name]
    expect(len(found) == 1, f"{kind} {namespace}/{name}: found {len(found)}")
    return found[0] if found else None


namespaces = [d["metadata"]["name"] for d in of("Namespace")]
expect(len(namespaces) == len(set(namespaces)), f"namespaces repeat: {namespaces}")
expect(sorted(namespaces) == sorted(apps), f"one namespace per app: {sorted(namespaces)} vs {sorted(apps)}")

# Every object carries both labels: its part (the Namespace: the project) and the app.
for d in docs:
    meta = d["metadata"]
    labels = meta.get("labels") or {}
    project = meta.get("namespace") or meta["name"]
    expect(labels.get("app.kubernetes.io/part-of") == project,
           f"{d['kind']} {meta['name']}: part-of label {labels.get('app.kubernetes.io/part-of')}")
    expect(labels.get("app.kubernetes.io/name") in ("backend", "frontend", project),
           f"{d['kind']} {meta['name']}: name label {labels.get('app.kubernetes.io/name')}")

hosts, node_ports = [], []
for project, r in apps.items():
    ports = r["ports"]
    deployments = {}
    for name in ("backend", "frontend"):
        d = find("Deployment", project, name)
        s = find("Service", project, name)
        if not d or not s:
            continue
        deployments[name] = d
        labels = d["spec"]["template"]["metadata"]["labels"]
        selector = s["spec"]["selector"]
        expect(selector and all(labels.get(k) == v for k, v in selector.items()),
               f"{project}: Service {name} selects {selector}, not the Deployment's pods {labels}")
        expect(d["spec"]["selector"]["matchLabels"].items() <= labels.items(),
               f"{project}: Deployment {name}'s selector misses its own pods")
        c = d["spec"]["template"]["spec"]["containers"][0]
        expect(c["image"] == f"localhost:5000/{project}-{name}:latest", f"{project}: {name} image {c['image']}")
        container_port = c["ports"][0]["containerPort"]
        sp = s["spec"]["ports"][0]
        path = "/health" if name == "backend" else "/"
        for probe in ("readinessProbe", "livenessProbe"):
            get = c[probe]["httpGet"]
            expect(get["path"] == path and get["port"] == container_port,
                   f"{project}: {name} {probe} is {get}, not {path} on {container_port}")
        expect(sp["targetPort"] == container_port, f"{project}: Service {name} targets {sp['targetPort']}, container listens on {container_port}")
        for k in ("requests", "limits"):
            expect(set(c["resources"][k]) == {"cpu", "memory"}, f"{project}: {name} resources.{k}")
        if name == "backend":
            expect(container_port == ports["backend"], f"{project}: backend listens on {container_port}, reserved {ports['backend']}")
            expect(sp["port"] == ports["backend"], f"{project}: backend Service port {sp['port']}")
            env = {e["name"]: e["value"] for e in c["env"]}
            expect(env.get("PORT") == str(ports["backend"]), f"{project}: backend env {env}")
        else:
            expect(container_port == 80, f"{project}: frontend container port {container_port}")
            expect(sp["port"] == ports["frontend"], f"{project}: frontend Service port {sp['port']}, reserved {ports['frontend']}")
            if nodeport:
                expect(s["spec"]["type"] == "NodePort", f"{project}: frontend Service type {s['spec']['type']}")
                expect(sp.get("nodePort") == ports.get("node"), f"{project}: nodePort {sp.get('nodePort')}, reserved {ports.get('node')}")
                node_ports.append(sp.get("nodePort"))
            else:
                expect(s["spec"]["type"] == "ClusterIP" and "nodePort" not in sp, f"{project}: frontend Service {s['spec']}")
            volumes = d["spec"]["template"]["spec"]["volumes"]
            cm = volumes[0]["configMap"]["name"]
            expect(any(m["metadata"]["name"] == cm and m["metadata"].get("namespace") == project for m in of("ConfigMap")),
                   f"{project}: frontend mounts ConfigMap {cm}, which is not rendered")
    ingress = find("Ingress", project, "frontend")
    if ingress:
        rule = ingress["spec"]["rules"][0]
        hosts.append(rule["host"])
        backend = rule["http"]["paths"][0]["backend"]["service"]
        expect(backend == {"name": "frontend", "port": {"number": ports["frontend"]}}, f"{project}: Ingress backend {backend}")

expect(len(hosts) == len(apps) and len(set(hosts)) == len(hosts), f"ingress hosts not distinct: {hosts}")
if nodeport:
    node_range = pools["nodeport"]["ports"][0]
    expect(len(set(node_ports)) == len(apps), f"NodePorts not distinct: {node_ports}")
    for p in node_ports:
        expect(p is not None and node_range["first"] <= p <= node_range["last"], f"NodePort {p} outside the pool {node_range}")

for p in problems:
    print("k8s: " + p)
print(f"k8s: {len(docs)} objects, {len(apps)} apps, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
