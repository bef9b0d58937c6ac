// The commands that change an OAuthClient and let the operator do the rest: each is one
// merge patch of what a person would otherwise edit by hand.
import { ROTATE_ANNOTATION } from "../../api/v1alpha1/oauthclient.ts";
import { patchOAuthClient } from "../../operator/kube.ts";
import { type PluginContext, readClient } from "./context.ts";

const FIELD_MANAGER = "kubectl-tollgate";

async function patch(context: PluginContext, name: string, body: unknown): Promise<void> {
  await readClient(context, name); // a clear "not found" rather than the API's 404
  await patchOAuthClient(context.kube, context.namespace, name, body, { fieldManager: FIELD_MANAGER });
}

/** A new value of the rotate annotation: the operator regenerates the secret (the old one works for the grace period). */
export async function rotate(context: PluginContext, name: string): Promise<void> {
  const requested = new Date().toISOString();
  await patch(context, name, { metadata: { annotations: { [ROTATE_ANNOTATION]: requested } } });
  context.print(`oauthclient/${name} secret rotation requested (${ROTATE_ANNOTATION}=${requested})`);
}

/**
 * spec.revokeTokensIssuedBefore moved to now: every token issued so far is dead. Tokens
 * carry whole seconds, so "now" is rounded up: one issued earlier this second is dead too.
 */
export async function revoke(context: PluginContext, name: string): Promise<void> {
  const before = new Date(Math.ceil(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");
  await patch(context, name, { spec: { revokeTokensIssuedBefore: before } });
  context.print(`oauthclient/${name} tokens issued before ${before} revoked`);
}

export async function disable(context: PluginContext, name: string): Promise<void> {
  await patch(context, name, { spec: { disabled: true } });
  context.print(`oauthclient/${name} disabled`);
}

export async function enable(context: PluginContext, name: string): Promise<void> {
  await patch(context, name, { spec: { disabled: false } });
  context.print(`oauthclient/${name} enabled`);
}
