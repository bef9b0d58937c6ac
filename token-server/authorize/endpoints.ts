// The authorization endpoint (RFC 6749 §3.1, §4.1.1) and its pages, each an array of
// named steps in the order the specs ask for them: the client and its redirect URI
// first, since nothing may be redirected before they are verified.

import { parseForm } from "../middleware/parse-form.ts";
import type { Step, TokenServer } from "../request-context.ts";
import { type AuthorizeCtx, asSteps, pendingOf } from "./authorize-context.ts";
import { checkClient } from "./check-client.ts";
import { checkCsrf } from "./check-csrf.ts";
import { checkOpenIdParameters } from "./check-openid.ts";
import { checkPkce } from "./check-pkce.ts";
import { checkPrompt } from "./check-prompt.ts";
import { checkRedirectUri } from "./check-redirect-uri.ts";
import { checkCodeGrantAllowed, checkResponseType, rejectRepeatedParameters } from "./check-request.ts";
import { checkScopeAndAudience } from "./check-scope.ts";
import { handleInteractionErrors } from "./interaction-error-handler.ts";
import { loadPendingRequest } from "./load-pending.ts";
import { parseQuery } from "./parse-query.ts";
import { AUTHORIZE_PATHS } from "./paths.ts";
import { proceed } from "./proceed.ts";
import { recordConsent } from "./record-consent.ts";
import { resendAsGet } from "./resend-as-get.ts";
import { signInUser } from "./sign-in.ts";
import { startAuthorization } from "./start.ts";

/**
 * GET /oauth2/authorize, and POST with the same parameters form-encoded (OpenID Connect
 * Core §3.1.2.1; one without the session cookie is sent on as a GET, resend-as-get.ts).
 */
export function authorizeEndpoint(server: TokenServer, method: "GET" | "POST" = "GET"): Step[] {
  return asSteps([
    handleInteractionErrors(server, "authorize"),
    ...(method === "GET" ? [parseQuery] : [parseForm, resendAsGet(AUTHORIZE_PATHS.authorize)]),
    checkClient,
    checkRedirectUri,
    rejectRepeatedParameters,
    checkResponseType,
    checkCodeGrantAllowed,
    checkPkce,
    checkScopeAndAudience,
    checkPrompt,
    checkOpenIdParameters,
    startAuthorization,
  ]);
}

/** GET /oauth2/authorize/continue?request=ID, where sign-in sends the browser next. */
export function continueEndpoint(server: TokenServer): Step[] {
  return asSteps([handleInteractionErrors(server, "authorize"), parseQuery, loadPendingRequest, continueAuthorization]);
}

/** POST /oauth2/authorize/login */
export function loginEndpoint(server: TokenServer): Step[] {
  return asSteps([
    handleInteractionErrors(server, "authorize_login"),
    parseForm,
    rejectRepeatedParameters,
    loadPendingRequest,
    checkCsrf("login"),
    signInUser,
  ]);
}

/** POST /oauth2/authorize/consent */
export function consentEndpoint(server: TokenServer): Step[] {
  return asSteps([
    handleInteractionErrors(server, "authorize_consent"),
    parseForm,
    rejectRepeatedParameters,
    loadPendingRequest,
    checkCsrf("consent"),
    recordConsent,
  ]);
}

async function continueAuthorization(ctx: AuthorizeCtx): Promise<void> {
  await proceed(ctx, pendingOf(ctx));
}
