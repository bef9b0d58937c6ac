// Strict application/x-www-form-urlencoded parsing (RFC 6749 §3.2, appendix B):
// POST only, that content type only (charset, if named, UTF-8), a bounded body,
// valid percent-encoding and valid UTF-8. Every value of a repeated name is kept so
// reject-dupes can refuse it.

import { InvalidRequest } from "../errors.ts";
import type { Ctx, Params } from "../request-context.ts";

const FORM = "application/x-www-form-urlencoded";

/**
 * The default form body limit (`--max-body-bytes`): room for the largest SAML assertion
 * the saml2-bearer grant accepts (64 KiB decoded, about 87 KiB as base64url) and the
 * other parameters beside it, so the grant's own limit is the one a client meets.
 */
export const DEFAULT_MAX_BODY_BYTES = 96 * 1024;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
/** Stateless for whole-buffer decodes, so one instance serves every request. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

export async function parseForm(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const type = ctx.get("content-type");
  // The usual header, exactly: nothing to take apart.
  if (type !== FORM) checkContentType(type);
  const body = await readBody(ctx, ctx.state.server.settings.maxBodyBytes);
  ctx.state.params = decodeForm(body);
  await next();
}

function checkContentType(type: string): void {
  const [media, ...options] = type.split(";").map((part) => part.trim().toLowerCase());
  if (media !== FORM)
    throw new InvalidRequest(`the request body must be ${FORM}`, `content type was "${type || "(none)"}"`);
  for (const option of options)
    if (option.startsWith("charset=") && option.replaceAll('"', "") !== "charset=utf-8")
      throw new InvalidRequest("the request body must be UTF-8", `content type was "${type}"`);
}

async function readBody(ctx: Ctx, limit: number): Promise<string> {
  const declared = Number(ctx.get("content-length") || "0");
  if (declared > limit) throw tooLarge(limit);
  // Plain stream events rather than an async iterator: cheaper on the hot path.
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const request = ctx.req;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop collecting but keep draining, so the error response can still be written.
        request.off("data", onData);
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    // A client that goes away mid-body ("aborted" error, or just a close before the
    // end): refused, not left waiting. Every request closes once it is done, so the
    // listeners go with the end of the body: building an error there for nothing
    // cost the hot path ~10 % of its CPU.
    const cut = () => reject(new InvalidRequest("the request body was not received in full"));
    request.on("data", onData);
    request.once("end", () => {
      request.off("error", cut);
      request.off("close", cut);
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    request.once("error", cut);
    request.once("close", cut);
  });
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidRequest("the request body is not valid UTF-8");
  }
}

function tooLarge(limit: number): InvalidRequest {
  // 413 rather than §5.2's default 400: the request may be well-formed, it is this
  // server's size limit that refuses it. The body is still an OAuth error.
  return new InvalidRequest(`the request body is larger than ${limit} bytes`, undefined, 413);
}

export function decodeForm(body: string): Params {
  const params: Params = new Map();
  if (body === "") return params;
  for (const pair of body.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? "" : pair.slice(eq + 1);
    const name = decodeComponent(rawName);
    if (name === "") throw new InvalidRequest("the request body is malformed", "empty parameter name");
    const value = decodeComponent(rawValue);
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

function decodeComponent(raw: string): string {
  if (!raw.includes("%") && !raw.includes("+")) return raw;
  if (BAD_ESCAPE.test(raw)) throw new InvalidRequest("the request body is malformed", "invalid percent-encoding");
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    throw new InvalidRequest("the request body is malformed", "percent-encoding is not UTF-8");
  }
}
