// `npm run cluster [-- --node]`: the test control plane and a Redis kept up for local
// development; with --node, a real node too (kubelet, containerd, kube-proxy, CoreDNS,
// a default StorageClass). Ctrl-C stops everything.
import { startControlPlane } from "./control-plane.ts";
import { startRedis } from "./redis.ts";

const withNode = process.argv.includes("--node");
const controlPlane = await startControlPlane({ node: withNode });
const redis = await startRedis();
console.log(`kube-apiserver: ${controlPlane.server}
export KUBECONFIG=${controlPlane.kubeconfigPath}
export TOLLGATE_REDIS_URL=${redis.url}
export PATH=${controlPlane.binDir}:$PATH   # kubectl, helm (v4), helm3 of the pinned versions

Then, in other shells with those variables:
  kubectl apply -f examples/
  npm run operator -- --leader-elect=false --metrics-port=0`);
const node = controlPlane.node;
if (node) {
  console.log(`
Node ${node.name} (${node.ip}) is Ready: pods on ${node.podSubnet}, Services on ${node.serviceSubnet}, DNS ${node.dnsIp}, default StorageClass ${node.storageClass}.
  cold start ${node.startup.dnsReadyMs} ms; logs in ${node.logDir}
No registry: load images into the node's containerd and use imagePullPolicy: Never (or IfNotPresent):
  podman save --format docker-archive -o /tmp/img.tar IMAGE
  ctr -a ${node.containerdSocket} -n k8s.io images import /tmp/img.tar
A busybox image is there already: ${node.busyboxImage}
  kubectl run box --image=${node.busyboxImage} --image-pull-policy=Never --command -- sleep 3600
ClusterIPs and pod IPs answer from this machine (kube-proxy's iptables rules); kubectl port-forward works too.
The OAuthClient CRD is applied already: install the chart with --set crds.install=false.`);
}
console.log("Ctrl-C stops the control plane and Redis.");

const shutdown = async () => {
  await redis.stop();
  await controlPlane.stop();
  process.exit(0);
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
setInterval(() => {}, 1 << 30);
