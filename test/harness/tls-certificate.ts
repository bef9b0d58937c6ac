// Throwaway CAs and certificates signed by them, made with openssl: a serving certificate
// for a token server that serves https (and the CA its verifiers trust: kube-apiserver's
// certificateAuthority, https.get's ca), and the node's kubelet client certificate.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificate {
  /** The CA's PEM certificate: what a client trusts. */
  caPem: string;
  certFile: string;
  keyFile: string;
}

/**
 * Makes `<dir>/ca.crt` (unless it is there: a second call reuses the CA) and a leaf signed
 * by it as `<dir>/<name>.crt` and `<dir>/<name>.key`, with the given subject and X.509v3
 * extensions (openssl's extfile lines).
 */
export function issueCertificate(
  dir: string,
  leaf: { name: string; subject: string; extensions: string[]; days: number; caCommonName: string },
): TestCertificate {
  mkdirSync(dir, { recursive: true });
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const days = String(leaf.days);
  let caPem: string;
  try {
    caPem = readFileSync(join(dir, "ca.crt"), "utf8");
  } catch {
    openssl([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      days,
      "-subj",
      `/CN=${leaf.caCommonName}`,
    ]);
    caPem = readFileSync(join(dir, "ca.crt"), "utf8");
  }
  const { name } = leaf;
  writeFileSync(join(dir, `${name}.ext`), `${leaf.extensions.join("\n")}\n`);
  openssl(["req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", leaf.subject]);
  openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    days,
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
  return { caPem, certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/**
 * A serving certificate for `ipAddresses` and `dnsNames` (subjectAltName) under
 * `<dir>/ca.crt`. A second call with another name reuses the CA, so a test can swap
 * certificates the same clients trust.
 */
export function makeServingCertificate(
  dir: string,
  { name = "server", ipAddresses = ["127.0.0.1"], dnsNames = [] as string[] } = {},
): TestCertificate {
  const names = [...ipAddresses.map((ip) => `IP:${ip}`), ...dnsNames.map((dns) => `DNS:${dns}`)];
  return issueCertificate(dir, {
    name,
    subject: `/CN=${name}`,
    extensions: [
      `subjectAltName = ${names.join(", ")}`,
      "extendedKeyUsage = serverAuth",
      "keyUsage = critical, digitalSignature",
    ],
    days: 2,
    caCommonName: "tollgate-test-ca",
  });
}
