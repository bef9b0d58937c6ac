// An operator and a token server on the real API server, sharing the world's Redis:
// the operator writes the registry and the credentials Secrets, the token server reads
// the registry, and the token server's URL is the issuer the operator writes into
// every Secret. Shared by the end-to-end tests of each feature.
import type { V1Secret } from "@kubernetes/client-node";
import type { OperatorConfig } from "../../operator/config.ts";
import type { RunningOperator } from "../../operator/operator.ts";
import type { ClientRecord } from "../../registry/record.ts";
import type { RunningTokenServer } from "../../token-server/server.ts";
import type { TlsFiles } from "../../token-server/tls.ts";
import type { ControlPlaneOptions } from "../harness/control-plane.ts";
import { waitFor } from "../harness/processes.ts";
import {
  createClient,
  getSecret,
  oauthClient,
  secretString,
  startTestOperator,
  startWorld,
  type World,
  waitForReady,
  waitForRecord,
} from "../operator/support.ts";
import { startTokenServerOn } from "../token-server/fixtures.ts";

export interface AppliedClient {
  clientId: string;
  /** Undefined for a public client. */
  clientSecret: string | undefined;
  /** The Secret the operator wrote. */
  secret: V1Secret | undefined;
}

export interface OperatorStack {
  world: World;
  operator: RunningOperator;
  tokenServer: RunningTokenServer;
  /** The token server's URL, which is also its issuer and the one the operator publishes. */
  issuer: string;
  /** Applies an OAuthClient, waits for Ready and for the token server to know the client. */
  apply(namespace: string, name: string, spec: Parameters<typeof oauthClient>[2]): Promise<AppliedClient>;
  /** Waits until the registry holds a record passing `predicate` and the token server has that version. */
  followed(clientId: string, what: string, predicate: (record: ClientRecord | undefined) => boolean): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Options of the control plane, e.g. an AuthenticationConfiguration trusting the token server. */
  controlPlane?: ControlPlaneOptions;
  /** The token server's port (0: a free one) and, to serve https, its certificate files. */
  tokenServer?: { port?: number; tls?: TlsFiles };
}

export async function startOperatorStack(
  overrides: Partial<OperatorConfig> = {},
  options: StackOptions = {},
): Promise<OperatorStack> {
  const world = await startWorld(options.controlPlane);
  const tokenServer = await startTokenServerOn(world.redis.url, world.recordKeys, {}, options.tokenServer);
  const operator = await startTestOperator(world, { ...overrides, issuer: tokenServer.url });
  await operator.synced();
  const tokenServerLoaded = (clientId: string, what: string, probe: () => boolean) =>
    waitFor(`the token server to load ${clientId}: ${what}`, async () => probe() || undefined, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  return {
    world,
    operator,
    tokenServer,
    issuer: tokenServer.url,
    async apply(namespace, name, spec) {
      await createClient(world, oauthClient(namespace, name, spec));
      const ready = await waitForReady(world, namespace, name);
      const clientId = ready.status?.clientId as string;
      await tokenServerLoaded(clientId, "applied", () => tokenServer.clients.get(clientId) !== undefined);
      const secret = await getSecret(world, namespace, ready.status?.secretName as string);
      return { clientId, clientSecret: secretString(secret, "client_secret"), secret };
    },
    async followed(clientId, what, predicate) {
      const record = await waitForRecord(world, clientId, what, predicate);
      await tokenServerLoaded(clientId, what, () => tokenServer.clients.get(clientId)?.updatedAt === record?.updatedAt);
    },
    async close() {
      await operator.stop();
      await tokenServer.close();
      await world.stop();
    },
  };
}
