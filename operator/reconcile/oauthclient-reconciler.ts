// One reconcile of an OAuthClient, in the order of the design: finalizer (or, on
// deletion, unregister and release), client ID, credentials, Secret, registry record,
// then status and Events. Each step lives in its own file and reports what it found;
// this file decides what that means for the conditions and for the outcome:
// - bad input a retry cannot fix (a Secret to wait for, a malformed referenced JWKS, a
//   client ID taken): a False condition with a reason and a message, and success, so
//   the key is not retried in a loop (the Secret and OAuthClient watches requeue it
//   when the input changes);
// - a failed write (API server, Redis): a False condition where it can still be
//   written, an Event, and an error, so the key is retried with backoff.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { errorText, type Logger } from "../../common/logger.ts";
import type { Reconciler, Request, Result } from "../controller/controller.ts";
import { readOAuthClient } from "../kube.ts";
import { clientIdConflict, effectiveClientId } from "./client-id.ts";
import type { ReconcileContext } from "./context.ts";
import { nextCredentialsDeadline, resolveCredentials } from "./credentials.ts";
import type { CredentialsChange } from "./credentials-policy.ts";
import { credentialsSecretName } from "./credentials-secret.ts";
import { EventReason, type EventType } from "./events.ts";
import { addFinalizer, finalize } from "./finalizer.ts";
import { compile, writeRecord } from "./registry-record.ts";
import { writeSecret } from "./secret.ts";
import { ConditionType, StatusBuilder, writeStatus } from "./status.ts";

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
};

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

    const now = ctx.now();
    const clientId = effectiveClientId(resource);
    const namespace = resource.metadata.namespace ?? "default";
    const status = new StatusBuilder(resource, now).set({
      secretName: credentialsSecretName(resource),
      issuer: ctx.issuer,
      tokenEndpoint: ctx.tokenEndpoint,
    });
    const later = [ConditionType.CredentialsReady, ConditionType.SecretReady, ConditionType.RegistryReady];

    const other = clientIdConflict(ctx, resource, clientId);
    if (other) {
      const wasConflict = status.get(ConditionType.ClientIdAvailable)?.reason === "ClientIdConflict";
      // status.clientId stays unset: the ID is not this resource's, and the CRD lets spec.clientId
      // be added later only while status.clientId is empty.
      const message = `Client ID "${clientId}" is already used by OAuthClient ${other.namespace}/${other.name}; this one is not registered. Give it a unique spec.clientId (recreate it if it already sets one), or delete the other`;
      status
        .condition({ type: ConditionType.ClientIdAvailable, status: "False", reason: "ClientIdConflict", message })
        .skipped(later, "ClientIdConflict", "Not attempted while the client ID is taken")
        .summarize();
      if (!wasConflict) ctx.events.emit(resource, "Warning", EventReason.ClientIdConflict, message);
      await writeStatus(ctx, resource, status.build());
      log.info("client ID conflict", { clientId, other: `${other.namespace}/${other.name}` });
      return {};
    }
    status.set({ clientId }).condition({
      type: ConditionType.ClientIdAvailable,
      status: "True",
      reason: "ClientIdAssigned",
      message: `Client ID "${clientId}" belongs to this OAuthClient`,
    });

    let existingRecord: Awaited<ReturnType<typeof ctx.registry.get>>;
    try {
      existingRecord = await ctx.registry.get(clientId);
    } catch (error) {
      const message = `Cannot read the registry (Redis): ${errorText(error)}; retrying`;
      status
        .condition({ type: ConditionType.RegistryReady, status: "False", reason: "RegistryUnavailable", message })
        .summarize();
      ctx.events.emit(resource, "Warning", EventReason.RegistryWriteFailed, message);
      await writeStatus(ctx, resource, status.build()).catch(() => {});
      throw error;
    }
    const outcome = await resolveCredentials(ctx, resource, existingRecord);
    if (!outcome.ready) {
      status
        .condition({
          type: ConditionType.CredentialsReady,
          status: "False",
          reason: outcome.reason,
          message: outcome.message,
        })
        .skipped(later.slice(1), outcome.reason, "Not attempted until credentials are available")
        .summarize();
      await writeStatus(ctx, resource, status.build());
      log.info("credentials not available", { reason: outcome.reason });
      return {};
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
      status.condition({
        type: ConditionType.SecretReady,
        status: "True",
        reason: credentials.adopted ? "SecretAdopted" : "SecretWritten",
        message: credentials.adopted
          ? `Secret ${namespace}/${credentials.secretName} is adopted; the operator reads it and does not change it`
          : `Secret ${namespace}/${credentials.secretName} holds the client ID, secret, token endpoint and issuer`,
      });
      if (written !== "unchanged") log.info(`secret ${written}`, { secret: credentials.secretName });
    } catch (error) {
      status
        .condition({
          type: ConditionType.SecretReady,
          status: "False",
          reason: "SecretWriteFailed",
          message: `Could not write Secret ${namespace}/${credentials.secretName}: ${errorText(error)}`,
        })
        .skipped(later.slice(2), "SecretWriteFailed", "Not attempted until the Secret is written")
        .summarize();
      await writeStatus(ctx, resource, status.build()).catch(() => {});
      throw error;
    }
    const changeEvent = CHANGE_EVENT[credentials.change];
    if (changeEvent) ctx.events.emit(resource, changeEvent[0], changeEvent[1], credentials.message);

    const compiled = compile(ctx, resource, clientId, credentials);
    if (!compiled.ok) {
      const reason = /SecretRef/.test(compiled.field) ? "InvalidReferencedSecret" : "InvalidSpec";
      const message = `${compiled.message}; the registry keeps the last good record, if any`;
      status.condition({ type: ConditionType.RegistryReady, status: "False", reason, message }).summarize();
      ctx.events.emit(resource, "Warning", EventReason.InvalidSpec, compiled.message);
      await writeStatus(ctx, resource, this.#withRotation(status, credentials).build());
      log.info("cannot compile registry record", { field: compiled.field, error: compiled.message });
      return {};
    }
    try {
      const wrote = await writeRecord(ctx, compiled.record, existingRecord);
      if (wrote) log.info("registry record written", { clientId });
    } catch (error) {
      ctx.onRegistryWriteError();
      const message = `Could not write the registry record for ${clientId}: ${errorText(error)}`;
      status
        .condition({ type: ConditionType.RegistryReady, status: "False", reason: "RegistryWriteFailed", message })
        .summarize();
      ctx.events.emit(resource, "Warning", EventReason.RegistryWriteFailed, message);
      await writeStatus(ctx, resource, this.#withRotation(status, credentials).build()).catch(() => {});
      throw error;
    }
    status.condition({
      type: ConditionType.RegistryReady,
      status: "True",
      reason: "Registered",
      message: `The registry holds client ${clientId} as of generation ${resource.metadata.generation ?? 0}`,
    });
    await writeStatus(ctx, resource, this.#withRotation(status, credentials).summarize().build());

    const deadline = nextCredentialsDeadline(resource, credentials);
    return deadline === undefined ? {} : { requeueAfter: Math.max(1000, deadline - ctx.now() + 50) };
  }

  #withRotation(
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

  /** The resource as the API server has it now (not the cache: see credentials.ts). */
  #read({ namespace, name }: Request): Promise<OAuthClient | undefined> {
    return readOAuthClient(this.#ctx.kube, namespace, name);
  }
}
