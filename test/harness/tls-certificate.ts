// A throwaway CA and a serving certificate signed by it, made with openssl (as node.ts
// makes the kubelet's client certificate): for a token server that serves https, and
// for the verifiers that must trust it (kube-apiserver's certificateAuthority, https.get's ca).
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
 * Makes `<dir>/ca.crt` and a leaf for `ipAddresses` and `dnsNames` (subjectAltName) as
 * `<dir>/<name>.crt` and `<dir>/<name>.key`. A second call with another name reuses the CA,
 * so a test can swap certificates the same clients trust.
 */
export function makeServingCertificate(
  dir: string,
  { name = "server", ipAddresses = ["127.0.0.1"], dnsNames = [] as string[] } = {},
): TestCertificate {
  mkdirSync(dir, { recursive: true });
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
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
      "2",
      "-subj",
      "/CN=tollgate-test-ca",
    ]);
    caPem = readFileSync(join(dir, "ca.crt"), "utf8");
  }
  const names = [...ipAddresses.map((ip) => `IP:${ip}`), ...dnsNames.map((dns) => `DNS:${dns}`)];
  writeFileSync(
    join(dir, `${name}.ext`),
    `subjectAltName = ${names.join(", ")}\nextendedKeyUsage = serverAuth\nkeyUsage = critical, digitalSignature\n`,
  );
  openssl(["req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
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
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
  return { caPem, certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}
