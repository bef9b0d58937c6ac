// Who the token is for (RFC 8707 resource indicators): every `resource` (an absolute
// URI without a fragment) and `audience` (a logical name, as RFC 8693 uses it) value
// must be among the client's allowed audiences. Nothing requested means the client's
// default audience, else this server's issuer: RFC 9068 §3 requires an `aud`, and a
// default resource is what it asks for when none is requested.
import type { ClientRecord } from "../registry/record.ts";
import { InvalidTarget } from "./errors.ts";

export function resolveAudience(
  record: ClientRecord,
  resources: string[] | undefined,
  audiences: string[] | undefined,
  issuer: string,
): string[] {
  const requested = [...(resources ?? []), ...(audiences ?? [])];
  for (const resource of resources ?? []) {
    let url: URL | undefined;
    try {
      url = new URL(resource);
    } catch {
      url = undefined;
    }
    if (!url || resource.includes("#"))
      throw new InvalidTarget("resource must be an absolute URI without a fragment (RFC 8707 §2)");
  }
  if (requested.length === 0) return [record.defaultAudience ?? issuer];
  const refused = requested.filter((value) => !record.audiences.includes(value));
  if (refused.length > 0)
    throw new InvalidTarget(`this client may not request a token for ${refused.map((v) => `"${v}"`).join(", ")}`);
  return [...new Set(requested)];
}
