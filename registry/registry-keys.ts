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
  /**
   * Set by the operator once it has written every client: its absence means the
   * registry was never built or Redis lost it (FLUSHALL, a restart without persistence),
   * so the operator rebuilds it and a token server that holds nothing is not ready.
   */
  initialised: `${REGISTRY_PREFIX}:initialised`,
  /** Pub/sub channel carrying JSON RegistryChange messages. */
  changes: `${REGISTRY_PREFIX}:changes`,
} as const;
