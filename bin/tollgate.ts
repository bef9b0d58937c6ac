// The container image's entrypoint: one image, four commands.
//   tollgate operator [flags]       the operator (operator/main.ts)
//   tollgate token-server [flags]   the token server (token-server/main.ts)
//   tollgate registrar [flags]      RFC 7591/7592 registration as OAuthClients (registrar/main.ts)
//   tollgate fetch URL              GET a URL, exit 0 on a 2xx (the chart's `helm test` hook)
//   tollgate fetch --client-id ...  a workload-identity client's access token from the pod's
//                                   ServiceAccount token, into a file kept fresh (bin/fetch/main.ts)
const [command, ...rest] = process.argv.slice(2);
process.argv.splice(2, process.argv.length, ...rest);

switch (command) {
  case "operator":
    await import("../operator/main.ts");
    break;
  case "token-server":
    await import("../token-server/main.ts");
    break;
  case "registrar":
    await import("../registrar/main.ts");
    break;
  case "fetch": {
    if (rest.some((arg) => arg.startsWith("--"))) {
      const { main } = await import("./fetch/main.ts");
      process.exit(await main(rest));
    }
    const url = rest[0];
    if (!url) throw new Error("usage: tollgate fetch URL");
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    console.log(`${response.status} ${url}`);
    console.log(await response.text());
    process.exit(response.ok ? 0 : 1);
    break;
  }
  default:
    console.error("usage: tollgate operator|token-server|registrar|fetch [args]");
    process.exit(2);
}
