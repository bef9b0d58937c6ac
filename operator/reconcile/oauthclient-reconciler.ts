// One reconcile of an OAuthClient, in the order of the design: finalizer (or, on
// deletion, unregister and release), client ID, credentials, Secret, registry record,
// then status and Events. Each step lives in its own file and reports what it found;
// this file decides what that means for the conditions and for the outcome:
// - bad input a retry cannot fix (a malformed referenced JWKS, a client ID taken): a
//   False condition with a reason and a message, Stalled, and success, so the key is not
//   retried in a loop (the Secret and OAuthClient watches requeue it when the input
//   changes); an adopted Secret not there yet is the same, but Reconciling: it is
//   expected to appear (applied beside the OAuthClient, or by a secrets operator);
// - a failed write (API server, Redis): a False condition where it can still be
//   written, Reconciling, an Event, and an error, so the key is retried with backoff.
// Everything up to the Secret is decided from the API server alone: the registry
// (Redis) is output only, so while it is down a client still gets its Secret
// (SecretReady True, RegistryReady False) and becomes Ready when Redis returns.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { errorText, type Logger } from "../../common/logger.ts";
import type { Reconciler, Request, Result } from "../controller/controller.ts";
import { effectiveClientId } from "./client-id.ts";
import { claimClientId } from "./client-id-claim.ts";
import { nextCredentialsDeadline, resolveCredentials } from "./credentials.ts";
import type { CredentialsChange, ResolvedCredentials, Revocation } from "./credentials-policy.ts";
import { credentialsSecretName } from "./credentials-secret.ts";
import { EventReason, type EventType } from "./events.ts";
import { addFinalizer, finalize } from "./finalizer.ts";
import { checkPolicy, unregisterDenied } from "./policy-check.ts";
import type { ReconcileContext } from "./reconcile-context.ts";
import { compile, type RecordWrite, writeRecord } from "./registry-record.ts";
import { writeSecret } from "./secret.ts";
import { type ConditionInput, ConditionType, StatusBuilder, writeStatus } from "./status.ts";

const CHANGE_REASON: Record<CredentialsChange, string> = {
  created: "SecretGenerated",
  regenerated: "SecretRegenerated",
  rotated: "SecretRotated",
  changed: "SecretChanged",
  kept: "SecretCurrent",
  adopted: "SecretAdopted",
};

const CHANGE_EVENT: Partial<Record<CredentialsChange, [EventType, string]>> = {
  created: ["Normal", EventReason.CredentialsCreated],
  regenerated: ["Warning", EventReason.SecretRegenerated],
  rotated: ["Normal", EventReason.SecretRotated],
  changed: ["Normal", EventReason.SecretChanged],
  adopted: ["Normal", EventReason.SecretAdopted],
};

const STAGES_AFTER: Record<string, string[]> = {
  [ConditionType.PolicyAllowed]: [
    ConditionType.ClientIdAvailable,
    ConditionType.CredentialsReady,
    ConditionType.SecretReady,
    ConditionType.RegistryReady,
  ],
  [ConditionType.ClientIdAvailable]: [
    ConditionType.CredentialsReady,
    ConditionType.SecretReady,
    ConditionType.RegistryReady,
  ],
  [ConditionType.CredentialsReady]: [ConditionType.SecretReady, ConditionType.RegistryReady],
  [ConditionType.SecretReady]: [ConditionType.RegistryReady],
  [ConditionType.RegistryReady]: [],
};

/** A stage that did not succeed: its False condition, what is skipped after it, and whether a person hears of it. */
interface Stop {
  type: string;
  reason: string;
  message: string;
  /** Why the later stages were not attempted. */
  skipped?: string;
  event?: { reason: string; note?: string };
  /** The credentials this reconcile settled, for status.secretRotatedAt. */
  credentials?: ResolvedCredentials;
  /** A failed write: the key is retried with backoff. */
  error?: unknown;
  /** Nothing changes until a person changes an input (Stalled, not Reconciling). */
  stalled?: boolean;
}

export class OAuthClientReconciler implements Reconciler {
  readonly #ctx: ReconcileContext;

  constructor(ctx: ReconcileContext) {
    this.#ctx = ctx;
  }

  async reconcile(request: Request, log: Logger): Promise<Result | undefined> {
    const ctx = this.#ctx;
    const resource = await this.#read(request);
    if (!resource) return {};
    if (resource.metadata.deletionTimestamp) {
      await finalize(ctx, resource);
      log.info("finalized");
      return {};
    }
    await addFinalizer(ctx, resource);

    const clientId = effectiveClientId(resource);
    const namespace = resource.metadata.namespace ?? "default";
    const status = new StatusBuilder(resource, ctx.now()).set({
      secretName: credentialsSecretName(resource),
      issuer: ctx.issuer,
      tokenEndpoint: ctx.tokenEndpoint,
    });

    // Tenancy first: nothing is claimed, written or registered for a client a policy refuses.
    const denials = checkPolicy(ctx, resource);
    if (denials.length > 0) {
      const message = denials.map((d) => d.message).join("; ");
      const wasDenied = status.get(ConditionType.PolicyAllowed)?.status === "False";
      let removed = false;
      try {
        removed = await unregisterDenied(ctx, resource, clientId);
      } catch (error) {
        return this.#stop(resource, status, {
          type: ConditionType.PolicyAllowed,
          reason: "PolicyDenied",
          message: `${message}; removing the registry record failed: ${errorText(error)}`,
          skipped: "Not attempted while a policy denies this client",
          error,
        });
      }
      log.info("denied by policy", { clientId, removed, policies: denials.map((d) => d.policy ?? "confinement") });
      return this.#stop(resource, status, {
        type: ConditionType.PolicyAllowed,
        reason: "PolicyDenied",
        message,
        // Retrying cannot help: a person must change the spec, a policy or the namespace's labels.
        stalled: true,
        skipped: "Not attempted while a policy denies this client",
        ...(wasDenied && !removed
          ? {}
          : {
              event: {
                reason: EventReason.PolicyDenied,
                note: removed
                  ? `${message}; client ${clientId} is removed from the registry, its tokens revoked`
                  : message,
              },
            }),
      });
    }
    status.condition({
      type: ConditionType.PolicyAllowed,
      status: "True",
      reason: "PolicyAllowed",
      message: "No OAuthClientPolicy and no subject confinement refuses this client",
    });

    const claim = await claimClientId(ctx, resource, clientId);
    if (!claim.held) {
      const other = claim.holder;
      const wasConflict = status.get(ConditionType.ClientIdAvailable)?.reason === "ClientIdConflict";
      // status.clientId stays unset: the ID is not this resource's, and the CRD lets spec.clientId
      // be added later only while status.clientId is empty.
      const message = `Client ID "${clientId}" is already used by OAuthClient ${other.namespace}/${other.name}; this one is not registered. Give it a unique spec.clientId (recreate it if it already sets one), or delete the other`;
      log.info("client ID conflict", { clientId, other: `${other.namespace}/${other.name}` });
      return this.#stop(resource, status, {
        type: ConditionType.ClientIdAvailable,
        reason: "ClientIdConflict",
        message,
        skipped: "Not attempted while the client ID is taken",
        stalled: true,
        ...(wasConflict ? {} : { event: { reason: EventReason.ClientIdConflict } }),
      });
    }
    status.set({ clientId }).condition({
      type: ConditionType.ClientIdAvailable,
      status: "True",
      reason: "ClientIdAssigned",
      message: `Client ID "${clientId}" belongs to this OAuthClient`,
    });

    const outcome = await resolveCredentials(ctx, resource);
    if (!outcome.ready) {
      log.info("credentials not available", { reason: outcome.reason });
      return this.#stop(resource, status, {
        type: ConditionType.CredentialsReady,
        reason: outcome.reason,
        message: outcome.message,
        skipped: "Not attempted until credentials are available",
        // An adopted Secret is expected to appear; anything else here is a person's to fix.
        stalled: outcome.reason !== "WaitingForSecret",
      });
    }
    const credentials = outcome.credentials;
    const previousCredentials = status.get(ConditionType.CredentialsReady);
    // "Current" says nothing new: keep reporting the last change (a regeneration, say) until the next one.
    if (credentials.change !== "kept" || previousCredentials?.status !== "True")
      status.condition({
        type: ConditionType.CredentialsReady,
        status: "True",
        reason: CHANGE_REASON[credentials.change],
        message: credentials.message,
      });

    try {
      const written = await writeSecret(ctx, resource, clientId, credentials);
      if (written !== "unchanged") log.info(`secret ${written}`, { secretName: credentials.secretName });
    } catch (error) {
      return this.#stop(resource, status, {
        type: ConditionType.SecretReady,
        reason: "SecretWriteFailed",
        message: `Could not write Secret ${namespace}/${credentials.secretName}: ${errorText(error)}`,
        skipped: "Not attempted until the Secret is written",
        error,
      });
    }
    status.condition({
      type: ConditionType.SecretReady,
      status: "True",
      reason: credentials.adopted ? "SecretAdopted" : "SecretWritten",
      message: credentials.adopted
        ? `Secret ${namespace}/${credentials.secretName} is adopted; the operator reads it and does not change it`
        : `Secret ${namespace}/${credentials.secretName} holds the client ID, secret, token endpoint and issuer`,
    });
    if (credentials.revocation) status.condition(revocationCondition(credentials.revocation));
    // An adopted Secret is reported "adopted" on every reconcile; the Event is for the first.
    // New credentials wait for the registry stage: a new client's first registration is one
    // Event (#registryEvents), and a failure there still reports them (#stop).
    const adoptedBefore = previousCredentials?.status === "True" && previousCredentials.reason === "SecretAdopted";
    const changeEvent =
      (credentials.change === "adopted" && adoptedBefore) || credentials.change === "created"
        ? undefined
        : CHANGE_EVENT[credentials.change];
    if (changeEvent) ctx.events.emit(resource, changeEvent[0], changeEvent[1], credentials.message);

    const compiled = await compile(ctx, resource, clientId, credentials);
    if (!compiled.ok) {
      log.info("cannot compile registry record", { field: compiled.field, error: compiled.message });
      return this.#stop(resource, status, {
        type: ConditionType.RegistryReady,
        reason: /SecretRef/.test(compiled.field) ? "InvalidReferencedSecret" : "InvalidSpec",
        message: `${compiled.message}; the registry keeps the last good record, if any`,
        event: { reason: EventReason.InvalidSpec, note: compiled.message },
        credentials,
        stalled: true,
      });
    }
    const wasDisabled = status.get(ConditionType.Disabled)?.status === "True";
    let write: RecordWrite;
    try {
      write = await writeRecord(ctx, compiled.record, credentials.clientSecret);
      if (write.written) log.info("registry record written", { clientId, changed: write.changed });
    } catch (error) {
      ctx.onRegistryWriteError();
      const unavailable = !ctx.registryAvailable();
      return this.#stop(resource, status, {
        type: ConditionType.RegistryReady,
        reason: unavailable ? "RegistryUnavailable" : "RegistryWriteFailed",
        message: unavailable
          ? `The registry (Redis) is unreachable: ${errorText(error)}; the Secret is written, and the client is registered when Redis is back`
          : `Could not write the registry record for ${clientId}: ${errorText(error)}`,
        event: { reason: EventReason.RegistryWriteFailed },
        credentials,
        error,
      });
    }
    status.condition({
      type: ConditionType.RegistryReady,
      status: "True",
      reason: "Registered",
      message: `The registry holds client ${clientId} as of generation ${resource.metadata.generation ?? 0}`,
    });
    await writeStatus(ctx, resource, withRotation(status, credentials).summarize().build());
    this.#registryEvents(resource, clientId, write, wasDisabled, credentials);

    const deadline = nextCredentialsDeadline(resource, credentials);
    return deadline === undefined ? {} : { requeueAfter: Math.max(1000, deadline - ctx.now() + 50) };
  }

  /**
   * The one way a reconcile ends short of Ready: the stage's False condition, the
   * later stages marked not attempted, an Event where a person should hear of it, and
   * the status written. A failed write is thrown on (retried with backoff), after a
   * status write that may itself fail; anything else ends the reconcile as success.
   */
  async #stop(resource: OAuthClient, status: StatusBuilder, stop: Stop): Promise<Result> {
    const ctx = this.#ctx;
    status.condition({ type: stop.type, status: "False", reason: stop.reason, message: stop.message });
    if (stop.skipped) status.skipped(STAGES_AFTER[stop.type] ?? [], stop.reason, stop.skipped);
    status.summarize(stop.stalled);
    // The Secret holds new credentials although the registry stage failed: say so now.
    if (stop.credentials?.change === "created")
      ctx.events.emit(resource, "Normal", EventReason.CredentialsCreated, stop.credentials.message);
    if (stop.event) ctx.events.emit(resource, "Warning", stop.event.reason, stop.event.note ?? stop.message);
    const written = writeStatus(
      ctx,
      resource,
      (stop.credentials ? withRotation(status, stop.credentials) : status).build(),
    );
    if (stop.error === undefined) {
      await written;
      return {};
    }
    await written.catch(() => {});
    throw stop.error;
  }

  /**
   * What a registry write means to a person: every write, and the day-two changes it
   * carried out (disabled, enabled, tokens revoked). Disable and enable follow the
   * Disabled condition (which survives a Redis flush); revocation compares with the
   * record the registry held, so a record rebuilt after a flush revokes nothing new.
   */
  #registryEvents(
    resource: OAuthClient,
    clientId: string,
    write: RecordWrite,
    wasDisabled: boolean,
    credentials: ResolvedCredentials,
  ): void {
    const { events } = this.#ctx;
    const generation = resource.metadata.generation ?? 0;
    const newCredentials = credentials.change === "created";
    // A new client: its credentials and its record are one story, told in one Event (an
    // Event is an API write: at 10,000 clients, one per client fewer matters).
    const registered = newCredentials && write.written && !write.previous;
    if (registered)
      events.emit(
        resource,
        "Normal",
        EventReason.Registered,
        `${credentials.message}; registry record for client ${clientId} created for generation ${generation}`,
      );
    else if (newCredentials) events.emit(resource, "Normal", EventReason.CredentialsCreated, credentials.message);
    if (write.written && !registered)
      events.emit(
        resource,
        "Normal",
        EventReason.RegistryUpdated,
        write.previous
          ? `Registry record for client ${clientId} updated for generation ${generation}: ${write.changed.join(", ") || "nothing the token server uses changed"}`
          : `Registry record for client ${clientId} created for generation ${generation}`,
      );
    const disabled = resource.spec.disabled === true;
    if (disabled && !wasDisabled)
      events.emit(
        resource,
        "Normal",
        EventReason.ClientDisabled,
        `Client ${clientId} is disabled: the token server refuses it and its tokens introspect as inactive`,
      );
    if (!disabled && wasDisabled)
      events.emit(resource, "Normal", EventReason.ClientEnabled, `Client ${clientId} is enabled again`);
    const revokedBefore = write.record.revokeTokensIssuedBefore;
    if (
      write.previous &&
      revokedBefore !== undefined &&
      revokedBefore > (write.previous.revokeTokensIssuedBefore ?? 0)
    ) {
      const at = new Date(revokedBefore * 1000).toISOString();
      const bySpec = Date.parse(resource.spec.revokeTokensIssuedBefore ?? "") === revokedBefore * 1000;
      events.emit(
        resource,
        "Normal",
        EventReason.TokensRevoked,
        `Every token of client ${clientId} issued before ${at} is revoked (${bySpec ? "spec.revokeTokensIssuedBefore" : "a rotation with credentials.rotation.revokeTokens"})`,
      );
    }
  }

  /** The resource as current as the operator's own last write to it (controllers/cached-reads.ts). */
  #read({ namespace, name }: Request): Promise<OAuthClient | undefined> {
    return this.#ctx.currentOAuthClient(namespace, name);
  }
}

/**
 * Revocation only moves forward: a spec that lowers or drops revokeTokensIssuedBefore (a
 * revert, a GitOps self-heal) is told so here, and the latest value applied stays in force.
 */
function revocationCondition(revocation: Revocation): ConditionInput {
  const applied = new Date(revocation.appliedBefore * 1000).toISOString();
  if (!revocation.ignored)
    return {
      type: ConditionType.TokenRevocation,
      status: "True",
      reason: "Applied",
      message: `Tokens issued before ${applied} are revoked`,
    };
  const asked =
    revocation.specBefore === undefined
      ? "spec.revokeTokensIssuedBefore was removed"
      : `spec.revokeTokensIssuedBefore (${new Date(revocation.specBefore * 1000).toISOString()}) is earlier than a value applied before`;
  return {
    type: ConditionType.TokenRevocation,
    status: "False",
    reason: "EarlierValueIgnored",
    message: `${asked}; it is ignored, because revocation cannot be undone: tokens issued before ${applied} stay revoked. Set a later time to revoke more`,
  };
}

function withRotation(
  status: StatusBuilder,
  credentials: { rotatedAt: number; rotationRequestHandled?: string },
): StatusBuilder {
  return status.set({
    secretRotatedAt: new Date(credentials.rotatedAt).toISOString(),
    ...(credentials.rotationRequestHandled === undefined
      ? {}
      : { rotationRequestHandled: credentials.rotationRequestHandled }),
  });
}
