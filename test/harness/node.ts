// A real node beside the test control plane, started when startControlPlane({ node: true })
// asks: kube-controller-manager, kube-scheduler, kubelet and kube-proxy (iptables) from
// the same Kubernetes build as kube-apiserver, Debian's containerd 1.6 and runc with
// their own root, state and socket under the control plane's temporary directory, the
// CNI bridge plugin on a private subnet, CoreDNS, and a hostPath provisioner.
// node-host.ts holds what touches the machine and how teardown takes it back.
// See README.md beside this file for the layout and the reasons behind each setting.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { api } from "./kube-api.ts";
import { captureDirectory } from "./log-capture.ts";
import {
  acquireNodeLock,
  addNodeAddress,
  createCgroupRoot,
  killNodeProcesses,
  NODE,
  nodeLeftovers,
  releaseNodeLock,
  sweepNode,
} from "./node-host.ts";
import { busyboxImage, COREDNS_PORT, corednsImage, type NodeImage } from "./node-images.ts";
import { type Provisioner, STORAGE_CLASS, startProvisioner, storageClassManifest } from "./node-storage.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "./processes.ts";
import { issueCertificate } from "./tls-certificate.ts";

const execFileAsync = promisify(execFile);

export interface NodeOptions {
  /** How long to wait for another process's node to stop (one node per machine). Default 15 minutes. */
  lockTimeoutMs?: number;
}

export interface TestNode {
  /** The Node object's name (and the kubelet's and kube-proxy's hostname override). */
  name: string;
  /** The node's InternalIP, an extra address on lo; kube-apiserver listens there too. */
  ip: string;
  podSubnet: string;
  serviceSubnet: string;
  /** CoreDNS's Service ClusterIP, the kubelet's clusterDNS. */
  dnsIp: string;
  clusterDomain: string;
  /** The default StorageClass (claims without storageClassName get it). */
  storageClass: string;
  /** A busybox image present on the node (also the pod sandbox image); use it with an explicit command. */
  busyboxImage: string;
  corednsImage: string;
  /** containerd's socket, for `ctr -a SOCKET -n k8s.io ...`. */
  containerdSocket: string;
  /** Where the node's logs are: kubelet.log, containerd.log, kube-proxy.log, ... */
  logDir: string;
  /** Imports an image archive (docker-archive or OCI tar, as `podman save` writes) into the node's containerd. Returns the image references now present. */
  importImage(archivePath: string): Promise<string[]>;
  /** Runs ctr against the node's containerd in the k8s.io namespace. */
  ctr(args: string[]): Promise<string>;
  /** What the node left on the machine (processes, mounts, iptables chains, bridge, address, files): empty after stop(). */
  leftovers(): string[];
  /** Milliseconds from startControlPlane's call: API ready, node Ready, CoreDNS Ready. */
  startup: { apiServerReadyMs: number; nodeReadyMs: number; dnsReadyMs: number };
}

interface Identity {
  user: string;
  groups: string;
  token: string;
}

/** Dirs of nodes this process runs; the exit hook sweeps them when the process ends any other way. */
const active = new Set<string>();
process.on("exit", () => {
  for (const dir of active) {
    sweepNode(dir, { keepDir: Boolean(process.env.TOLLGATE_KEEP_CONTROL_PLANE_DIR) });
    releaseNodeLock(dir);
  }
});

/**
 * The part of the node that must exist before kube-apiserver starts: the machine's node
 * lock, the node address, the identities in the token file, the kubelet client
 * certificate. `start` runs the rest once the API server is ready.
 */
export class NodeRuntime {
  readonly dir: string;
  private readonly identities: Record<"node" | "proxy" | "controllerManager" | "scheduler", Identity>;
  private readonly processes: ManagedProcess[] = [];
  private provisioner: Provisioner | undefined;
  private constructor(dir: string) {
    this.dir = dir;
    const token = () => randomBytes(24).toString("hex");
    this.identities = {
      // The Node authorizer and NodeRestriction recognise the kubelet by this name and group.
      node: { user: `system:node:${NODE.name}`, groups: "system:nodes", token: token() },
      // The default RBAC bindings name these users (system:node-proxier, system:kube-controller-manager, system:kube-scheduler).
      proxy: { user: "system:kube-proxy", groups: "", token: token() },
      controllerManager: { user: "system:kube-controller-manager", groups: "", token: token() },
      scheduler: { user: "system:kube-scheduler", groups: "", token: token() },
    };
  }

  static async prepare(dir: string, options: NodeOptions): Promise<NodeRuntime> {
    if (process.getuid?.() !== 0) throw new Error("a test node needs root (network, mounts, cgroups)");
    await acquireNodeLock(dir, options.lockTimeoutMs ?? 15 * 60_000);
    active.add(dir);
    const node = new NodeRuntime(dir);
    try {
      addNodeAddress();
      node.makeKubeletClientCertificate();
    } catch (error) {
      node.cleanup(true);
      throw error;
    }
    return node;
  }

  /** Lines for kube-apiserver's --token-auth-file. */
  tokenLines(): string {
    return Object.values(this.identities)
      .map(({ token, user, groups }) => `${token},${user},${user},"${groups}"\n`)
      .join("");
  }

  /** kube-apiserver flags that differ from the node-less control plane. */
  apiServerArgs(): string[] {
    const pki = join(this.dir, "pki");
    return [
      `--bind-address=${NODE.ip}`,
      `--advertise-address=${NODE.ip}`,
      // ServiceAccount admission stays on (pods get projected tokens); NodeRestriction limits the kubelet to its own node.
      "--enable-admission-plugins=NodeRestriction",
      "--authorization-mode=Node,RBAC",
      `--kubelet-client-certificate=${join(pki, "apiserver-kubelet-client.crt")}`,
      `--kubelet-client-key=${join(pki, "apiserver-kubelet-client.key")}`,
      "--kubelet-preferred-address-types=InternalIP",
    ];
  }

  private makeKubeletClientCertificate(): void {
    issueCertificate(join(this.dir, "pki"), {
      name: "apiserver-kubelet-client",
      subject: "/O=system:masters/CN=kube-apiserver-kubelet-client",
      extensions: ["extendedKeyUsage = clientAuth", "keyUsage = critical, digitalSignature"],
      days: 30,
      caCommonName: "tollgate-test-kubelet-client-ca",
    });
  }

  private kubeconfig(name: string, identity: Identity, server: string, caPem: string): string {
    const path = join(this.dir, `${name}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml(server, caPem, identity.user, identity.token), { mode: 0o600 });
    return path;
  }

  private start(binary: string, args: string[], log: string): ManagedProcess {
    const child = startProcess(binary, args, join(this.dir, "logs", log));
    this.processes.push(child);
    return child;
  }

  /** Starts containerd early: it needs nothing from the API server, and importing images takes a moment. */
  startRuntime(binDir: string): { ready: Promise<{ busybox: NodeImage; coredns: NodeImage }> } {
    const dir = this.dir;
    mkdirSync(join(dir, "logs"), { recursive: true });
    const ctrd = join(dir, "containerd");
    const cni = join(dir, "cni");
    mkdirSync(join(cni, "net.d"), { recursive: true });
    mkdirSync(ctrd, { recursive: true });
    const images = { busybox: busyboxImage(), coredns: corednsImage(binDir) };
    writeFileSync(`${ctrd}.toml`, containerdConfig(ctrd, cni, images.busybox.ref));
    writeFileSync(join(cni, "net.d", "10-tollgate.conflist"), cniConfig(join(cni, "ipam")));
    createCgroupRoot();
    const socket = join(ctrd, "containerd.sock");
    const containerd = this.start("containerd", ["--config", `${ctrd}.toml`, "--log-level", "warn"], "containerd.log");
    const ready = (async () => {
      await waitFor("containerd", async () => {
        if (containerd.child.exitCode !== null) throw new Error(`containerd exited; see ${containerd.logFile}`);
        await ctr(socket, ["version"]);
        return true;
      });
      await Promise.all([importImage(socket, images.busybox.archive), importImage(socket, images.coredns.archive)]);
      return images;
    })();
    ready.catch(() => {});
    return { ready };
  }

  async startNode(ctx: {
    binDir: string;
    server: string;
    caPem: string;
    kubeConfig: KubeConfig;
    kubectl: (args: string[], input?: string) => Promise<string>;
    started: number;
    apiServerReadyMs: number;
    runtime: Promise<{ busybox: NodeImage; coredns: NodeImage }>;
  }): Promise<TestNode> {
    const { binDir, server, caPem, kubeConfig } = ctx;
    const dir = this.dir;
    const bin = (name: string) => join(binDir, name);
    const socket = join(dir, "containerd", "containerd.sock");

    // Controllers first: the ServiceAccount controller must create `default` accounts before pods can be admitted.
    this.start(
      bin("kube-controller-manager"),
      [
        `--kubeconfig=${this.kubeconfig("kube-controller-manager", this.identities.controllerManager, server, caPem)}`,
        "--controllers=*",
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${join(dir, "sa.key")}`,
        `--root-ca-file=${join(dir, "certs", "apiserver.crt")}`,
        "--leader-elect=false",
        "--allocate-node-cidrs=false",
        "--secure-port=0",
        "--v=1",
      ],
      "kube-controller-manager.log",
    );
    this.start(
      bin("kube-scheduler"),
      [
        `--kubeconfig=${this.kubeconfig("kube-scheduler", this.identities.scheduler, server, caPem)}`,
        "--leader-elect=false",
        "--secure-port=0",
        "--v=1",
      ],
      "kube-scheduler.log",
    );

    const images = await ctx.runtime;
    const kubeletDir = join(dir, "kubelet");
    mkdirSync(kubeletDir, { recursive: true });
    const kubeletConfig = join(dir, "kubelet.yaml");
    writeFileSync(
      kubeletConfig,
      kubeletConfigYaml({
        socket,
        port: await freePort(),
        healthzPort: await freePort(),
        clientCa: join(dir, "pki", "ca.crt"),
        podLogsDir: join(dir, "pod-logs"),
      }),
    );
    const kubelet = this.start(
      bin("kubelet"),
      [
        `--config=${kubeletConfig}`,
        `--kubeconfig=${this.kubeconfig("kubelet", this.identities.node, server, caPem)}`,
        `--root-dir=${kubeletDir}`,
        `--cert-dir=${join(kubeletDir, "pki")}`,
        `--hostname-override=${NODE.name}`,
        `--node-ip=${NODE.ip}`,
        // cAdvisor's own containerd client (container metadata for stats) dials the default socket otherwise.
        `--containerd=${socket}`,
        "--v=1",
      ],
      "kubelet.log",
    );
    const [healthz, metrics] = [await freePort(), await freePort()];
    const proxy = this.start(
      bin("kube-proxy"),
      [
        `--kubeconfig=${this.kubeconfig("kube-proxy", this.identities.proxy, server, caPem)}`,
        `--hostname-override=${NODE.name}`,
        "--proxy-mode=iptables",
        `--cluster-cidr=${NODE.podSubnet}`,
        // NodePorts on the node address only, not on the machine's real interfaces.
        `--nodeport-addresses=${NODE.ip}/32`,
        `--healthz-bind-address=127.0.0.1:${healthz}`,
        `--metrics-bind-address=127.0.0.1:${metrics}`,
        // 0: leave the machine's conntrack sysctls as they are.
        "--conntrack-max-per-core=0",
        "--conntrack-tcp-timeout-established=0",
        "--conntrack-tcp-timeout-close-wait=0",
        "--v=1",
      ],
      "kube-proxy.log",
    );

    await ctx.kubectl(
      ["apply", "--server-side", "--field-manager=tollgate-test-node", "-f", "-"],
      clusterAddons(images.coredns.ref),
    );
    this.provisioner = startProvisioner(kubeConfig, join(dir, "volumes"));

    await waitFor(
      `node ${NODE.name} Ready`,
      async () => {
        for (const p of [kubelet, proxy]) if (p.child.exitCode !== null) throw new Error(`exited; see ${p.logFile}`);
        const res = await api<{ status?: { conditions?: { type: string; status: string }[] } }>(
          kubeConfig,
          "GET",
          `/api/v1/nodes/${NODE.name}`,
        );
        return res.body.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const nodeReadyMs = Date.now() - ctx.started;
    await waitFor(
      "CoreDNS Ready",
      async () => {
        const res = await api<{ status?: { readyReplicas?: number } }>(
          kubeConfig,
          "GET",
          "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
        );
        return (res.body.status?.readyReplicas ?? 0) >= 1 || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const dnsReadyMs = Date.now() - ctx.started;
    return {
      name: NODE.name,
      ip: NODE.ip,
      podSubnet: NODE.podSubnet,
      serviceSubnet: NODE.serviceSubnet,
      dnsIp: NODE.dnsIp,
      clusterDomain: NODE.clusterDomain,
      storageClass: STORAGE_CLASS,
      busyboxImage: images.busybox.ref,
      corednsImage: images.coredns.ref,
      containerdSocket: socket,
      logDir: join(dir, "logs"),
      importImage: (archive) => importImage(socket, archive),
      ctr: (args) => ctr(socket, args),
      leftovers: () => nodeLeftovers(dir),
      startup: { apiServerReadyMs: ctx.apiServerReadyMs, nodeReadyMs, dnsReadyMs },
    };
  }

  /** Stops the node's processes (the API server is still up). */
  async stopProcesses(): Promise<void> {
    await this.provisioner?.stop();
    await Promise.all(this.processes.map((p) => p.stop(2000)));
    // The pods too: CoreDNS's watches (and any pod's) would hold kube-apiserver's graceful shutdown.
    killNodeProcesses(this.dir);
  }

  /** After the API server and etcd stopped: everything the node left on the machine, then the lock. */
  cleanup(keepDir: boolean): void {
    captureDirectory(join(this.dir, "pod-logs"), "pod-logs");
    sweepNode(this.dir, { keepDir });
    active.delete(this.dir);
    releaseNodeLock(this.dir);
  }
}

async function ctr(socket: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("ctr", ["-a", socket, "-n", "k8s.io", ...args], { encoding: "utf8" });
  return stdout;
}

async function importImage(socket: string, archive: string): Promise<string[]> {
  const out = await ctr(socket, ["images", "import", archive]);
  // "unpacking REF (sha256:...)...done"
  return [...out.matchAll(/unpacking (\S+) \(/g)].map((m) => m[1] ?? "");
}

export function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  const ca = Buffer.from(caPem).toString("base64");
  return `apiVersion: v1
kind: Config
clusters:
- name: tollgate-test
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: tollgate-test
  context:
    cluster: tollgate-test
    user: ${user}
current-context: tollgate-test
`;
}

function containerdConfig(root: string, cni: string, sandboxImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${root}/root"
state = "${root}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "${root}/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "${root}/opt"

[${cri}]
  # No registry is reachable: a local busybox image that sleeps is the sandbox.
  sandbox_image = "${sandboxImage}"
  # This machine's root lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj (-998 for sandboxes).
  restrict_oom_score_adj = true
  # Network namespaces under our state dir, not /run/netns.
  netns_mounts_under_state_dir = true
  [${cri}.containerd]
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${root}/runc"
  [${cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cni}/net.d"
`;
}

function cniConfig(ipamDir: string): string {
  // containerd sets up each pod's loopback itself with the loopback plugin from bin_dir.
  return `${JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: NODE.network,
      plugins: [
        {
          type: "bridge",
          bridge: NODE.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: NODE.podSubnet }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: ipamDir,
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

function kubeletConfigYaml(o: {
  socket: string;
  port: number;
  healthzPort: number;
  clientCa: string;
  podLogsDir: string;
}): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 (hybrid); v1.35+ refuses it unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${NODE.cgroupRoot}
containerRuntimeEndpoint: unix://${o.socket}
failSwapOn: false
address: ${NODE.ip}
port: ${o.port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${o.healthzPort}
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    # kube-apiserver's --kubelet-client-certificate is signed by this CA.
    clientCAFile: ${o.clientCa}
authorization:
  mode: Webhook
clusterDNS: [${NODE.dnsIp}]
clusterDomain: ${NODE.clusterDomain}
resolvConf: /etc/resolv.conf
podLogsDir: ${o.podLogsDir}
# A small test disk: evict only when nearly full, never collect images (they cannot be pulled again).
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
`;
}

/** CoreDNS (Deployment + Service at the fixed ClusterIP, with its RBAC) and the default StorageClass. */
function clusterAddons(corednsImageRef: string): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: coredns
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:coredns
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:coredns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:coredns
subjects:
- kind: ServiceAccount
  name: coredns
  namespace: kube-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      # The host's resolver for names outside the cluster.
      dnsPolicy: Default
      terminationGracePeriodSeconds: 1
      securityContext:
        runAsNonRoot: true
        runAsUser: 65534
        runAsGroup: 65534
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: coredns
        image: ${corednsImageRef}
        imagePullPolicy: Never
        ports:
        - {name: dns, containerPort: ${COREDNS_PORT}, protocol: UDP}
        - {name: dns-tcp, containerPort: ${COREDNS_PORT}, protocol: TCP}
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 1
        livenessProbe:
          httpGet: {path: /health, port: 8080}
        resources:
          requests: {cpu: 10m, memory: 32Mi}
          limits: {memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: ${NODE.dnsIp}
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, targetPort: ${COREDNS_PORT}, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: ${COREDNS_PORT}, protocol: TCP}
---
${storageClassManifest}`;
}
