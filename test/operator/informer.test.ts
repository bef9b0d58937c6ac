// The informer against a real API server, in the two failures a watch meets that a
// clean disconnect does not cover: a resourceVersion the server no longer has (410
// Gone, answered by a relist), and a connection that goes silent without closing (a
// stall, answered by reopening the watch). The API server restart is covered in
// rotation-and-drift.test.ts, under the whole operator.

import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer, type Server, Socket } from "node:net";
import { after, before, test } from "node:test";
import { KubeConfig, PatchStrategy, setHeaderOptions, type V1Secret } from "@kubernetes/client-node";
import { Informer, type ListPage, type ListWatchSource } from "../../operator/controller/informer.ts";
import { testLogger } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { createNamespace, startWorld, type World } from "./support.ts";

let world: World;
const quiet = testLogger("informer", { level: "error" });

before(async () => {
  world = await startWorld();
});

after(async () => {
  await world?.stop();
});

function secretSource(namespace: string): ListWatchSource<V1Secret> {
  const core = world.kube.core;
  return {
    watchPath: `/api/v1/namespaces/${namespace}/secrets`,
    async list({ limit, continueToken }) {
      return (await core.listNamespacedSecret({ namespace, limit, _continue: continueToken })) as ListPage<V1Secret>;
    },
  };
}

async function createSecret(namespace: string, name: string): Promise<void> {
  await world.kube.core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { k: "v" } } });
}

test("410 Gone, as an HTTP status or as an ERROR event: the informer relists, reports what vanished, and watches on", async () => {
  // A scripted watch endpoint: the real API server rarely forgets a version within a
  // test's lifetime, so the two shapes of "too old" are played back here.
  const watches: string[] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    watches.push(url.searchParams.get("resourceVersion") ?? "");
    if (watches.length === 1) {
      res.writeHead(410, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 410, reason: "Gone" }));
    } else if (watches.length === 2) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`${JSON.stringify({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } })}\n`);
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "31" } } })}\n`);
      res.write(`${JSON.stringify({ type: "MODIFIED", object: secret("b", "32") })}\n`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
    { name: "u" },
  );
  const lists = [
    { items: [secret("a", "5"), secret("b", "6")], metadata: { resourceVersion: "10" } },
    { items: [secret("a", "5"), secret("b", "6")], metadata: { resourceVersion: "20" } },
    { items: [secret("b", "25")], metadata: { resourceVersion: "30" } },
  ];
  let listed = 0;
  const informer = new Informer<V1Secret>(
    "fake",
    kubeConfig,
    {
      watchPath: "/api/v1/namespaces/ns/secrets",
      list: async () => lists[Math.min(listed++, lists.length - 1)] as ListPage<V1Secret>,
    },
    quiet,
    { minBackoffMs: 20 },
  );
  const seen: string[] = [];
  informer.onEvent((type, object) => seen.push(`${type}:${object.metadata?.name}@${object.metadata?.resourceVersion}`));
  informer.start();
  try {
    await waitFor(
      "the event after the relists",
      async () => informer.get("ns", "b")?.metadata?.resourceVersion === "32" || undefined,
      {
        timeoutMs: 10_000,
      },
    );
    assert.deepEqual(watches, ["10", "20", "30"], "each watch resumed from the latest list");
    assert.equal(informer.stats.gone, 2);
    assert.deepEqual(seen, ["add:a@5", "add:b@6", "delete:a@5", "update:b@25", "update:b@32"]);
    assert.equal(informer.get("ns", "a"), undefined);
  } finally {
    await informer.stop();
    server.closeAllConnections();
    server.close();
  }
});

function secret(name: string, resourceVersion: string): V1Secret {
  return { metadata: { name, namespace: "ns", resourceVersion } };
}

/** A TCP proxy to the API server whose open connections can be frozen: bytes stop, sockets stay open. */
async function startFreezableProxy(target: URL): Promise<{ server: Server; port: number; freeze(): void }> {
  const pairs: { client: Socket; upstream: Socket; frozen: boolean }[] = [];
  const server = createServer((client) => {
    const upstream = new Socket();
    const pair = { client, upstream, frozen: false };
    pairs.push(pair);
    upstream.connect(Number(target.port), target.hostname);
    client.on("data", (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address ? address.port : 0,
    freeze() {
      for (const pair of pairs) pair.frozen = true;
    },
  };
}

test("a stalled watch (connection open, nothing arriving) is abandoned and reopened", async () => {
  const ns = await createNamespace(world, "stall");
  const proxy = await startFreezableProxy(new URL(world.cp.server));
  const viaProxy = new KubeConfig();
  viaProxy.loadFromFile(world.cp.kubeconfigPath);
  const cluster = viaProxy.getCurrentCluster();
  assert.ok(cluster);
  viaProxy.clusters = viaProxy.clusters.map((c) =>
    c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c,
  );
  const informer = new Informer("secrets", viaProxy, secretSource(ns), quiet, {
    stallTimeoutMs: 1_500,
    minBackoffMs: 50,
  });
  informer.start();
  try {
    await informer.waitForSync();
    await createSecret(ns, "first");
    await waitFor("the first Secret through the proxy", async () => informer.get(ns, "first"));
    proxy.freeze(); // the watch connection is now a black hole that never closes
    await createSecret(ns, "second");
    await waitFor("the Secret created during the stall", async () => informer.get(ns, "second"), { timeoutMs: 20_000 });
    assert.ok(informer.stats.stalls >= 1, `stalls: ${informer.stats.stalls}`);
    assert.equal(informer.stats.lists, 1, "resumed from its resourceVersion, without a relist");
  } finally {
    await informer.stop();
    proxy.server.close();
  }
});

test("keep: an object the source does not keep is not cached, yet its add, update and delete reach the handlers", async () => {
  const ns = await createNamespace(world, "keep");
  const core = world.kube.core;
  const labelled = (name: string, keep: string) => ({ metadata: { name, labels: { keep } }, stringData: { k: "v" } });
  await core.createNamespacedSecret({ namespace: ns, body: labelled("listed-kept", "yes") });
  await core.createNamespacedSecret({ namespace: ns, body: labelled("listed-other", "no") });
  const informer = new Informer(
    "secrets",
    world.cp.kubeConfig,
    { ...secretSource(ns), keep: (s: V1Secret) => s.metadata?.labels?.keep === "yes" },
    quiet,
  );
  const seen: string[] = [];
  informer.onEvent((type, object) => {
    if (object.metadata?.name !== "listed-kept") seen.push(`${type}:${object.metadata?.name}`);
  });
  informer.start();
  try {
    await informer.waitForSync();
    assert.ok(informer.get(ns, "listed-kept"), "a kept object listed is cached");
    assert.equal(informer.get(ns, "listed-other"), undefined, "one not kept is not");
    await core.createNamespacedSecret({ namespace: ns, body: labelled("watched-other", "no") });
    await core.patchNamespacedSecret(
      { namespace: ns, name: "watched-other", body: { stringData: { k: "w" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedSecret({ namespace: ns, name: "watched-other" });
    // A kept object that stops being kept leaves the cache, and its update still arrives.
    await core.patchNamespacedSecret(
      { namespace: ns, name: "listed-kept", body: { metadata: { labels: { keep: "no" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitFor("the events of the Secret not kept", async () => seen.length >= 3 || undefined);
    assert.deepEqual(seen, ["add:watched-other", "update:watched-other", "delete:watched-other"]);
    await waitFor("the relabelled Secret gone from the cache", async () =>
      informer.get(ns, "listed-kept") === undefined ? true : undefined,
    );
    assert.equal(informer.get(ns, "watched-other"), undefined);
  } finally {
    await informer.stop();
  }
});
