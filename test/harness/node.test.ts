// The test node (node.ts): one cluster for the whole file, started once, torn down by
// the last test, which checks that nothing is left on the machine.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { type ControlPlane, startControlPlane } from "./control-plane.ts";
import { api } from "./kube-api.ts";
import type { TestNode } from "./node.ts";
import { waitFor } from "./processes.ts";

const ns = "node-check";
let cp: ControlPlane;
let node: TestNode;

before(async () => {
  const started = Date.now();
  cp = await startControlPlane({ node: true, installCrds: false });
  node = cp.node as TestNode;
  console.log(`cold start: ${Date.now() - started} ms ${JSON.stringify(node.startup)}`);
  await cp.kubectl(["apply", "-f", "-"], namespaceYaml(ns));
  // ServiceAccount admission is on: pods wait for the controller-manager to create `default`.
  await waitFor("the default ServiceAccount", async () => {
    const res = await api(cp.kubeConfig, "GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`);
    return res.status === 200 || undefined;
  });
});

after(() => cp?.stop());

function namespaceYaml(name: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
`;
}

/** A pod spec that the `restricted` Pod Security Standard admits, running busybox with `command`. */
function restrictedPod(command: string[], extra = ""): string {
  return `securityContext:
  runAsNonRoot: true
  runAsUser: 65534
  runAsGroup: 65534
  seccompProfile: {type: RuntimeDefault}
terminationGracePeriodSeconds: 1
containers:
- name: main
  image: ${node.busyboxImage}
  imagePullPolicy: Never
  command: ${JSON.stringify(command)}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities: {drop: [ALL]}
${extra}`;
}

function indent(text: string, spaces: number): string {
  return text
    .split("\n")
    .map((line) => (line ? " ".repeat(spaces) + line : line))
    .join("\n");
}

async function timed<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await body();
  } finally {
    console.log(`${name}: ${Date.now() - started} ms`);
  }
}

test("the node is Ready with the pinned kubelet on containerd, at the node IP", async () => {
  const res = await api<{
    status: {
      nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string };
      addresses: { type: string; address: string }[];
    };
  }>(cp.kubeConfig, "GET", `/api/v1/nodes/${node.name}`);
  const version = await cp.kubectl(["version", "-o", "json"]);
  assert.equal(res.body.status.nodeInfo.kubeletVersion, JSON.parse(version).serverVersion.gitVersion);
  assert.match(res.body.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
  assert.deepEqual(
    res.body.status.addresses.find((a) => a.type === "InternalIP"),
    { type: "InternalIP", address: node.ip },
  );
  assert.match(cp.server, new RegExp(`^https://${node.ip.replaceAll(".", "\\.")}:`));
});

test("a restricted pod runs where `restricted` is enforced; a pod that breaks it is refused", async () => {
  await timed("restricted pod", async () => {
    await cp.kubectl(
      ["apply", "-f", "-"],
      `apiVersion: v1
kind: Pod
metadata: {name: sleeper, namespace: ${ns}}
spec:
${indent(restrictedPod(["sleep", "3600"]), 2)}`,
    );
    await cp.kubectl(["wait", "-n", ns, "--for=condition=Ready", "pod/sleeper", "--timeout=90s"]);
    const refused = await cp
      .kubectl(
        ["apply", "-f", "-"],
        `apiVersion: v1
kind: Pod
metadata: {name: rootful, namespace: ${ns}}
spec:
  containers:
  - {name: main, image: ${node.busyboxImage}, imagePullPolicy: Never, command: [sleep, "1"]}
`,
      )
      .then(
        () => "",
        (error: Error) => error.message,
      );
    assert.match(refused, /violates PodSecurity "restricted:latest"/);
  });
});

test("a Service reaches a pod: by DNS name from another pod, by ClusterIP from the host; logs, exec, port-forward", async () => {
  await timed("service", async () => {
    await cp.kubectl(
      ["apply", "-f", "-"],
      `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ${ns}, labels: {app: web}}
spec:
${indent(
  restrictedPod(
    ["sh", "-c", "echo hello from web > /www/index.html && echo web is up && exec httpd -f -v -p 8080 -h /www"],
    `  ports: [{containerPort: 8080}]
  readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
  volumeMounts: [{name: www, mountPath: /www}]
volumes: [{name: www, emptyDir: {}}]
`,
  ),
  2,
)}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
    );
    await cp.kubectl(["wait", "-n", ns, "--for=condition=Ready", "pod/web", "pod/sleeper", "--timeout=90s"]);

    // From another pod, through CoreDNS and kube-proxy.
    const fqdn = `web.${ns}.svc.${node.clusterDomain}`;
    const body = await waitFor(
      `${fqdn} from a pod`,
      // `timeout`, not `wget -T`: Debian's static busybox 1.35 segfaults with -T.
      async () =>
        cp.kubectl(["exec", "-n", ns, "sleeper", "--", "timeout", "5", "wget", "-q", "-O", "-", `http://${fqdn}/`]),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.equal(body, "hello from web\n");

    // From the host, to the ClusterIP.
    const clusterIp = (await cp.kubectl(["get", "-n", ns, "service/web", "-o", "jsonpath={.spec.clusterIP}"])).trim();
    const fromHost = await waitFor(`http://${clusterIp}/ from the host`, async () => {
      const res = await fetch(`http://${clusterIp}/`, { signal: AbortSignal.timeout(3000) });
      return res.ok ? res.text() : undefined;
    });
    assert.equal(fromHost, "hello from web\n");

    // kubectl logs and exec go through the kubelet (kube-apiserver's client certificate, webhook authorization).
    assert.match(await cp.kubectl(["logs", "-n", ns, "web"]), /web is up/);
    assert.equal(await cp.kubectl(["exec", "-n", ns, "web", "--", "id", "-u"]), "65534\n");

    // kubectl port-forward to the Service.
    const forward = spawn(
      `${cp.binDir}/kubectl`,
      ["--kubeconfig", cp.kubeconfigPath, "port-forward", "-n", ns, "service/web", ":80", "--address", "127.0.0.1"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        forward.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        forward.stderr.on("data", (chunk: Buffer) => {
          out += chunk.toString();
        });
        forward.once("exit", (code) => reject(new Error(`port-forward exited ${code}: ${out}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await res.text(), "hello from web\n");
    } finally {
      forward.kill();
    }
  });
});

test("a Deployment rolls out and rolls on (controller-manager and scheduler)", async () => {
  await timed("deployment", async () => {
    const deployment = (revision: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: roller, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: roller}}
  template:
    metadata: {labels: {app: roller}, annotations: {revision: "${revision}"}}
    spec:
${indent(restrictedPod(["sleep", "3600"]), 6)}`;
    await cp.kubectl(["apply", "-f", "-"], deployment("1"));
    await cp.kubectl(["rollout", "status", "-n", ns, "deployment/roller", "--timeout=90s"]);
    await cp.kubectl(["apply", "-f", "-"], deployment("2"));
    await cp.kubectl(["rollout", "status", "-n", ns, "deployment/roller", "--timeout=90s"]);
    const sets = await cp.kubectl(["get", "-n", ns, "replicasets", "-l", "app=roller", "-o", "name"]);
    assert.equal(sets.trim().split("\n").length, 2, "one ReplicaSet per revision");
  });
});

test("a claim without a storage class binds, and a StatefulSet pod writes to it", async () => {
  await timed("statefulset", async () => {
    await cp.kubectl(
      ["apply", "-f", "-"],
      `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: keeper, namespace: ${ns}}
spec:
  replicas: 1
  serviceName: keeper
  selector: {matchLabels: {app: keeper}}
  template:
    metadata: {labels: {app: keeper}}
    spec:
${indent(
  restrictedPod(
    ["sh", "-c", "date > /data/written && exec sleep 3600"],
    "  volumeMounts: [{name: data, mountPath: /data}]\n",
  ),
  6,
)}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`,
    );
    await cp.kubectl(["rollout", "status", "-n", ns, "statefulset/keeper", "--timeout=90s"]);
    const claim = JSON.parse(await cp.kubectl(["get", "-n", ns, "pvc/data-keeper-0", "-o", "json"]));
    assert.equal(claim.status.phase, "Bound");
    assert.equal(claim.spec.storageClassName, node.storageClass);
    assert.match(await cp.kubectl(["exec", "-n", ns, "keeper-0", "--", "cat", "/data/written"]), /\d\d:\d\d/);
  });
});

test("teardown leaves no process, mount, KUBE- chain, bridge, address or directory", async () => {
  await timed("teardown", async () => {
    assert.notDeepEqual(node.leftovers(), [], "while up, the node has things to take down");
    await cp.stop();
    assert.deepEqual(node.leftovers(), []);
  });
});
