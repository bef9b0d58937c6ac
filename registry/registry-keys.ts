// Redis key names of the registry contract. Versioned so an incompatible record
// shape can live beside the old one during an upgrade.
export const REGISTRY_PREFIX = "tollgate:registry:v1";

export const registryKeys = {
  /** Hash: clientId -> JSON ClientRecord. */
  clients: `${REGISTRY_PREFIX}:clients`,
  /** Hash: clientId -> epoch seconds of deletion. */
  tombstones: `${REGISTRY_PREFIX}:tombstones`,
  /** Integer, incremented on every write: a reader that sees a gap resyncs. */
  revision: `${REGISTRY_PREFIX}:revision`,
  /** Pub/sub channel carrying JSON RegistryChange messages. */
  changes: `${REGISTRY_PREFIX}:changes`,
} as const;
