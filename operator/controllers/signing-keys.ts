// The token server's signing keys: a rotating key Secret (rotating-key-secret.ts) in the
// format registry/signing-key-format.ts defines, rotated every --signing-key-rotation, so
// the key that becomes current has been published as "next" for a whole period and
// every verifier's JWKS cache already holds it.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../../common/logger.ts";
import {
  generateSigningKey,
  isSigningAlgorithm,
  parseSigningKey,
  type SigningJwk,
  serializeSigningKey,
} from "../../registry/signing-key-format.ts";
import type { OperatorConfig } from "../config.ts";
import type { KubeClients } from "../kube.ts";
import { rotatingKeySecretController } from "./rotating-key-secret.ts";

export const SIGNING_KEYS_ROTATED_AT = "tollgate.dev/signing-keys-rotated-at";
export const SIGNING_KEYS_CONTROLLER = "signing-keys";

type SigningKeysConfig = Pick<
  OperatorConfig,
  "signingKeysSecret" | "signingKeysNamespace" | "signingKeyAlgorithm" | "signingKeyRotationMs" | "watchStallTimeoutMs"
>;

/** The signing-key controller: its one Secret as source and key, ready for the manager. */
export function signingKeysController(
  kubeConfig: KubeConfig,
  kube: KubeClients,
  config: SigningKeysConfig,
  log: Logger,
) {
  const alg = config.signingKeyAlgorithm;
  if (!isSigningAlgorithm(alg)) throw new Error(`--signing-key-algorithm: "${alg}" is not supported`);
  return rotatingKeySecretController<SigningJwk>(
    SIGNING_KEYS_CONTROLLER,
    kubeConfig,
    kube,
    {
      namespace: config.signingKeysNamespace,
      name: config.signingKeysSecret,
      rotationMs: config.signingKeyRotationMs,
      watchStallTimeoutMs: config.watchStallTimeoutMs,
      format: {
        what: "signing keys",
        rotatedAtAnnotation: SIGNING_KEYS_ROTATED_AT,
        generate: () => generateSigningKey(alg),
        parse: parseSigningKey,
        serialize: serializeSigningKey,
      },
    },
    log,
  );
}
