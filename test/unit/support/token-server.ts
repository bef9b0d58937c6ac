// The unit tier's token server: the real app in this process, on memory stores (the
// registry and the token state), a generated key, and no child process of any kind.
// Requests go through the Koa app as a client's would, over loopback HTTP.

import { MemoryRegistry } from "../../../registry/memory-registry.ts";
import type { ClientRecord } from "../../../registry/record.ts";
import { KeyRing } from "../../../token-server/key-ring.ts";
import type { ServerSettings } from "../../../token-server/request-context.ts";
import {
  type RunningTokenServer,
  startTokenServer,
  type WorkloadIdentityOptions,
} from "../../../token-server/server.ts";
import { MemoryTokenState } from "../../../token-server/state/memory-state.ts";
import { testLogger } from "../../harness/log-capture.ts";
import { poll } from "./poll.ts";

export interface UnitStack {
  url: string;
  registry: MemoryRegistry;
  state: MemoryTokenState;
  running: RunningTokenServer;
  logs: string[];
  /** Writes a record and waits until the server's client cache holds this version of it. */
  put(record: ClientRecord): Promise<void>;
  close(): Promise<void>;
}

export async function startUnitStack(
  options: {
    issuer?: string;
    settings?: Partial<Omit<ServerSettings, "issuer">>;
    workloadIdentity?: WorkloadIdentityOptions;
  } = {},
): Promise<UnitStack> {
  const registry = new MemoryRegistry();
  const state = new MemoryTokenState();
  const logs: string[] = [];
  const log = testLogger("unit-token-server", { lines: logs });
  const running = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    registry,
    state,
    keys: await KeyRing.generated("ES256"),
    log,
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.workloadIdentity === undefined ? {} : { workloadIdentity: options.workloadIdentity }),
  });
  return {
    url: running.url,
    registry,
    state,
    running,
    logs,
    async put(record) {
      await registry.put(record);
      await poll(
        `the client cache to hold ${record.clientId}`,
        () => running.clients.get(record.clientId)?.updatedAt === record.updatedAt,
      );
    },
    async close() {
      await running.close();
      await state.close();
    },
  };
}

/** A form POST; the parsed JSON body when there is one. */
export async function postForm(
  url: string,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: typeof form === "string" ? form : new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body };
}
