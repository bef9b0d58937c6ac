// A real kube-apiserver and etcd for tests, started the way controller-runtime's
// envtest starts them: free loopback ports, a generated service-account key, the
// serving certificate the apiserver makes for itself, and a static admin token.
// Binaries come from test/control-plane/build.sh (built from the official Go
// modules, cached outside the repo by version). With { node: true }, a real node
// joins it (node.ts).
import { execFile, execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ApiextensionsV1Api, KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { api } from "./kube-api.ts";
import { kubeconfigYaml, type NodeOptions, NodeRuntime, type TestNode } from "./node.ts";
import { NODE } from "./node-host.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "./processes.ts";

const execFileAsync = promisify(execFile);

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CRD_DIR = join(repoRoot, "crds");

export interface ControlPlane {
  /** Admin (system:masters) credentials. */
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT, or https://NODE_IP:PORT with a node (pods reach the API server there). */
  server: string;
  /** The static admin bearer token. */
  adminToken: string;
  /**
   * The service-account issuer (kube-apiserver --service-account-issuer) and its signing key
   * (PKCS#8 PEM): a test can sign a token the cluster would have, e.g. one already expired.
   */
  serviceAccountIssuer: string;
  serviceAccountSigningKey: string;
  /** The directory holding kube-apiserver, etcd and kubectl. */
  binDir: string;
  /** The node, when started with { node: true }. */
  node?: TestNode;
  /** Runs the kubectl built with the API server against it as admin; resolves to stdout, rejects with stderr. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Stops and starts kube-apiserver on the same port and etcd (data kept): a control-plane upgrade in miniature. */
  restartApiServer(): Promise<void>;
  /** Stops everything and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Install the CRDs from crds/ and wait until they are served (default true). */
  installCrds?: boolean;
  /**
   * Also run a node: kube-controller-manager, kube-scheduler, kubelet, containerd, kube-proxy,
   * CoreDNS and a default StorageClass (see node.ts). Needs root; one node per machine.
   */
  node?: boolean | NodeOptions;
  /**
   * An AuthenticationConfiguration (apiserver.config.k8s.io/v1, YAML or JSON) for
   * `--authentication-config`: JWT authenticators beside the static tokens, e.g. one
   * trusting a Tollgate issuer. The API server fetches each issuer's discovery and JWKS in
   * the background, so the issuer need not be up yet; until it is, its tokens get 401.
   */
  authenticationConfig?: string;
}

/** Builds the binaries if they are not cached yet (prints progress to stderr) and returns their directory. */
export function controlPlaneBinDir(): string {
  const script = join(repoRoot, "test", "control-plane", "build.sh");
  return execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** Directories of node-less control planes still up; removed on any exit (processes.ts kills their processes, node.ts sweeps nodes). */
const liveDirs = new Set<string>();
process.on("exit", () => {
  if (process.env.TOLLGATE_KEEP_CONTROL_PLANE_DIR) return;
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A process still writing: its directory is the least of the leftovers.
    }
  }
});

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const binDir = controlPlaneBinDir();
  const dir = mkdtempSync(join(tmpdir(), "tollgate-cp-"));
  const processes: ManagedProcess[] = [];
  let apiserver: ManagedProcess | undefined;
  let nodeRuntime: NodeRuntime | undefined;
  let stopped = false;
  const keepDir = Boolean(process.env.TOLLGATE_KEEP_CONTROL_PLANE_DIR);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    liveDirs.delete(dir);
    await nodeRuntime?.stopProcesses();
    await apiserver?.stop();
    for (const p of processes.reverse()) await p.stop();
    if (nodeRuntime) nodeRuntime.cleanup(keepDir);
    else if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };
  if (!options.node) liveDirs.add(dir);
  try {
    if (options.node) nodeRuntime = await NodeRuntime.prepare(dir, options.node === true ? {} : options.node);
    const runtime = nodeRuntime?.startRuntime(binDir);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = startProcess(
      join(binDir, "etcd"),
      [
        "--data-dir",
        join(dir, "etcd"),
        "--listen-client-urls",
        `http://127.0.0.1:${etcdClient}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${etcdClient}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${etcdPeer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${etcdPeer}`,
        "--initial-cluster",
        `default=http://127.0.0.1:${etcdPeer}`,
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
      join(dir, "etcd.log"),
    );
    processes.push(etcd);

    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    const adminToken = randomBytes(24).toString("hex");
    writeFileSync(
      join(dir, "tokens.csv"),
      `${adminToken},admin,admin-uid,"system:masters"\n${nodeRuntime?.tokenLines() ?? ""}`,
      { mode: 0o600 },
    );
    if (options.authenticationConfig !== undefined)
      writeFileSync(join(dir, "authentication-config.yaml"), options.authenticationConfig);
    const host = nodeRuntime ? NODE.ip : "127.0.0.1";
    const server = `https://${host}:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--cert-dir=${join(dir, "certs")}`,
      `--secure-port=${apiPort}`,
      ...(nodeRuntime
        ? nodeRuntime.apiServerArgs()
        : [
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            // No controller-manager to create ServiceAccounts, no node to run pods, no endpoints to reconcile.
            "--disable-admission-plugins=ServiceAccount",
            "--authorization-mode=RBAC",
            "--endpoint-reconciler-type=none",
          ]),
      `--service-cluster-ip-range=${NODE.serviceSubnet}`,
      "--allow-privileged=true",
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      ...(options.authenticationConfig !== undefined
        ? [`--authentication-config=${join(dir, "authentication-config.yaml")}`]
        : []),
      "--enable-priority-and-fairness=false",
      "--v=0",
    ];
    const launchApiserver = async () => {
      apiserver = startProcess(join(binDir, "kube-apiserver"), apiserverArgs, join(dir, "kube-apiserver.log"));
      await waitFor(
        "kube-apiserver /readyz",
        async () => {
          if (apiserver?.child.exitCode !== null) throw new Error(`kube-apiserver exited; see ${apiserver?.logFile}`);
          const res = await insecureGet(`${server}/readyz`, adminToken);
          return res.status === 200 || undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
    };
    await launchApiserver();
    const apiServerReadyMs = Date.now() - started;

    const caPem = readFileSync(join(dir, "certs", "apiserver.crt"), "utf8");
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, caPem, "admin", adminToken), { mode: 0o600 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    await waitFor(
      "the default namespace",
      async () => (await insecureGet(`${server}/api/v1/namespaces/default`, adminToken)).status === 200 || undefined,
    );

    const kubectl = async (args: string[], input?: string) => {
      const child = execFileAsync(join(binDir, "kubectl"), ["--kubeconfig", kubeconfigPath, ...args], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      if (input !== undefined) child.child.stdin?.end(input);
      try {
        return (await child).stdout;
      } catch (error) {
        const { stderr } = error as { stderr?: string };
        throw new Error(`kubectl ${args.join(" ")}: ${stderr?.trim() || String(error)}`);
      }
    };

    const [node] = await Promise.all([
      nodeRuntime && runtime
        ? nodeRuntime.startNode({
            binDir,
            server,
            caPem,
            kubeConfig,
            kubectl,
            started,
            apiServerReadyMs,
            runtime: runtime.ready,
          })
        : undefined,
      options.installCrds !== false ? installCrds(kubeConfig) : undefined,
    ]);
    return {
      kubeConfig,
      kubeconfigPath,
      server,
      adminToken,
      serviceAccountIssuer: `${server}/`,
      serviceAccountSigningKey: readFileSync(join(dir, "sa.key"), "utf8"),
      binDir,
      ...(node ? { node } : {}),
      kubectl,
      stop,
      async restartApiServer() {
        await apiserver?.stop();
        await launchApiserver();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Server-side applies every CRD in crds/, exactly as written, and waits until each is
 * Established and served. (A typed client would silently drop the CEL rules.)
 */
export async function installCrds(kubeConfig: KubeConfig, crdDir = CRD_DIR): Promise<V1CustomResourceDefinition[]> {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f))) {
    for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), "utf8"))) {
      const crd = doc.toJS() as V1CustomResourceDefinition | null;
      if (crd?.kind === "CustomResourceDefinition") crds.push(crd);
    }
  }
  for (const crd of crds) {
    const name = crd.metadata?.name ?? "";
    const applied = await api(
      kubeConfig,
      "PATCH",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      crd,
      {
        contentType: "application/apply-patch+yaml",
        query: { fieldManager: "tollgate-test-harness", force: "true" },
      },
    );
    if (applied.status !== 200 && applied.status !== 201)
      throw new Error(`applying CRD ${name}: ${applied.status} ${JSON.stringify(applied.body)}`);
  }
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const name = crd.metadata?.name ?? "";
    await waitFor(`CRD ${name} Established`, async () => {
      const current = await extensions.readCustomResourceDefinition({ name });
      return current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") || undefined;
    });
    const { group, versions, names } = crd.spec;
    for (const version of versions.filter((v) => v.served)) {
      await waitFor(`${names.plural}.${group}/${version.name} in discovery`, async () => {
        const res = await api<{ resources?: { name: string }[] }>(kubeConfig, "GET", `/apis/${group}/${version.name}`);
        return (res.status === 200 && res.body.resources?.some((r) => r.name === names.plural)) || undefined;
      });
    }
  }
  return crds;
}

/** A GET that skips certificate checks: only for probes on loopback before the kubeconfig (and its CA) exists. */
function insecureGet(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
  });
}
