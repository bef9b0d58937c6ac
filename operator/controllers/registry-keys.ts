// The registry record keys: a rotating key Secret (rotating-key-secret.ts) in the format
// registry/record-keys.ts defines. The operator MACs every record it writes with the
// current key; token servers mount the Secret and refuse any record that does not
// verify. Rotated every --registry-key-rotation: the key that becomes current has been
// accepted as "next" by every token server for a whole period, and records still under
// the previous key keep verifying while the OAuthClient controller rewrites them
// (registry-record.ts rewrites a record whose key is not current). Each reconcile
// installs the Secret's keys into the operator's RecordKeyRing, which the registry
// writer seals with.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../../common/logger.ts";
import {
  generateRecordKey,
  parseRecordKey,
  type RecordJwk,
  type RecordKeyRing,
  serializeRecordKey,
} from "../../registry/record-keys.ts";
import type { OperatorConfig } from "../config.ts";
import type { KubeClients } from "../kube.ts";
import { rotatingKeySecretController } from "./rotating-key-secret.ts";

export const REGISTRY_KEYS_ROTATED_AT = "tollgate.dev/registry-keys-rotated-at";
export const REGISTRY_KEYS_CONTROLLER = "registry-keys";

type RegistryKeysConfig = Pick<
  OperatorConfig,
  "registryKeysSecret" | "signingKeysNamespace" | "registryKeyRotationMs" | "watchStallTimeoutMs"
>;

/** The registry-key controller: its one Secret as source and key, ready for the manager. */
export function registryKeysController(
  kubeConfig: KubeConfig,
  kube: KubeClients,
  config: RegistryKeysConfig,
  ring: RecordKeyRing,
  log: Logger,
) {
  return rotatingKeySecretController<RecordJwk>(
    REGISTRY_KEYS_CONTROLLER,
    kubeConfig,
    kube,
    {
      namespace: config.signingKeysNamespace,
      name: config.registryKeysSecret,
      rotationMs: config.registryKeyRotationMs,
      watchStallTimeoutMs: config.watchStallTimeoutMs,
      format: {
        what: "registry record keys",
        rotatedAtAnnotation: REGISTRY_KEYS_ROTATED_AT,
        generate: generateRecordKey,
        parse: parseRecordKey,
        serialize: serializeRecordKey,
      },
      onKeys: (keys) => ring.install(keys),
    },
    log,
  );
}
