// Reading OAuthClients the way a person checks them: how many are Ready for the
// generation they were last changed to (a Ready from before an edit does not count).
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../../api/v1alpha1/oauthclient.ts";

export async function countReadyClients(custom: CustomObjectsApi, namespace: string): Promise<number> {
  let count = 0;
  let continueToken: string | undefined;
  do {
    const page = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      limit: 500,
      _continue: continueToken,
    })) as { items: OAuthClient[]; metadata?: { continue?: string } };
    for (const item of page.items) {
      const ready = item.status?.conditions?.find((c) => c.type === "Ready");
      if (ready?.status === "True" && item.status?.observedGeneration === item.metadata.generation) count += 1;
    }
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return count;
}
