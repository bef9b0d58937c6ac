// `npm run cluster`: the test control plane and a Redis kept up for local
// development. Ctrl-C stops everything.
import { startControlPlane } from "./control-plane.ts";
import { startRedis } from "./redis.ts";

const controlPlane = await startControlPlane();
const redis = await startRedis();
console.log(`kube-apiserver: ${controlPlane.server}
export KUBECONFIG=${controlPlane.kubeconfigPath}
export TOLLGATE_REDIS_URL=${redis.url}

Then, in other shells with those two variables:
  ${controlPlane.binDir}/kubectl apply -f examples/
  npm run operator -- --leader-elect=false --metrics-port=0
Ctrl-C stops the control plane and Redis.`);

const shutdown = async () => {
  await redis.stop();
  await controlPlane.stop();
  process.exit(0);
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
setInterval(() => {}, 1 << 30);
