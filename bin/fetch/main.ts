// `tollgate fetch`: an access token for a workload-identity client, from the pod's
// projected ServiceAccount token, for applications that read a file and never talk
// OAuth (docs/workload-identity.md).
//
//   tollgate fetch --token-endpoint URL --client-id ID --output FILE   sidecar: keep FILE fresh
//   tollgate fetch ... --output FILE --once                            init container: write once, exit
//   tollgate fetch ... --once                                          print one token on stdout, exit
//
// Flags fall back to TOLLGATE_FETCH_* variables; the ServiceAccount token defaults to
// /var/run/secrets/tollgate/serviceaccount/token (a projected volume with audience = the
// Tollgate issuer). Exits 1 when a --once exchange fails; the sidecar retries forever.
import { parseArgs } from "node:util";
import { ExchangeError, exchange } from "./exchange.ts";
import { keepFresh } from "./fetcher.ts";
import { writeAtomic } from "./write-atomic.ts";

export const DEFAULT_SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/tollgate/serviceaccount/token";

const USAGE = `usage: tollgate fetch --token-endpoint URL --client-id ID [--service-account-token FILE]
                      [--scope SCOPES] (--output FILE [--once] | --once)`;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "token-endpoint": { type: "string" },
      "client-id": { type: "string" },
      "service-account-token": { type: "string" },
      scope: { type: "string" },
      output: { type: "string" },
      once: { type: "boolean" },
    },
    strict: true,
  });
  const tokenEndpoint = values["token-endpoint"] ?? env.TOLLGATE_FETCH_TOKEN_ENDPOINT;
  const clientId = values["client-id"] ?? env.TOLLGATE_FETCH_CLIENT_ID;
  const output = values.output ?? env.TOLLGATE_FETCH_OUTPUT;
  const scope = values.scope ?? env.TOLLGATE_FETCH_SCOPE;
  if (!tokenEndpoint || !clientId || (!output && !values.once)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const options = {
    tokenEndpoint,
    clientId,
    serviceAccountTokenFile:
      values["service-account-token"] ?? env.TOLLGATE_FETCH_SERVICE_ACCOUNT_TOKEN ?? DEFAULT_SERVICE_ACCOUNT_TOKEN,
    ...(scope ? { scope } : {}),
  };
  const log = (line: string) => process.stderr.write(`tollgate fetch: ${line}\n`);
  if (values.once) {
    try {
      const token = await exchange(options);
      if (output) await writeAtomic(output, token.accessToken);
      else process.stdout.write(`${token.accessToken}\n`);
      return 0;
    } catch (error) {
      log(error instanceof ExchangeError ? error.message : `failed: ${(error as Error).message}`);
      return 1;
    }
  }
  const stop = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => stop.abort());
  await keepFresh({
    exchange: () => exchange(options),
    write: (token) => writeAtomic(output as string, token),
    log,
    clock: {
      now: () => Date.now(),
      sleep: (ms) =>
        new Promise((resolve) => {
          if (stop.signal.aborted) return resolve(false);
          const timer = setTimeout(() => resolve(true), ms);
          stop.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve(false);
          });
        }),
    },
  });
  return 0;
}
