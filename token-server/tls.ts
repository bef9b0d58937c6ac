// Serving the public port over https (--tls-cert-file, --tls-key-file). An issuer is an
// https URL (RFC 8414 §2), and verifiers that fetch discovery and the JWKS from it
// refuse anything else: kube-apiserver's JWT authenticator accepts only an https issuer,
// so a Tollgate it reaches inside the cluster (no Ingress in between) must serve TLS
// itself. The files are usually a mounted kubernetes.io/tls Secret that cert-manager
// renews: they are polled like the key directories (a mounted Secret changes by a
// symlink swap that fs.watch reports unreliably), and a new pair serves new connections
// without a restart. A pair that does not load (a half-swapped mount, a key that does
// not match the certificate) keeps the previous one and is tried again on the next poll.
import { readFile } from "node:fs/promises";
import type { Server } from "node:https";
import { createSecureContext } from "node:tls";
import type { Logger } from "../common/logger.ts";

export interface TlsFiles {
  /** PEM certificate chain, leaf first. */
  certFile: string;
  /** PEM private key of the leaf. */
  keyFile: string;
}

export interface TlsPair {
  cert: string;
  key: string;
}

/** Reads the pair and checks that it forms a context (the key matches the certificate); throws otherwise. */
export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile, "utf8"), readFile(files.keyFile, "utf8")]);
  createSecureContext({ cert, key });
  return { cert, key };
}

/** Reloads the pair into `server` whenever the files change; returns a function that stops. */
export function followTlsFiles(server: Server, files: TlsFiles, loaded: TlsPair, log: Logger, pollMs: number) {
  let current = `${loaded.cert}${loaded.key}`;
  const reload = async () => {
    try {
      const pair = await readTlsPair(files);
      if (`${pair.cert}${pair.key}` === current) return;
      server.setSecureContext(pair);
      current = `${pair.cert}${pair.key}`;
      log.info("TLS certificate loaded", { certFile: files.certFile });
    } catch (error) {
      log.error("TLS certificate not loaded; keeping the previous one", { certFile: files.certFile, error });
    }
  };
  const timer = setInterval(reload, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
