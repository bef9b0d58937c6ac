// The token server's signing keys: a Secret with current.jwk, next.jwk and (after the
// first rotation) previous.jwk, in the format registry/signing-key-format.ts defines.
// Created when missing; rotated every --signing-key-rotation (previous <- current <-
// next <- a new key), so the key that becomes current has been published as "next"
// for a whole period and every verifier's JWKS cache already holds it. The time of the
// last rotation is an annotation on the Secret, so restarts and leader changes keep
// the schedule. A reconciler on the operator's runtime (manager.ts): its one key is the
// Secret, woken by a watch on that Secret (an edit or a deletion is repaired at once)
// and by requeueAfter when the next rotation is due; failures back off and are counted
// like any reconcile's. Runs only on the leader.

import type { KubeConfig, V1Secret } from "@kubernetes/client-node";
import { errorText, type Logger } from "../../common/logger.ts";
import {
  generateSigningKey,
  isSigningAlgorithm,
  KEY_FILES,
  parseSigningKey,
  type SigningAlgorithm,
  serializeSigningKey,
} from "../../registry/signing-key-format.ts";
import type { OperatorConfig } from "../config.ts";
import type { Reconciler, Request, Result } from "../controller/controller.ts";
import { Informer, type ListWatchSource } from "../controller/informer.ts";
import { InformerGroup } from "../controller/informer-group.ts";
import { isConflict, type KubeClients, objectKey, readSecret } from "../kube.ts";
import type { ControllerSpec } from "../manager.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../reconcile/secret.ts";

export const SIGNING_KEYS_ROTATED_AT = "tollgate.dev/signing-keys-rotated-at";
export const SIGNING_KEYS_CONTROLLER = "signing-keys";
/** Looks again at least this often, so a missed event costs at most this long. */
const MAX_SLEEP_MS = 10 * 60_000;

export type SigningKeysConfig = Pick<
  OperatorConfig,
  "signingKeysSecret" | "signingKeysNamespace" | "signingKeyAlgorithm" | "signingKeyRotationMs"
>;

export class SigningKeysReconciler implements Reconciler {
  readonly #config: SigningKeysConfig;
  readonly #target: { kube: KubeClients; alg: SigningAlgorithm; namespace: string; name: string };

  constructor(kube: KubeClients, config: SigningKeysConfig) {
    if (!isSigningAlgorithm(config.signingKeyAlgorithm))
      throw new Error(`--signing-key-algorithm: "${config.signingKeyAlgorithm}" is not supported`);
    this.#config = config;
    this.#target = {
      kube,
      alg: config.signingKeyAlgorithm,
      namespace: config.signingKeysNamespace,
      name: config.signingKeysSecret,
    };
  }

  /** The one key this reconciler has. */
  get request(): Request {
    return { namespace: this.#target.namespace, name: this.#target.name };
  }

  async reconcile(_request: Request, log: Logger): Promise<Result> {
    return { requeueAfter: await this.#ensureKeys(log) };
  }

  /** Returns milliseconds until the next rotation is due. */
  async #ensureKeys(log: Logger): Promise<number> {
    const { kube, alg, namespace, name } = this.#target;
    const config = this.#config;
    const secret = await readSecret(kube, namespace, name);
    const now = Date.now();
    const file = (slot: keyof typeof KEY_FILES) => {
      const raw = secret?.data?.[KEY_FILES[slot]];
      if (!raw) return undefined;
      try {
        return parseSigningKey(Buffer.from(raw, "base64").toString("utf8"), `${namespace}/${name}:${KEY_FILES[slot]}`);
      } catch (error) {
        log.warn("unusable signing key; replacing it", { error: errorText(error) });
        return undefined;
      }
    };
    const current = file("current");
    const next = file("next");
    const rotatedAt = Date.parse(secret?.metadata?.annotations?.[SIGNING_KEYS_ROTATED_AT] ?? "");
    const due = Number.isNaN(rotatedAt) ? now : rotatedAt + config.signingKeyRotationMs;
    if (secret && current && next && now < due) return Math.min(MAX_SLEEP_MS, due - now);

    const rotate = Boolean(secret && current && next);
    const previous = rotate ? current : file("previous");
    const keys = {
      current: (rotate ? next : current) ?? (await generateSigningKey(alg)),
      next: (rotate ? undefined : next) ?? (await generateSigningKey(alg)),
      ...(previous ? { previous } : {}),
    };
    const data: Record<string, string> = {};
    for (const [slot, jwk] of Object.entries(keys))
      if (jwk)
        data[KEY_FILES[slot as keyof typeof KEY_FILES]] = Buffer.from(serializeSigningKey(jwk)).toString("base64");
    const body: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: {
        name,
        namespace,
        labels: { ...secret?.metadata?.labels, [MANAGED_BY_LABEL]: MANAGED_BY },
        annotations: { ...secret?.metadata?.annotations, [SIGNING_KEYS_ROTATED_AT]: new Date(now).toISOString() },
        ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      data,
    };
    try {
      if (secret) await kube.core.replaceNamespacedSecret({ namespace, name, body });
      else await kube.core.createNamespacedSecret({ namespace, body });
    } catch (error) {
      if (isConflict(error)) return 0;
      throw error;
    }
    log.info(rotate ? "signing keys rotated" : "signing keys created", {
      secret: `${namespace}/${name}`,
      current: keys.current.kid,
      next: keys.next.kid,
    });
    return Math.min(MAX_SLEEP_MS, config.signingKeyRotationMs);
  }
}

/** The watch of the signing-key Secret alone: its namespace, narrowed to its name. */
export function signingKeysSource(kube: KubeClients, namespace: string, name: string): ListWatchSource<V1Secret> {
  const fieldSelector = `metadata.name=${name}`;
  return {
    watchPath: `/api/v1/namespaces/${namespace}/secrets`,
    fieldSelector,
    list: async ({ limit, continueToken }) =>
      await kube.core.listNamespacedSecret({ namespace, fieldSelector, limit, _continue: continueToken }),
  };
}

/** The signing-key controller: its one Secret as source and key, ready for the manager. */
export function signingKeysController(
  kubeConfig: KubeConfig,
  kube: KubeClients,
  config: SigningKeysConfig & Pick<OperatorConfig, "watchStallTimeoutMs">,
  log: Logger,
): { spec: ControllerSpec; source: InformerGroup<V1Secret> } {
  const reconciler = new SigningKeysReconciler(kube, config);
  const { namespace, name } = reconciler.request;
  const key = objectKey(namespace, name);
  const source = new InformerGroup<V1Secret>(
    new Map([
      [
        namespace,
        new Informer(`signing-keys/${namespace}`, kubeConfig, signingKeysSource(kube, namespace, name), log, {
          stallTimeoutMs: config.watchStallTimeoutMs,
        }),
      ],
    ]),
  );
  return {
    source,
    spec: {
      name: SIGNING_KEYS_CONTROLLER,
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
