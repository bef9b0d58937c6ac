// Client records for the unit tier, built as the operator compiles them.

import bcrypt from "bcryptjs";
import type { ClientRecord, CompiledIdentityMapping } from "../../../registry/record.ts";
import { rememberCredential } from "../../harness/log-capture.ts";
import { clientCredentialsRecord } from "../../token-server/client-record.ts";

export const SECRET = "unit-test-client-secret";
let sequence = 0;

export function record(overrides: Partial<ClientRecord> = {}): ClientRecord {
  sequence += 1;
  return clientCredentialsRecord(`unit-client-${sequence}`, SECRET, { updatedAt: sequence, ...overrides });
}

/** An htpasswd line at bcrypt cost 4: the unit tier checks logic, not bcrypt's cost. */
export function userLine(username: string, password: string, cost = 4): string {
  return `${username}:${bcrypt.hashSync(rememberCredential(password), cost)}`;
}

export function mapping(overrides: Partial<CompiledIdentityMapping> = {}): CompiledIdentityMapping {
  return { jwtIssuers: [], samlIdps: [], claimMappings: [], audiences: [], maxAssertionAgeSeconds: 300, ...overrides };
}

export function basicAuth(clientId: string, secret = SECRET): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` };
}
