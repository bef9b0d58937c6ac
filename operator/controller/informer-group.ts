// One informer per watched namespace (or one for all namespaces), read as one cache.
// Watching a list of namespaces takes a watch each; RBAC can then be namespaced.
import type { Informer, InformerHandler, KubeObject } from "./informer.ts";

export class InformerGroup<T extends KubeObject> {
  readonly #byNamespace = new Map<string, Informer<T>>();
  readonly #all: Informer<T> | undefined;

  /** `informers` maps a namespace to its informer; the key "" means all namespaces. */
  constructor(informers: Map<string, Informer<T>>) {
    this.#all = informers.get("");
    for (const [ns, informer] of informers) if (ns) this.#byNamespace.set(ns, informer);
  }

  get members(): Informer<T>[] {
    return this.#all ? [this.#all] : [...this.#byNamespace.values()];
  }

  onEvent(handler: InformerHandler<T>): void {
    for (const informer of this.members) informer.onEvent(handler);
  }

  get(namespace: string, name: string): T | undefined {
    return (this.#all ?? this.#byNamespace.get(namespace))?.get(namespace, name);
  }

  keys(): string[] {
    return this.members.flatMap((i) => i.keys());
  }

  list(): T[] {
    return this.members.flatMap((i) => i.list());
  }

  byIndex(name: string, value: string): string[] {
    return this.members.flatMap((i) => i.byIndex(name, value));
  }

  start(): void {
    for (const informer of this.members) informer.start();
  }

  hasSynced(): boolean {
    return this.members.every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.members.map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((i) => i.stop()));
  }
}
