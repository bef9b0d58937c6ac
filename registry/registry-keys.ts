// Redis key names of the registry contract. Versioned so an incompatible record
// shape can live beside the old one during an upgrade. Every key and the channel carry
// one hash tag, "{v1}": on a Redis Cluster they share a slot, so the write script (record,
// revision, marker and the sharded PUBLISH of the change) and the snapshot's MULTI run on
// one node. Before the tag the names were "tollgate:registry:v1:*": on upgrade the operator
// finds no initialised marker under the new names and rebuilds the registry there.
import { DEFAULT_KEY_PREFIX } from "../common/redis-connection.ts";

export interface RegistryKeyNames {
  /** Hash: clientId -> sealed JSON ClientRecord. */
  clients: string;
  /** Hash: clientId -> epoch seconds of deletion. */
  tombstones: string;
  /** Integer, incremented on every write: a reader that sees a gap resyncs. */
  revision: string;
  /**
   * Set by the operator once it has written every client: its absence means the
   * registry was never built or Redis lost it (FLUSHALL, a restart without persistence),
   * so the operator rebuilds it and a token server that holds nothing is not ready.
   */
  initialised: string;
  /** Pub/sub channel carrying JSON RegistryChange messages (sharded on a cluster). */
  changes: string;
}

/** The registry's names under a key prefix (--redis-key-prefix). */
export function registryKeysFor(prefix: string): RegistryKeyNames {
  const base = `${prefix}registry:{v1}`;
  return {
    clients: `${base}:clients`,
    tombstones: `${base}:tombstones`,
    revision: `${base}:revision`,
    initialised: `${base}:initialised`,
    changes: `${base}:changes`,
  };
}

/** The names under the default prefix. */
export const registryKeys: RegistryKeyNames = registryKeysFor(DEFAULT_KEY_PREFIX);
