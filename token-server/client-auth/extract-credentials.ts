// Finds which client authentication mechanism a request used (RFC 6749 §2.3) and
// its credentials, without checking them. Exactly one mechanism per request.

import { InvalidClient, InvalidRequest } from "../errors.ts";
import { type Ctx, param } from "../request-context.ts";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Parameters client authentication reads; endpoints accept them besides their own. */
export const CLIENT_AUTH_PARAMETERS: ReadonlySet<string> = new Set([
  "client_id",
  "client_secret",
  "client_assertion",
  "client_assertion_type",
]);

export type Credentials =
  | { method: "client_secret_basic" | "client_secret_post"; clientId: string; secret: string }
  | { method: "private_key_jwt"; clientId: string | undefined; assertion: string }
  | { method: "none"; clientId: string };

export function extractCredentials(ctx: Ctx): Credentials {
  const authorization = ctx.get("authorization");
  const bodyId = param(ctx, "client_id");
  const bodySecret = param(ctx, "client_secret");
  const assertion = param(ctx, "client_assertion");
  const assertionType = param(ctx, "client_assertion_type");
  const used =
    Number(authorization !== "") +
    Number(bodySecret !== undefined) +
    Number(assertion !== undefined || assertionType !== undefined);
  if (used > 1) throw new InvalidRequest("client authentication must use only one mechanism");

  if (authorization !== "") {
    ctx.state.authMethod = "client_secret_basic";
    const { clientId, secret } = decodeBasic(authorization);
    ctx.state.claimedClientId = clientId;
    if (bodyId !== undefined && bodyId !== clientId)
      throw new InvalidRequest("client_id in the body does not match the Authorization header");
    return { method: "client_secret_basic", clientId, secret };
  }
  if (bodySecret !== undefined) {
    ctx.state.authMethod = "client_secret_post";
    if (bodyId === undefined || bodyId === "") throw new InvalidClient("client_id is required with client_secret");
    return { method: "client_secret_post", clientId: bodyId, secret: bodySecret };
  }
  if (assertion !== undefined || assertionType !== undefined) {
    ctx.state.authMethod = "private_key_jwt";
    if (assertionType !== CLIENT_ASSERTION_TYPE)
      throw new InvalidClient(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    if (!assertion) throw new InvalidClient("client_assertion is required with client_assertion_type");
    return { method: "private_key_jwt", clientId: bodyId, assertion };
  }
  if (bodyId !== undefined && bodyId !== "") {
    ctx.state.authMethod = "none";
    return { method: "none", clientId: bodyId };
  }
  throw new InvalidClient("no client authentication included");
}

/** RFC 6749 §2.3.1 and appendix B: id and secret are each form-urlencoded before Basic encoding. */
function decodeBasic(header: string): { clientId: string; secret: string } {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  const encoded = space === -1 ? "" : trimmed.slice(space + 1).trimStart();
  if (scheme.toLowerCase() !== "basic" || encoded === "" || /\s/.test(encoded))
    throw new InvalidClient("the Authorization header must use the Basic scheme");
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) throw new InvalidClient("the Basic credentials are malformed");
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)),
    };
  } catch {
    throw new InvalidClient("the Basic credentials are not form-urlencoded");
  }
}

function formDecode(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  return decodeURIComponent(text.replaceAll("+", " "));
}
