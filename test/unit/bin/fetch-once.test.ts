// `tollgate fetch --once --output FILE` against the in-process token server (the unit
// stack, with a stand-in cluster issuer): the file holds an access token of the client.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decodeJwt } from "jose";
import { main } from "../../../bin/fetch/main.ts";
import { CLUSTER_ISSUER, fakeClusterIssuer } from "../support/cluster-issuer.ts";
import { record } from "../support/records.ts";
import { startUnitStack } from "../support/token-server.ts";

test("fetch --once writes the client's access token; a refused exchange exits 1 and writes nothing", async () => {
  const issuer = fakeClusterIssuer();
  const stack = await startUnitStack({ workloadIdentity: { issuer: CLUSTER_ISSUER, fetch: issuer.fetch } });
  const dir = mkdtempSync(join(tmpdir(), "tollgate-fetch-once-"));
  try {
    const client = record({
      namespace: "shop",
      tokenEndpointAuthMethod: "workload_identity",
      secrets: [],
      workloadIdentity: { serviceAccounts: [{ name: "orders", uid: "u1" }], tokenReuse: "allow" },
    });
    await stack.put(client);
    const saToken = join(dir, "sa-token");
    const claims = {
      namespace: "shop",
      serviceAccount: "orders",
      serviceAccountUid: "u1",
      pod: { name: "p", uid: "pu" },
      audience: stack.running.issuer,
    };
    writeFileSync(saToken, `${await issuer.token(claims)}\n`);
    const output = join(dir, "access-token");
    const args = [
      "--token-endpoint",
      `${stack.url}/oauth2/token`,
      "--client-id",
      client.clientId,
      "--service-account-token",
      saToken,
      "--output",
      output,
      "--once",
    ];
    assert.equal(await main(args, {}), 0);
    assert.equal(decodeJwt(readFileSync(output, "utf8")).client_id, client.clientId);

    writeFileSync(saToken, await issuer.token({ ...claims, serviceAccount: "frontend" }));
    const refused = join(dir, "refused");
    assert.equal(await main([...args.slice(0, -3), "--output", refused, "--once"], {}), 1);
    assert.throws(() => readFileSync(refused), /ENOENT/);
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true });
  }
});
