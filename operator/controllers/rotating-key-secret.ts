// A Secret of keys the operator owns and rotates: current.jwk, next.jwk and (after the
// first rotation) previous.jwk (registry/signing-key-format.ts KEY_FILES). Created when
// missing; rotated every `rotationMs` (previous <- current <- next <- a new key), so the
// key that becomes current has been published as "next" for a whole period and every
// reader already holds it, and the one it replaces is still accepted for another. The
// time of the last rotation is an annotation on the Secret, so restarts and leader
// changes keep the schedule. A reconciler on the operator's runtime (manager.ts): its
// one key is the Secret, woken by a watch on that Secret (an edit or a deletion is
// repaired at once) and by requeueAfter when the next rotation is due; failures back
// off and are counted like any reconcile's. Runs only on the leader. The signing keys
// (signing-keys.ts) and the registry record keys (registry-keys.ts) are two formats of it.
import type { KubeConfig, V1Secret } from "@kubernetes/client-node";
import { errorText, type Logger } from "../../common/logger.ts";
import { KEY_FILES, type KeySlot } from "../../registry/signing-key-format.ts";
import type { Reconciler, Request, Result } from "../controller/controller.ts";
import { Informer, type ListWatchSource } from "../controller/informer.ts";
import { InformerGroup } from "../controller/informer-group.ts";
import { isConflict, type KubeClients, objectKey, readSecret } from "../kube.ts";
import type { ControllerSpec } from "../manager.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../reconcile/secret.ts";

/** Looks again at least this often, so a missed event costs at most this long. */
const MAX_SLEEP_MS = 10 * 60_000;

/** What differs between the kinds of keys. */
export interface KeyFormat<K extends { kid: string }> {
  /** For log lines: "signing keys", "registry record keys". */
  what: string;
  /** The annotation holding the time of the last rotation. */
  rotatedAtAnnotation: string;
  generate(): Promise<K>;
  parse(text: string, where: string): K;
  serialize(key: K): string;
}

export interface KeySet<K> {
  current: K;
  next: K;
  previous?: K;
}

export interface RotatingKeySecretOptions<K extends { kid: string }> {
  namespace: string;
  name: string;
  rotationMs: number;
  format: KeyFormat<K>;
  /** Hears the keys in force after each reconcile (the operator's own record-key ring). */
  onKeys?(keys: KeySet<K>): void;
}

export class RotatingKeySecretReconciler<K extends { kid: string }> implements Reconciler {
  readonly #kube: KubeClients;
  readonly #options: RotatingKeySecretOptions<K>;
  /** The one key this reconciler has. */
  readonly request: Request;

  constructor(kube: KubeClients, options: RotatingKeySecretOptions<K>) {
    this.#kube = kube;
    this.#options = options;
    this.request = { namespace: options.namespace, name: options.name };
  }

  async reconcile(_request: Request, log: Logger): Promise<Result> {
    return { requeueAfter: await this.#ensureKeys(log) };
  }

  /** Returns milliseconds until the next rotation is due (0: look again now). */
  async #ensureKeys(log: Logger): Promise<number> {
    const { namespace, name, rotationMs, format, onKeys } = this.#options;
    const secret = await readSecret(this.#kube, namespace, name);
    const now = Date.now();
    const file = (slot: KeySlot): K | undefined => {
      const raw = secret?.data?.[KEY_FILES[slot]];
      if (!raw) return undefined;
      try {
        return format.parse(Buffer.from(raw, "base64").toString("utf8"), `${namespace}/${name}:${KEY_FILES[slot]}`);
      } catch (error) {
        log.warn(`unusable key among the ${format.what}; replacing it`, { error: errorText(error) });
        return undefined;
      }
    };
    const current = file("current");
    const next = file("next");
    const rotatedAt = Date.parse(secret?.metadata?.annotations?.[format.rotatedAtAnnotation] ?? "");
    const due = Number.isNaN(rotatedAt) ? now : rotatedAt + rotationMs;
    if (secret && current && next && now < due) {
      const previous = file("previous");
      onKeys?.({ current, next, ...(previous ? { previous } : {}) });
      return Math.min(MAX_SLEEP_MS, due - now);
    }

    const rotate = Boolean(secret && current && next);
    const previous = rotate ? current : file("previous");
    const keys: KeySet<K> = {
      current: (rotate ? next : current) ?? (await format.generate()),
      next: (rotate ? undefined : next) ?? (await format.generate()),
      ...(previous ? { previous } : {}),
    };
    const data: Record<string, string> = {};
    for (const [slot, key] of Object.entries(keys) as [KeySlot, K][])
      data[KEY_FILES[slot]] = Buffer.from(format.serialize(key)).toString("base64");
    const body: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: {
        name,
        namespace,
        labels: { ...secret?.metadata?.labels, [MANAGED_BY_LABEL]: MANAGED_BY },
        annotations: { ...secret?.metadata?.annotations, [format.rotatedAtAnnotation]: new Date(now).toISOString() },
        ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      data,
    };
    try {
      if (secret) await this.#kube.core.replaceNamespacedSecret({ namespace, name, body });
      else await this.#kube.core.createNamespacedSecret({ namespace, body });
    } catch (error) {
      if (isConflict(error)) return 0;
      throw error;
    }
    onKeys?.(keys);
    log.info(`${format.what} ${rotate ? "rotated" : "created"}`, {
      secret: `${namespace}/${name}`,
      current: keys.current.kid,
      next: keys.next.kid,
    });
    return Math.min(MAX_SLEEP_MS, rotationMs);
  }
}

/** The watch of one Secret alone: its namespace, narrowed to its name. */
function oneSecretSource(kube: KubeClients, namespace: string, name: string): ListWatchSource<V1Secret> {
  const fieldSelector = `metadata.name=${name}`;
  return {
    watchPath: `/api/v1/namespaces/${namespace}/secrets`,
    fieldSelector,
    list: async ({ limit, continueToken }) =>
      await kube.core.listNamespacedSecret({ namespace, fieldSelector, limit, _continue: continueToken }),
  };
}

/** The controller of one key Secret: the Secret as source and key, ready for the manager. */
export function rotatingKeySecretController<K extends { kid: string }>(
  controllerName: string,
  kubeConfig: KubeConfig,
  kube: KubeClients,
  options: RotatingKeySecretOptions<K> & { watchStallTimeoutMs: number },
  log: Logger,
): { spec: ControllerSpec; source: InformerGroup<V1Secret>; reconciler: RotatingKeySecretReconciler<K> } {
  const reconciler = new RotatingKeySecretReconciler(kube, options);
  const { namespace, name } = options;
  const key = objectKey(namespace, name);
  const informer = new Informer(
    `${controllerName}/${namespace}`,
    kubeConfig,
    oneSecretSource(kube, namespace, name),
    log,
    { stallTimeoutMs: options.watchStallTimeoutMs },
  );
  const source = new InformerGroup<V1Secret>(new Map([[namespace, informer]]));
  return {
    source,
    reconciler,
    spec: {
      name: controllerName,
      reconciler,
      concurrency: 1,
      keys: () => [key],
      watch(enqueue) {
        source.onEvent((_type, secret) => {
          if (secret.metadata?.name === name) enqueue(key);
        });
      },
    },
  };
}
