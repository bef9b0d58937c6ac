// The token server's signing keys: a Secret with current.jwk, next.jwk and (after the
// first rotation) previous.jwk, in the format token-server/signing-keys.ts defines.
// Created when missing; rotated every --signing-key-rotation (previous <- current <-
// next <- a new key), so the key that becomes current has been published as "next"
// for a whole period and every verifier's JWKS cache already holds it. The time of the
// last rotation is an annotation on the Secret, so restarts and leader changes keep
// the schedule. Runs only on the leader.

import type { V1Secret } from "@kubernetes/client-node";
import { errorText, type Logger } from "../common/logger.ts";
import {
  generateSigningKey,
  isSigningAlgorithm,
  KEY_FILES,
  parseSigningKey,
  type SigningAlgorithm,
  serializeSigningKey,
} from "../token-server/signing-keys.ts";
import type { OperatorConfig } from "./config.ts";
import { timerDelay } from "./controller/timer-limit.ts";
import { isConflict, type KubeClients, readSecret } from "./kube.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "./reconcile/secret.ts";

export const SIGNING_KEYS_ROTATED_AT = "tollgate.dev/signing-keys-rotated-at";
const RETRY_MS = 10_000;
const MAX_SLEEP_MS = 10 * 60_000;

export interface SigningKeyManager {
  start(): void;
  stop(): Promise<void>;
}

export function startSigningKeyManager(
  kube: KubeClients,
  config: Pick<
    OperatorConfig,
    "signingKeysSecret" | "signingKeysNamespace" | "signingKeyAlgorithm" | "signingKeyRotationMs"
  >,
  log: Logger,
): SigningKeyManager {
  if (!isSigningAlgorithm(config.signingKeyAlgorithm))
    throw new Error(`--signing-key-algorithm: "${config.signingKeyAlgorithm}" is not supported`);
  const alg: SigningAlgorithm = config.signingKeyAlgorithm;
  const namespace = config.signingKeysNamespace;
  const name = config.signingKeysSecret;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let active = false;

  const schedule = (ms: number) => {
    if (!active) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
      });
    }, timerDelay(ms));
    timer.unref();
  };

  const tick = async () => {
    try {
      schedule(await ensureKeys());
    } catch (error) {
      log.warn("signing keys not reconciled; retrying", { secret: `${namespace}/${name}`, error: errorText(error) });
      schedule(RETRY_MS);
    }
  };

  /** Returns milliseconds until the next rotation is due. */
  const ensureKeys = async (): Promise<number> => {
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
  };

  return {
    start() {
      if (active) return;
      active = true;
      schedule(0);
    },
    async stop() {
      active = false;
      clearTimeout(timer);
      await running;
    },
  };
}
