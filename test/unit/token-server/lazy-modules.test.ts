// What a token server loads at start: the token, introspection and revocation paths, not
// the libraries and pages only some clients or requests need (the SAML/XML libraries,
// bcrypt, the YAML parser, the browser flow's pages and sessions). Those load on the
// first request that needs them; each module is then loaded once.
import assert from "node:assert/strict";
import { registerHooks } from "node:module";
import { test } from "node:test";

const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
const loadedMatching = (pattern: RegExp) => [...loaded].filter((url) => pattern.test(url));

const LOADED_ON_DEMAND: [string, RegExp][] = [
  ["xml-crypto", /\/node_modules\/xml-crypto\//],
  ["@xmldom/xmldom", /\/node_modules\/@xmldom\/xmldom\//],
  ["xpath", /\/node_modules\/xpath\//],
  ["bcryptjs", /\/node_modules\/bcryptjs\//],
  ["yaml", /\/node_modules\/yaml\//],
  // The error page stays: the authorization code grant's code store redirects with it.
  [
    "the sign-in, consent and logout pages",
    /\/token-server\/pages\/(login-page|consent-page|logout-page|stylesheet)\.ts$/,
  ],
  ["the authorization endpoint's steps", /\/token-server\/authorize\/endpoints\.ts$/],
  ["the sessions", /\/token-server\/sessions\/sessions\.ts$/],
];

test("the token server starts without the SAML, bcrypt, YAML and browser-flow modules", async () => {
  const { createApp } = await import("../../../token-server/app.ts");
  await import("../../../token-server/server.ts");
  assert.equal(typeof createApp, "function");
  assert.ok(loadedMatching(/\/token-server\/grants\/index\.ts$/).length === 1, "the grants are loaded");
  for (const [name, pattern] of LOADED_ON_DEMAND)
    assert.deepEqual(loadedMatching(pattern), [], `${name} must not load at start`);
});

test("a route of the browser flow loads its steps on its first request, once", async () => {
  const { lazySteps } = await import("../../../token-server/middleware/lazy-steps.ts");
  let imports = 0;
  const seen: string[] = [];
  const route = lazySteps(async () => {
    imports += 1;
    return [
      async (_ctx, next) => {
        seen.push("first");
        await next();
      },
      async () => {
        seen.push("second");
      },
    ];
  });
  assert.equal(imports, 0, "nothing loads before a request");
  const ctx = {} as Parameters<typeof route>[0];
  await Promise.all([route(ctx, async () => {}), route(ctx, async () => {})]);
  await route(ctx, async () => {});
  assert.equal(imports, 1, "concurrent first requests share one load");
  assert.deepEqual(seen, ["first", "second", "first", "second", "first", "second"]);
});
