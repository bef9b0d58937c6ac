// RFC 7591 client metadata <-> the OAuthClient spec. Pure: the registrar's one place that
// knows which metadata an OAuthClient can express. What it cannot express is refused by
// name (invalid_client_metadata), never dropped: a client that asked for something and
// silently did not get it would misbehave later. Everything else (redirect URI shapes,
// grant combinations, the tenancy rules) is the API server's to judge at admission,
// exactly as for `kubectl apply`.
import {
  GRANT_TYPES,
  type GrantType,
  type Jwks,
  type OAuthClient,
  type OAuthClientSpec,
  type TokenEndpointAuthMethod,
} from "../api/v1alpha1/oauthclient.ts";
import { invalidClientMetadata } from "./errors.ts";

export const SOFTWARE_ID_ANNOTATION = "tollgate.dev/software-id";
export const SOFTWARE_VERSION_ANNOTATION = "tollgate.dev/software-version";

const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  "client_secret_basic",
  "client_secret_post",
  "private_key_jwt",
  "none",
];

/** Metadata fields a request may carry; any other is refused by name. */
const KNOWN = new Set([
  "client_name",
  "redirect_uris",
  "post_logout_redirect_uris",
  "grant_types",
  "response_types",
  "token_endpoint_auth_method",
  "scope",
  "jwks",
  "jwks_uri",
  "software_id",
  "software_version",
  // Echoed back by RFC 7592 updates; checked by the update, not mapped.
  "client_id",
  "client_secret",
]);

/** The spec fields this mapping owns; an update replaces these and keeps every other field (hand edits). */
const OWNED: readonly (keyof OAuthClientSpec)[] = [
  "displayName",
  "redirectUris",
  "postLogoutRedirectUris",
  "grantTypes",
  "tokenEndpointAuthMethod",
  "clientType",
  "scopes",
  "jwks",
  "jwksUri",
];

export interface MappedMetadata {
  spec: OAuthClientSpec;
  annotations: Record<string, string>;
}

/**
 * The spec and annotations a metadata document asks for. `current` (an RFC 7592 update)
 * keeps the spec fields the metadata cannot name, so a hand-set subject or audience survives.
 */
export function metadataToSpec(metadata: unknown, current?: OAuthClientSpec): MappedMetadata {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    throw invalidClientMetadata("the request body must be a JSON object of client metadata (RFC 7591 section 2)");
  const m = metadata as Record<string, unknown>;
  if ("software_statement" in m)
    throw invalidClientMetadata("software_statement: software statements are not supported here");
  for (const field of Object.keys(m))
    if (!KNOWN.has(field))
      throw invalidClientMetadata(`${field}: an OAuthClient cannot express this metadata, so it is refused`);

  const grantTypes = stringList(m, "grant_types") ?? ["authorization_code"];
  for (const grant of grantTypes)
    if (!(GRANT_TYPES as readonly string[]).includes(grant))
      throw invalidClientMetadata(`grant_types: ${grant} is not supported (supported: ${GRANT_TYPES.join(", ")})`);
  const responseTypes = stringList(m, "response_types");
  for (const type of responseTypes ?? [])
    if (type !== "code") throw invalidClientMetadata(`response_types: only "code" is supported, not "${type}"`);
  if (responseTypes?.includes("code") && !grantTypes.includes("authorization_code"))
    throw invalidClientMetadata('response_types: "code" needs the authorization_code grant type');

  const authMethod = optionalString(m, "token_endpoint_auth_method") ?? "client_secret_basic";
  if (!(AUTH_METHODS as readonly string[]).includes(authMethod))
    throw invalidClientMetadata(
      `token_endpoint_auth_method: ${authMethod} is not supported (supported: ${AUTH_METHODS.join(", ")})`,
    );

  const jwks = m.jwks;
  if (jwks !== undefined && (typeof jwks !== "object" || jwks === null || !Array.isArray((jwks as Jwks).keys)))
    throw invalidClientMetadata('jwks: must be a JWK Set, an object with a "keys" array');

  const scope = optionalString(m, "scope");
  const owned: OAuthClientSpec = {
    grantTypes: grantTypes as GrantType[],
    tokenEndpointAuthMethod: authMethod as TokenEndpointAuthMethod,
    clientType: authMethod === "none" ? "public" : "confidential",
    ...defined("displayName", optionalString(m, "client_name")),
    ...defined("redirectUris", stringList(m, "redirect_uris")),
    ...defined("postLogoutRedirectUris", stringList(m, "post_logout_redirect_uris")),
    ...defined("scopes", scope === undefined ? undefined : scope.split(" ").filter(Boolean)),
    ...defined("jwks", jwks as Jwks | undefined),
    ...defined("jwksUri", optionalString(m, "jwks_uri")),
  };
  const kept: Partial<OAuthClientSpec> = { ...current };
  for (const field of OWNED) delete kept[field];
  const annotations: Record<string, string> = {};
  const softwareId = optionalString(m, "software_id");
  const softwareVersion = optionalString(m, "software_version");
  if (softwareId !== undefined) annotations[SOFTWARE_ID_ANNOTATION] = softwareId;
  if (softwareVersion !== undefined) annotations[SOFTWARE_VERSION_ANNOTATION] = softwareVersion;
  return { spec: { ...kept, ...owned }, annotations };
}

/** The RFC 7591 metadata an OAuthClient holds now (a hand edit shows here). */
export function specToMetadata(resource: OAuthClient): Record<string, unknown> {
  const spec = resource.spec;
  const annotations = resource.metadata.annotations ?? {};
  const authMethod = spec.tokenEndpointAuthMethod ?? (spec.clientType === "public" ? "none" : "client_secret_basic");
  return {
    ...defined("client_name", spec.displayName),
    ...defined("redirect_uris", spec.redirectUris),
    ...defined("post_logout_redirect_uris", spec.postLogoutRedirectUris),
    grant_types: spec.grantTypes,
    ...(spec.grantTypes.includes("authorization_code") ? { response_types: ["code"] } : {}),
    token_endpoint_auth_method: authMethod,
    ...defined("scope", spec.scopes?.join(" ")),
    ...defined("jwks", spec.jwks),
    ...defined("jwks_uri", spec.jwksUri),
    ...defined("software_id", annotations[SOFTWARE_ID_ANNOTATION]),
    ...defined("software_version", annotations[SOFTWARE_VERSION_ANNOTATION]),
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function optionalString(m: Record<string, unknown>, field: string): string | undefined {
  const value = m[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidClientMetadata(`${field}: must be a string`);
  return value;
}

function stringList(m: Record<string, unknown>, field: string): string[] | undefined {
  const value = m[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw invalidClientMetadata(`${field}: must be an array of strings`);
  return value as string[];
}
