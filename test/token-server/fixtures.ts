// Shared parts of the token-server tests: a real redis-server, the registry written
// through RedisRegistry (as the operator writes it), a token server reading it, real
// OAuth client libraries (openid-client) and an independent JWT verifier (fast-jwt).

import { createPublicKey } from "node:crypto";
import { createVerifier } from "fast-jwt";
import * as oauth from "openid-client";
import { createClient, type RedisClientType } from "redis";
import type { ClientRecord, CompiledIdentityMapping } from "../../registry/record.ts";
import { RecordKeyRing } from "../../registry/record-keys.ts";
import { RedisRegistry } from "../../registry/redis-registry.ts";
import type { SigningAlgorithm } from "../../registry/signing-key-format.ts";
import { KeyRing } from "../../token-server/key-ring.ts";
import type { ServerSettings } from "../../token-server/request-context.ts";
import { type RunningTokenServer, startTokenServer } from "../../token-server/server.ts";
import { RedisTokenState } from "../../token-server/state/redis-state.ts";
import type { TlsFiles } from "../../token-server/tls.ts";
import { rememberCredential, testLogger } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../harness/redis.ts";
import { clientCredentialsRecord } from "./client-record.ts";

export interface Stack {
  redis: TestRedis;
  /** The writer, as the operator uses it. */
  registry: RedisRegistry;
  /** The registry record keys writer and server share. */
  recordKeys: RecordKeyRing;
  running: RunningTokenServer;
  state: RedisTokenState;
  keys: KeyRing;
  /** Every log line the server wrote. */
  logs: string[];
  url: string;
  /** /healthz, /readyz and /metrics: the management port, not the public one. */
  managementUrl: string;
  /** Writes a record and waits until the server sees this version of it. */
  put(record: ClientRecord): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(
  settings: Partial<Omit<ServerSettings, "issuer">> = {},
  { alg = "ES256", ...options }: { alg?: SigningAlgorithm; metricsClientLimit?: number } = {},
): Promise<Stack> {
  const redis = await startRedis();
  const recordKeys = await RecordKeyRing.generated();
  const registry = await RedisRegistry.connect(redis.url, recordKeys);
  // These tests write the registry themselves, standing in for the operator, which marks it built.
  await registry.markInitialised();
  const readerClient: RedisClientType = createClient({
    url: redis.url,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) },
  });
  readerClient.on("error", () => {});
  await readerClient.connect();
  const reader = new RedisRegistry(readerClient, recordKeys);
  const state = RedisTokenState.start({ url: redis.url });
  await waitFor("token state to connect", async () => state.available || undefined);
  const keys = await KeyRing.generated(alg);
  const logs: string[] = [];
  const log = testLogger("token-server", { lines: logs });
  const running = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry: reader,
    state,
    keys,
    log,
    settings,
    ...options,
    redisConnections: { registry: () => reader.available, token_state: () => state.available },
  });
  return {
    redis,
    registry,
    recordKeys,
    running,
    state,
    keys,
    logs,
    url: running.url,
    managementUrl: running.managementUrl,
    async put(record) {
      await registry.put(record);
      await waitFor(
        `the token server to see ${record.clientId}`,
        async () => running.clients.get(record.clientId)?.updatedAt === record.updatedAt || undefined,
        { timeoutMs: 5000, intervalMs: 5 },
      );
    },
    async close() {
      await running.close();
      await state.close();
      await reader.close().catch(() => {});
      await registry.close().catch(() => {});
      await redis.stop();
      await removeRedisDir(redis);
    },
  };
}

/**
 * A token server of its own on a Redis that already holds the registry (a second
 * replica, or one beside an operator): its own registry reader, token state and
 * signing key, silent logs. `close` stops all of it.
 */
export async function startTokenServerOn(
  redisUrl: string,
  recordKeys: RecordKeyRing,
  settings: Partial<Omit<ServerSettings, "issuer">> = {},
  { port = 0, tls }: { port?: number; tls?: TlsFiles } = {},
): Promise<RunningTokenServer> {
  const reader = await RedisRegistry.connect(redisUrl, recordKeys);
  const state = RedisTokenState.start({ url: redisUrl });
  await waitFor("token state to connect", async () => state.available || undefined);
  const running = await startTokenServer({
    host: "127.0.0.1",
    port,
    ...(tls ? { tls } : {}),
    registry: reader,
    state,
    keys: await KeyRing.generated("ES256"),
    log: testLogger("token-server-replica", { level: "error" }),
    settings,
  });
  return {
    ...running,
    async close() {
      await running.close();
      await state.close();
      await reader.close().catch(() => {});
    },
  };
}

/** An identity mapping that trusts nothing yet; `overrides` add users, issuers, IdPs, claim mappings. */
export function identityMapping(overrides: Partial<CompiledIdentityMapping> = {}): CompiledIdentityMapping {
  return { jwtIssuers: [], samlIdps: [], claimMappings: [], audiences: [], maxAssertionAgeSeconds: 300, ...overrides };
}

let sequence = 0;

/** A client_credentials client with a known secret; `overrides` change anything. */
export function clientRecord(
  overrides: Partial<ClientRecord> = {},
  secret = "s3cret-value-for-tests",
): ClientRecord & { secret: string } {
  sequence += 1;
  rememberCredential(secret);
  const record = clientCredentialsRecord(`client-${sequence}-${process.pid}`, secret, {
    source: "test/fixture",
    displayName: "test client",
    audiences: ["https://orders.example", "reports"],
    subject: "svc-orders",
    updatedAt: Date.now() + sequence,
    ...overrides,
  });
  return Object.assign(record, { secret });
}

/** openid-client, configured by discovery against the server, as an application would use it. */
export async function oauthClient(
  stack: { url: string },
  clientId: string,
  auth: oauth.ClientAuth,
): Promise<oauth.Configuration> {
  return oauth.discovery(new URL(stack.url), clientId, undefined, auth, { execute: [oauth.allowInsecureRequests] });
}

/** Verifies an access token with fast-jwt and the published JWKS: neither this project's code nor jose. */
export async function verifyIndependently(
  stack: { url: string },
  token: string,
  audience: string,
): Promise<Record<string, unknown> & { header: Record<string, unknown> }> {
  const jwks = (await (await fetch(`${stack.url}/oauth2/jwks`)).json()) as { keys: { kid: string }[] };
  const verify = createVerifier({
    key: async (decoded: { header: { kid?: string } }) => {
      const jwk = jwks.keys.find((k) => k.kid === decoded.header.kid);
      if (!jwk) throw new Error(`no key ${decoded.header.kid} in the JWKS`);
      return createPublicKey({ key: jwk as never, format: "jwk" })
        .export({ format: "pem", type: "spki" })
        .toString();
    },
    algorithms: ["ES256", "EdDSA", "RS256", "PS256"],
    allowedIss: stack.url,
    allowedAud: audience,
    checkTyp: "at+jwt",
    requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"],
    complete: true,
  });
  const { header, payload } = (await verify(token)) as {
    header: Record<string, unknown>;
    payload: Record<string, unknown>;
  };
  return { ...payload, header };
}

/** A raw form POST, for the error paths a client library would never send. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" },
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export function basic(id: string, secret: string): string {
  const encode = (text: string) => encodeURIComponent(text).replaceAll("%20", "+");
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString("base64")}`;
}

/**
 * The OAuth error behind an openid-client rejection. A 401 with WWW-Authenticate
 * surfaces as WWWAuthenticateChallengeError (body unread), others as ResponseBodyError.
 */
export async function oauthErrorOf(error: unknown): Promise<{ status: number; error: string; challenge?: string }> {
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const body = (await error.response.json()) as { error: string };
    return {
      status: error.status,
      error: body.error,
      challenge: `${error.cause[0]?.scheme} realm="${error.cause[0]?.parameters.realm}"`,
    };
  }
  if (error instanceof oauth.ResponseBodyError) return { status: error.status, error: error.error };
  throw error;
}
