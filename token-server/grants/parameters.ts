// The parameters a grant takes (RFC 6749 §3.2: unrecognized parameters are ignored).
// Apart from grant.ts so the request state (request-context.ts) can name them without an
// import cycle.

export interface GrantParameters {
  /** Parameters the grant reads, besides grant_type and client authentication's. */
  parameters: ReadonlySet<string>;
  /** Parameters a spec lets repeat (RFC 8707 `resource`). */
  multiValued: ReadonlySet<string>;
}
