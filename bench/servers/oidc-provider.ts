// oidc-provider configured for the same work: client_credentials, client_secret_basic,
// an ES256 JWT access token for the orders resource (resource indicators feature).
// Usage: node bench/servers/oidc-provider.ts <port> <issuer>
import { createServer } from "node:http";
import Provider from "oidc-provider";
import { generateSigningKey } from "../../registry/signing-key-format.ts";
import { BENCH_AUDIENCE, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET } from "../lib/bench-client.ts";

const [port, issuer] = [Number(process.argv[2]), process.argv[3] as string];
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: BENCH_CLIENT_ID,
      client_secret: BENCH_CLIENT_SECRET,
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_basic",
      scope: "orders.read orders.write",
    },
  ],
  scopes: ["orders.read", "orders.write"],
  jwks: { keys: [await generateSigningKey("ES256"), await generateSigningKey("RS256")] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => BENCH_AUDIENCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "orders.read orders.write",
        audience: BENCH_AUDIENCE,
        accessTokenTTL: 600,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "ES256" } },
      }),
    },
  },
});
createServer(provider.callback()).listen(port, "127.0.0.1", () =>
  process.stdout.write(`READY http://127.0.0.1:${port}\n`),
);
