// `npm run cluster`: the test control plane and a Redis kept up for local
// development. Ctrl-C stops everything.
import { startControlPlane } from "./control-plane.ts";
import { startRedis } from "./redis.ts";

const controlPlane = await startControlPlane();
const redis = await startRedis();
console.log(`kube-apiserver: ${controlPlane.server}
KUBECONFIG=${controlPlane.kubeconfigPath}
REDIS_URL=${redis.url}

Try:  KUBECONFIG=${controlPlane.kubeconfigPath} ${controlPlane.binDir}/kubectl apply -f examples/
      KUBECONFIG=${controlPlane.kubeconfigPath} REDIS_URL=${redis.url} npm run operator
Ctrl-C stops the control plane and Redis.`);

const shutdown = async () => {
  await redis.stop();
  await controlPlane.stop();
  process.exit(0);
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
setInterval(() => {}, 1 << 30);
