// The registry in process memory: the embedded default (standalone mode, no Redis),
// with the same contract as RedisRegistry so the token server cannot tell them apart.
// Its records are not MAC'd: they never leave the process that compiled them, so no one
// else can write one (the record keys guard what crosses Redis, record-seal.ts).
import type { ClientRecord, Registry, RegistryChange, RegistrySnapshot } from "./record.ts";

export class MemoryRegistry implements Registry {
  readonly #clients = new Map<string, ClientRecord>();
  readonly #tombstones = new Map<string, number>();
  readonly #listeners = new Set<(change: RegistryChange) => void>();
  #revision = 0;

  async put(record: ClientRecord): Promise<void> {
    this.#clients.set(record.clientId, structuredClone(record));
    this.#notify("put", record.clientId);
  }

  async delete(clientId: string, deletedAtSeconds: number): Promise<void> {
    this.#clients.delete(clientId);
    this.#tombstones.set(clientId, deletedAtSeconds);
    this.#notify("delete", clientId);
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const record = this.#clients.get(clientId);
    return record && structuredClone(record);
  }

  /** Built whole in process (standalone mode): always initialised. */
  async initialised(): Promise<boolean> {
    return true;
  }

  async markInitialised(): Promise<void> {
    this.#notify("initialised", "");
  }

  async read(clientId: string): Promise<{ record: ClientRecord; currentKey: boolean } | undefined> {
    const record = await this.get(clientId);
    return record && { record, currentKey: true };
  }

  async revision(): Promise<number> {
    return this.#revision;
  }

  async snapshot(): Promise<RegistrySnapshot> {
    return {
      revision: this.#revision,
      initialised: true,
      clients: new Map([...this.#clients].map(([id, r]) => [id, structuredClone(r)])),
      tombstones: new Map(this.#tombstones),
    };
  }

  async subscribe(onChange: (change: RegistryChange) => void): Promise<() => Promise<void>> {
    this.#listeners.add(onChange);
    return async () => {
      this.#listeners.delete(onChange);
    };
  }

  #notify(op: RegistryChange["op"], clientId: string): void {
    this.#revision += 1;
    const change = { op, clientId, revision: this.#revision };
    for (const listener of this.#listeners) queueMicrotask(() => listener(change));
  }
}
