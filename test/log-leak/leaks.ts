// What counts as a credential in a log line: anything Tollgate mints has a recognisable
// shape (tg*_ prefixes, JWTs, the session cookie), credentials sent in headers have
// theirs (Basic, Bearer), SAML assertions and private keys theirs; the rest (passwords,
// hand-set client secrets) the suite noted by value (harness/log-capture.ts).

export interface Leak {
  file: string;
  line: number;
  kind: string;
  /** The start of what matched, enough to find it; never the whole credential. */
  hint: string;
}

const SHAPES: { kind: string; pattern: RegExp }[] = [
  { kind: "Tollgate token, code or client secret", pattern: /\btg(?:at|rt|cs|ac|ra)_[A-Za-z0-9_-]{20,}/ },
  { kind: "JWT (token or assertion)", pattern: /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/ },
  { kind: "Basic credentials", pattern: /\bBasic [A-Za-z0-9+/]{12,}={0,2}/ },
  { kind: "Bearer token", pattern: /\bBearer [A-Za-z0-9._~+/-]{16,}/ },
  { kind: "session cookie", pattern: /tollgate-session=[A-Za-z0-9_-]{20,}/ },
  // An element with attributes: error messages name `<Assertion>` itself.
  { kind: "SAML assertion", pattern: /<(?:saml2?:)?Assertion\s+[\w:.-]+=|PHNhbWwy?OkFzc2VydGlvb|PEFzc2VydGlvbi/ },
  { kind: "private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----|"d"\s*:\s*"[A-Za-z0-9_-]{20,}"/ },
];

/**
 * The one place Tollgate prints a credential on purpose: the standalone token server's
 * banner (token-server/standalone.ts describeClients) tells the person who ran
 * `npm start` on a laptop the secrets it generated and a curl command using one. Only
 * those two line shapes are exempt; its JSON log lines are checked like any other.
 */
const STANDALONE_BANNER = /^ {2}(?:client_secret: \S+|curl -s .*)$/;

export function findLeaks(file: string, text: string, credentials: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  text.split("\n").forEach((content, index) => {
    if (STANDALONE_BANNER.test(content)) return;
    for (const { kind, pattern } of SHAPES) {
      const match = pattern.exec(content);
      if (match) leaks.push({ file, line: index + 1, kind, hint: `${match[0].slice(0, 10)}…` });
    }
    for (const credential of credentials)
      if (content.includes(credential))
        leaks.push({ file, line: index + 1, kind: "credential the suite used", hint: `${credential.slice(0, 3)}…` });
  });
  return leaks;
}
