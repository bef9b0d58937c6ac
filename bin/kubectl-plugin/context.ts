// What every command of the plugin works with: API clients for the kubeconfig's cluster,
// the namespace (-n, else the context's, else "default") and the OAuthClient it names.
import { KubeConfig } from "@kubernetes/client-node";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { type KubeClients, makeClients, readOAuthClient } from "../../operator/kube.ts";

/** A failure the user can act on: printed as is, exit status 1, no stack. */
export class PluginError extends Error {}

export interface PluginFlags {
  namespace?: string;
  kubeconfig?: string;
  "token-url"?: string;
  scope?: string;
  output?: string;
}

export interface PluginContext {
  kube: KubeClients;
  namespace: string;
  flags: PluginFlags;
  print(line: string): void;
}

export function loadContext(flags: PluginFlags, print: (line: string) => void): PluginContext {
  const kubeConfig = new KubeConfig();
  if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
  else kubeConfig.loadFromDefault();
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return { kube: makeClients(kubeConfig), namespace: flags.namespace ?? contextNamespace ?? "default", flags, print };
}

export async function readClient(context: PluginContext, name: string): Promise<OAuthClient> {
  const client = await readOAuthClient(context.kube, context.namespace, name);
  if (!client) throw new PluginError(`oauthclient "${name}" not found in namespace "${context.namespace}"`);
  return client;
}
