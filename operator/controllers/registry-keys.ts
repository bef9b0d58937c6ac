// The registry record keys: a Secret with current.jwk, next.jwk and (after the first
// rotation) previous.jwk, in the format registry/record-keys.ts defines. The operator
// MACs every record it writes with the current key; token servers mount the Secret and
// refuse any record that does not verify. Created when missing and rotated every
// --registry-key-rotation the way the signing keys are (signing-keys.ts): the key that
// becomes current has been accepted as "next" by every token server for a whole
// period, and records still under the previous key keep verifying while the
// OAuthClient controller rewrites them (registry-record.ts rewrites a record whose key
// is not current). Runs on the leader; each reconcile installs the Secret's keys into
// the operator's RecordKeyRing, which the registry writer seals with.

import type { KubeConfig, V1Secret } from "@kubernetes/client-node";
import { errorText, type Logger } from "../../common/logger.ts";
import {
  generateRecordKey,
  parseRecordKey,
  RECORD_KEY_FILES,
  type RecordJwk,
  type RecordKeyRing,
  serializeRecordKey,
} from "../../registry/record-keys.ts";
import type { OperatorConfig } from "../config.ts";
import type { Reconciler, Request, Result } from "../controller/controller.ts";
import { Informer } from "../controller/informer.ts";
import { InformerGroup } from "../controller/informer-group.ts";
import { isConflict, type KubeClients, objectKey, readSecret } from "../kube.ts";
import type { ControllerSpec } from "../manager.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../reconcile/secret.ts";
import { signingKeysSource } from "./signing-keys.ts";

export const REGISTRY_KEYS_ROTATED_AT = "tollgate.dev/registry-keys-rotated-at";
export const REGISTRY_KEYS_CONTROLLER = "registry-keys";
const MAX_SLEEP_MS = 10 * 60_000;

export type RegistryKeysConfig = Pick<
  OperatorConfig,
  "registryKeysSecret" | "signingKeysNamespace" | "registryKeyRotationMs"
>;

export class RegistryKeysReconciler implements Reconciler {
  readonly #kube: KubeClients;
  readonly #ring: RecordKeyRing;
  readonly #rotationMs: number;
  readonly request: Request;

  constructor(kube: KubeClients, config: RegistryKeysConfig, ring: RecordKeyRing) {
    this.#kube = kube;
    this.#ring = ring;
    this.#rotationMs = config.registryKeyRotationMs;
    this.request = { namespace: config.signingKeysNamespace, name: config.registryKeysSecret };
  }

  async reconcile(_request: Request, log: Logger): Promise<Result> {
    return { requeueAfter: await this.#ensureKeys(log) };
  }

  /** Returns milliseconds until the next rotation is due (0: look again now). */
  async #ensureKeys(log: Logger): Promise<number> {
    const { namespace, name } = this.request;
    const secret = await readSecret(this.#kube, namespace, name);
    const now = Date.now();
    const file = (slot: keyof typeof RECORD_KEY_FILES): RecordJwk | undefined => {
      const raw = secret?.data?.[RECORD_KEY_FILES[slot]];
      if (!raw) return undefined;
      try {
        return parseRecordKey(Buffer.from(raw, "base64").toString("utf8"), `${namespace}/${name}:${slot}`);
      } catch (error) {
        log.warn("unusable registry record key; replacing it", { error: errorText(error) });
        return undefined;
      }
    };
    const current = file("current");
    const next = file("next");
    const rotatedAt = Date.parse(secret?.metadata?.annotations?.[REGISTRY_KEYS_ROTATED_AT] ?? "");
    const due = Number.isNaN(rotatedAt) ? now : rotatedAt + this.#rotationMs;
    if (secret && current && next && now < due) {
      const previous = file("previous");
      this.#ring.install({ current, next, ...(previous ? { previous } : {}) });
      return Math.min(MAX_SLEEP_MS, due - now);
    }

    const rotate = Boolean(secret && current && next);
    const previous = rotate ? current : file("previous");
    const keys = {
      current: (rotate ? next : current) ?? (await generateRecordKey()),
      next: (rotate ? undefined : next) ?? (await generateRecordKey()),
      ...(previous ? { previous } : {}),
    };
    const data: Record<string, string> = {};
    for (const [slot, jwk] of Object.entries(keys))
      data[RECORD_KEY_FILES[slot as keyof typeof RECORD_KEY_FILES]] = Buffer.from(serializeRecordKey(jwk)).toString(
        "base64",
      );
    const body: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: {
        name,
        namespace,
        labels: { ...secret?.metadata?.labels, [MANAGED_BY_LABEL]: MANAGED_BY },
        annotations: { ...secret?.metadata?.annotations, [REGISTRY_KEYS_ROTATED_AT]: new Date(now).toISOString() },
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
    this.#ring.install(keys);
    log.info(rotate ? "registry record keys rotated" : "registry record keys created", {
      secret: `${namespace}/${name}`,
      current: keys.current.kid,
      next: keys.next.kid,
    });
    return Math.min(MAX_SLEEP_MS, this.#rotationMs);
  }
}

/** The registry-key controller: its one Secret as source and key, ready for the manager. */
export function registryKeysController(
  kubeConfig: KubeConfig,
  kube: KubeClients,
  config: RegistryKeysConfig & Pick<OperatorConfig, "watchStallTimeoutMs">,
  ring: RecordKeyRing,
  log: Logger,
): { spec: ControllerSpec; source: InformerGroup<V1Secret>; reconciler: RegistryKeysReconciler } {
  const reconciler = new RegistryKeysReconciler(kube, config, ring);
  const { namespace, name } = reconciler.request;
  const key = objectKey(namespace, name);
  const source = new InformerGroup<V1Secret>(
    new Map([
      [
        namespace,
        new Informer(`registry-keys/${namespace}`, kubeConfig, signingKeysSource(kube, namespace, name), log, {
          stallTimeoutMs: config.watchStallTimeoutMs,
        }),
      ],
    ]),
  );
  return {
    source,
    reconciler,
    spec: {
      name: REGISTRY_KEYS_CONTROLLER,
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
