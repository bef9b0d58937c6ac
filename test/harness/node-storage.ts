// Storage for the test node: a default StorageClass and a tiny provisioner loop in the
// harness process. A claim of that class gets a hostPath PersistentVolume of its own
// under the node's directory (mode 0777: restricted pods run as non-root and hostPath
// volumes ignore fsGroup); a Released volume is deleted with its directory. No PV pool
// to run out of when a chart is installed and uninstalled again and again.
import { mkdirSync, rmSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { api } from "./kube-api.ts";

export const STORAGE_CLASS = "tollgate-hostpath";
export const PROVISIONER = "tollgate.test/hostpath";
const LABEL = "tollgate.test/provisioner";

export const storageClassManifest = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${STORAGE_CLASS}
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: ${PROVISIONER}
reclaimPolicy: Delete
volumeBindingMode: Immediate
`;

interface Claim {
  metadata: { name: string; namespace: string; uid: string };
  spec: {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string };
}

interface Volume {
  metadata: { name: string };
  spec: { hostPath?: { path: string } };
  status?: { phase?: string };
}

export interface Provisioner {
  stop(): Promise<void>;
}

export function startProvisioner(kubeConfig: KubeConfig, volumeDir: string): Provisioner {
  mkdirSync(volumeDir, { recursive: true });
  let stopped = false;
  let wake = () => {};
  const pass = async () => {
    const claims = await api<{ items: Claim[] }>(kubeConfig, "GET", "/api/v1/persistentvolumeclaims");
    for (const claim of claims.body.items ?? []) {
      if (claim.spec.storageClassName !== STORAGE_CLASS || claim.spec.volumeName || claim.status?.phase !== "Pending")
        continue;
      const name = `pvc-${claim.metadata.uid}`;
      const path = join(volumeDir, name);
      mkdirSync(path, { recursive: true });
      await chmod(path, 0o777);
      const created = await api(kubeConfig, "POST", "/api/v1/persistentvolumes", {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: {
          name,
          labels: { [LABEL]: "hostpath" },
          annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER },
        },
        spec: {
          capacity: { storage: claim.spec.resources?.requests?.storage ?? "1Gi" },
          accessModes: claim.spec.accessModes ?? ["ReadWriteOnce"],
          volumeMode: claim.spec.volumeMode ?? "Filesystem",
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: STORAGE_CLASS,
          claimRef: {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            namespace: claim.metadata.namespace,
            name: claim.metadata.name,
            uid: claim.metadata.uid,
          },
          hostPath: { path, type: "Directory" },
        },
      });
      if (created.status !== 201 && created.status !== 409)
        throw new Error(`creating ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    const volumes = await api<{ items: Volume[] }>(kubeConfig, "GET", "/api/v1/persistentvolumes", undefined, {
      query: { labelSelector: LABEL },
    });
    for (const volume of volumes.body.items ?? []) {
      if (volume.status?.phase !== "Released" && volume.status?.phase !== "Failed") continue;
      const deleted = await api(kubeConfig, "DELETE", `/api/v1/persistentvolumes/${volume.metadata.name}`);
      if (deleted.status === 200 || deleted.status === 404) {
        const path = volume.spec.hostPath?.path;
        if (path?.startsWith(`${volumeDir}/`)) rmSync(path, { recursive: true, force: true });
      }
    }
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        await pass();
      } catch (error) {
        if (!stopped) console.error(`[node] provisioner: ${String(error)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        timer.unref();
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
    },
  };
}
