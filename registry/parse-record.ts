import { type ClientRecord, REGISTRY_VERSION } from "./record.ts";

/** Parses a stored record; a record of another registry version or a broken one reads as absent. */
export function parseRecord(raw: string): ClientRecord | undefined {
  try {
    const value = JSON.parse(raw) as Partial<ClientRecord>;
    if (value.registryVersion !== REGISTRY_VERSION || typeof value.clientId !== "string") return undefined;
    if (!Array.isArray(value.secrets) || !Array.isArray(value.grantTypes)) return undefined;
    // A workload identity without its list would read as "no ServiceAccount": refuse it whole.
    if (value.workloadIdentity !== undefined && !Array.isArray(value.workloadIdentity?.serviceAccounts))
      return undefined;
    return value as ClientRecord;
  } catch {
    return undefined;
  }
}
