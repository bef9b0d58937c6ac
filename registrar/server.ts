// Starts the registrar: its KubeConfig (the pod's ServiceAccount in a cluster), its key,
// and the HTTP server. The process holds no registry, no Redis and no signing keys: its
// only powers are TokenReview, impersonation and reading OAuthClients (docs/registration.md).
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "../common/kubernetes-client.ts";
import type { Logger } from "../common/logger.ts";
import { registrarApp } from "./app.ts";
import type { RegistrarConfig } from "./config.ts";
import { KubeRequester } from "./kube-requests.ts";
import { AccessTokenSeal } from "./provenance.ts";
import { Registrar } from "./registrar.ts";

export interface RunningRegistrar {
  /** http://HOST:PORT of the bound server. */
  url: string;
  close(): Promise<void>;
}

export async function startRegistrar(config: RegistrarConfig, log: Logger): Promise<RunningRegistrar> {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  const seal = new AccessTokenSeal(readFileSync(config.keyFile));
  const registrar = new Registrar(
    new KubeRequester(kubeConfig),
    seal,
    { registrationEndpoint: config.registrationEndpoint, readyTimeoutMs: config.readyTimeoutMs },
    log,
  );
  const basePath = new URL(config.registrationEndpoint).pathname;
  const server: Server = createServer(registrarApp(registrar, log, basePath).callback());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  log.info("registrar listening", { port, registration_endpoint: config.registrationEndpoint });
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
