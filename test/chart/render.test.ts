// The chart's rendered objects for the value combinations that matter, asserted on
// the objects themselves (not on snapshots).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parse } from "yaml";
import {
  CHART_DIR,
  EVERY_CONVENTION,
  envOf,
  find,
  HELM_MAJORS,
  helm,
  type KubeObject,
  podMetadata,
  podOwners,
  podSpec,
  renderChart,
} from "./render.ts";

/** Both Helms refuse to render `set`, with a message matching `message`. */
async function assertRefused(set: string[], message: RegExp): Promise<void> {
  const args = ["template", "tollgate", CHART_DIR, "--kube-version", "1.36.3", ...set.flatMap((v) => ["--set", v])];
  for (const major of HELM_MAJORS) {
    const { code, output } = await helm(args, major);
    assert.notEqual(code, 0, `helm ${major} accepted ${set.join(" ")}`);
    assert.match(output, message, `helm ${major}`);
  }
}

describe("helm lint --strict, Helm 3 and Helm 4", () => {
  const combos: Record<string, string[]> = {
    defaults: [],
    "external redis": [
      "redis.mode=external",
      "redis.external.url=rediss://redis.example:6380",
      "redis.external.passwordSecret.name=redis",
    ],
    namespaced: ["rbac.mode=namespaced", "rbac.namespaces={team-a,team-b}"],
    "ingress, HTTPRoute and autoscaling": [
      "issuer=https://auth.example.com",
      "ingress.enabled=true",
      "ingress.host=auth.example.com",
      "httpRoute.enabled=true",
      "httpRoute.parentRefs[0].name=public",
      "tokenServer.autoscaling.enabled=true",
    ],
    "every convention": EVERY_CONVENTION,
    "token server TLS": ["tokenServer.tls.secretName=tollgate-tls", "tokenServer.service.port=443"],
  };
  for (const major of HELM_MAJORS)
    for (const [name, set] of Object.entries(combos)) {
      test(`helm ${major}: ${name}`, async () => {
        const args = ["lint", "--strict", CHART_DIR, "--kube-version", "1.36.3"];
        for (const value of set) args.push("--set", value);
        const { code, output } = await helm(args, major);
        assert.equal(code, 0, output);
        assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });
    }

  test("Helm 3 and Helm 4 render the same objects", async () => {
    const set = [
      ...["rbac.mode=namespaced", "rbac.namespaces={team-a}", "ingress.enabled=true", "ingress.host=a.example"],
      ...[
        "issuer=https://a.example",
        "httpRoute.enabled=true",
        "httpRoute.parentRefs[0].name=public",
        ...EVERY_CONVENTION,
      ],
    ];
    const strip = (objects: KubeObject[]) =>
      objects.map((o) => {
        const { ["helm.sh/chart"]: _chart, ...labels } = o.metadata.labels ?? {};
        // Generated passwords differ on every render.
        const generated = o.kind === "Secret" && o.metadata.name.endsWith("-redis-auth") ? { data: {} } : {};
        return { ...o, metadata: { ...o.metadata, labels }, ...generated };
      });
    assert.deepEqual(
      strip(await renderChart(set, "tollgate-system", 3)),
      strip(await renderChart(set, "tollgate-system", 4)),
    );
  });
});

describe("rendered objects", () => {
  test("defaults: two operator replicas with leader election, bundled Redis, cluster-wide RBAC, restricted pods", async () => {
    const objects = await renderChart();
    const [operator] = find(objects, "Deployment", "tollgate-operator");
    assert.ok(operator);
    assert.equal((operator.spec as { replicas: number }).replicas, 2);
    assert.equal(envOf(operator).get("TOLLGATE_LEADER_ELECT")?.value, "true");
    assert.equal(envOf(operator).get("TOLLGATE_NAMESPACES")?.value, "");
    assert.equal(
      envOf(operator).get("TOLLGATE_REDIS_URL")?.value,
      "redis://tollgate-operator:$(REDIS_PASSWORD)@tollgate-redis.tollgate-system.svc:6379",
    );
    assert.equal(find(objects, "StatefulSet", "tollgate-redis").length, 1);
    assert.deepEqual(
      find(objects, "ClusterRole")
        .map((r) => r.metadata.name)
        .sort(),
      ["tollgate-oauthclients-edit", "tollgate-oauthclients-view", "tollgate-operator", "tollgate-operator-tenancy"],
    );
    assert.deepEqual(
      find(objects, "ClusterRoleBinding")
        .map((r) => r.metadata.name)
        .sort(),
      ["tollgate-operator", "tollgate-operator-tenancy"],
    );
    const [tokenServer] = find(objects, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    assert.equal(
      podSpec(tokenServer).automountServiceAccountToken,
      false,
      "the token server needs no Kubernetes API token",
    );
    assert.equal(envOf(tokenServer).get("TOLLGATE_ISSUER")?.value, "http://tollgate-token-server.tollgate-system.svc");
    for (const workload of [...find(objects, "Deployment"), ...find(objects, "StatefulSet")]) {
      const pod = podSpec(workload);
      assert.equal(pod.securityContext?.runAsNonRoot, true, workload.metadata.name);
      assert.deepEqual(pod.securityContext?.seccompProfile, { type: "RuntimeDefault" });
      for (const container of pod.containers) {
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, container.name);
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, container.name);
        assert.deepEqual(container.securityContext?.capabilities, { drop: ["ALL"] });
      }
    }
    assert.equal(find(objects, "PodDisruptionBudget").length, 2);
    assert.equal(find(objects, "Ingress").length, 0);
    assert.equal(find(objects, "HorizontalPodAutoscaler").length, 0);
  });

  test("the operator's cluster role grants only what the reconcile uses", async () => {
    const [role] = find(await renderChart(), "ClusterRole", "tollgate-operator");
    const rules = (role as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }).rules;
    const resources = rules.flatMap((r) => r.resources).sort();
    assert.deepEqual(resources, [
      "events",
      "oauthclients",
      "oauthclients/finalizers",
      "oauthclients/status",
      "secrets",
      "serviceaccounts",
    ]);
    const accounts = rules.find((r) => r.resources.includes("serviceaccounts"));
    assert.deepEqual(accounts?.verbs, ["list", "watch"], "ServiceAccounts: metadata only, never tokens");
    for (const rule of rules) assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*"), "no wildcards");
  });

  test("tenancy: admission policies, the subject confinement and the aggregated roles, each behind its value", async () => {
    const names = (objects: KubeObject[], kind: string) =>
      find(objects, kind)
        .map((o) => o.metadata.name)
        .sort();
    const defaults = await renderChart();
    const policies = ["tollgate-oauthclient-policies", "tollgate-subject-confinement"];
    assert.deepEqual(names(defaults, "ValidatingAdmissionPolicy"), policies);
    assert.deepEqual(names(defaults, "ValidatingAdmissionPolicyBinding"), policies);
    const [withParams] = find(defaults, "ValidatingAdmissionPolicy", "tollgate-oauthclient-policies");
    assert.deepEqual(withParams?.spec?.paramKind, { apiVersion: "tollgate.dev/v1alpha1", kind: "OAuthClientPolicy" });
    const [binding] = find(defaults, "ValidatingAdmissionPolicyBinding", "tollgate-oauthclient-policies");
    assert.deepEqual(binding?.spec?.paramRef, { selector: {}, parameterNotFoundAction: "Allow" });
    const [operator] = find(defaults, "Deployment", "tollgate-operator");
    assert.ok(operator);
    assert.equal(envOf(operator).get("TOLLGATE_SUBJECT_CONFINEMENT")?.value, "true");
    const [edit] = find(defaults, "ClusterRole", "tollgate-oauthclients-edit");
    const [view] = find(defaults, "ClusterRole", "tollgate-oauthclients-view");
    assert.equal(edit?.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-edit"], "true");
    assert.equal(edit?.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-admin"], "true");
    assert.equal(view?.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-view"], "true");
    assert.deepEqual((view as unknown as { rules: unknown[] }).rules, [
      { apiGroups: ["tollgate.dev"], resources: ["oauthclients"], verbs: ["get", "list", "watch"] },
    ]);

    const unconfined = await renderChart(["tenancy.subjectConfinement=false"]);
    assert.deepEqual(names(unconfined, "ValidatingAdmissionPolicy"), ["tollgate-oauthclient-policies"]);
    const [unconfinedOperator] = find(unconfined, "Deployment", "tollgate-operator");
    assert.ok(unconfinedOperator);
    assert.equal(envOf(unconfinedOperator).get("TOLLGATE_SUBJECT_CONFINEMENT")?.value, "false");
    const noAdmission = await renderChart(["tenancy.admission=false"]);
    assert.equal(find(noAdmission, "ValidatingAdmissionPolicy").length, 0);
    assert.equal(find(noAdmission, "ValidatingAdmissionPolicyBinding").length, 0);
    const notAggregated = await renderChart(["rbac.aggregateToDefaultRoles=false"]);
    assert.deepEqual(names(notAggregated, "ClusterRole"), ["tollgate-operator", "tollgate-operator-tenancy"]);
  });

  test("external Redis: no StatefulSet, the password comes from the named Secret", async () => {
    const objects = await renderChart([
      "redis.mode=external",
      "redis.external.url=rediss://redis.example:6380/2",
      "redis.external.passwordSecret.name=redis-auth",
    ]);
    assert.equal(find(objects, "StatefulSet").length, 0);
    for (const name of ["tollgate-operator", "tollgate-token-server"]) {
      const [deployment] = find(objects, "Deployment", name);
      assert.ok(deployment);
      const env = envOf(deployment);
      assert.deepEqual(env.get("REDIS_PASSWORD")?.valueFrom, { secretKeyRef: { name: "redis-auth", key: "password" } });
      assert.equal(env.get("TOLLGATE_REDIS_URL")?.value, "rediss://:$(REDIS_PASSWORD)@redis.example:6380/2");
    }
  });

  test("namespaced RBAC: Roles in the listed namespaces and the release's; cluster-wide only reading policies and namespaces", async () => {
    const objects = await renderChart([
      "rbac.mode=namespaced",
      "rbac.namespaces={team-a,team-b}",
      "rbac.aggregateToDefaultRoles=false",
    ]);
    assert.deepEqual(
      find(objects, "ClusterRole").map((r) => r.metadata.name),
      ["tollgate-operator-tenancy"],
    );
    assert.deepEqual(
      find(objects, "ClusterRoleBinding").map((r) => r.metadata.name),
      ["tollgate-operator-tenancy"],
    );
    const [tenancy] = find(objects, "ClusterRole", "tollgate-operator-tenancy");
    assert.deepEqual((tenancy as unknown as { rules: unknown[] }).rules, [
      { apiGroups: ["tollgate.dev"], resources: ["oauthclientpolicies"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] },
    ]);
    const roleNamespaces = find(objects, "Role", "tollgate-operator").map((r) => r.metadata.namespace);
    assert.deepEqual(roleNamespaces.sort(), ["team-a", "team-b", "tollgate-system"]);
    const [operator] = find(objects, "Deployment", "tollgate-operator");
    assert.ok(operator);
    assert.equal(envOf(operator).get("TOLLGATE_NAMESPACES")?.value, "tollgate-system,team-a,team-b");
  });

  test("ingress and autoscaling on", async () => {
    const objects = await renderChart([
      "ingress.enabled=true",
      "ingress.host=auth.example.com",
      "ingress.tlsSecretName=auth-tls",
      "issuer=https://auth.example.com",
      "tokenServer.autoscaling.enabled=true",
      "tokenServer.autoscaling.maxReplicas=6",
    ]);
    const [ingress] = find(objects, "Ingress");
    assert.ok(ingress);
    const spec = ingress.spec as { rules: { host: string }[]; tls: { hosts: string[]; secretName: string }[] };
    assert.equal(spec.rules[0]?.host, "auth.example.com");
    assert.deepEqual(spec.tls[0], { hosts: ["auth.example.com"], secretName: "auth-tls" });
    const [hpa] = find(objects, "HorizontalPodAutoscaler");
    assert.ok(hpa);
    assert.equal((hpa.spec as { maxReplicas: number }).maxReplicas, 6);
    const [tokenServer] = find(objects, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    assert.equal((tokenServer.spec as { replicas?: number }).replicas, undefined, "the HPA owns the replica count");
    assert.equal(envOf(tokenServer).get("TOLLGATE_ISSUER")?.value, "https://auth.example.com");
  });
});

const volumesOf = (object: KubeObject) => (podSpec(object).volumes ?? []) as { name: string }[];

describe("tokenServer.tls: the token server serves https itself", () => {
  test("off by default: http issuer, no TLS files, plain Service port", async () => {
    const objects = await renderChart([]);
    const [tokenServer] = find(objects, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    assert.equal(envOf(tokenServer).get("TOLLGATE_ISSUER")?.value, "http://tollgate-token-server.tollgate-system.svc");
    assert.equal(envOf(tokenServer).has("TOLLGATE_TLS_CERT_FILE"), false);
    assert.equal(
      volumesOf(tokenServer).some((v) => v.name === "tls"),
      false,
    );
    const [service] = find(objects, "Service", "tollgate-token-server");
    assert.deepEqual((service?.spec as { ports?: unknown[] } | undefined)?.ports, [
      { name: "http", port: 80, targetPort: "http" },
    ]);
  });

  test("a Secret: mounted and named in the env, https issuer (443 left out), appProtocol, helm test over https", async () => {
    const objects = await renderChart(["tokenServer.tls.secretName=tollgate-tls", "tokenServer.service.port=443"]);
    const [tokenServer] = find(objects, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    const env = envOf(tokenServer);
    assert.equal(env.get("TOLLGATE_ISSUER")?.value, "https://tollgate-token-server.tollgate-system.svc");
    assert.equal(env.get("TOLLGATE_TLS_CERT_FILE")?.value, "/var/run/tollgate/tls/tls.crt");
    assert.equal(env.get("TOLLGATE_TLS_KEY_FILE")?.value, "/var/run/tollgate/tls/tls.key");
    assert.deepEqual(
      volumesOf(tokenServer).find((v) => v.name === "tls"),
      { name: "tls", secret: { secretName: "tollgate-tls" } },
    );
    assert.deepEqual(
      podSpec(tokenServer).containers[0]?.volumeMounts?.find((m) => m.name === "tls"),
      { name: "tls", mountPath: "/var/run/tollgate/tls", readOnly: true },
    );
    const [operator] = find(objects, "Deployment", "tollgate-operator");
    assert.ok(operator);
    assert.equal(envOf(operator).get("TOLLGATE_ISSUER")?.value, "https://tollgate-token-server.tollgate-system.svc");
    const [service] = find(objects, "Service", "tollgate-token-server");
    assert.deepEqual((service?.spec as { ports?: unknown[] } | undefined)?.ports, [
      { name: "http", port: 443, targetPort: "http", appProtocol: "https" },
    ]);
    const [check] = find(objects, "Pod", "tollgate-test-discovery");
    assert.ok(check);
    const container = podSpec(check).containers[0];
    assert.deepEqual(container?.args, [
      "fetch",
      "https://tollgate-token-server.tollgate-system.svc:443/.well-known/oauth-authorization-server",
    ]);
    assert.equal(envOf(check).get("NODE_EXTRA_CA_CERTS")?.value, "/var/run/tollgate/tls/ca.crt");
    assert.deepEqual(volumesOf(check), [
      {
        name: "tls",
        secret: { secretName: "tollgate-tls", items: [{ key: "ca.crt", path: "ca.crt" }], optional: true },
      },
    ]);
  });

  test("another Service port stays in the https issuer", async () => {
    const objects = await renderChart(["tokenServer.tls.secretName=tollgate-tls", "tokenServer.service.port=8443"]);
    const [tokenServer] = find(objects, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    assert.equal(
      envOf(tokenServer).get("TOLLGATE_ISSUER")?.value,
      "https://tollgate-token-server.tollgate-system.svc:8443",
    );
  });
});

describe("public routes serve the issuer's host", () => {
  test("HTTPRoute: attached to the named Gateways, the issuer's host by default, to the token server's Service", async () => {
    const objects = await renderChart([
      "issuer=https://auth.example.com",
      "httpRoute.enabled=true",
      "httpRoute.parentRefs[0].name=public",
      "httpRoute.parentRefs[0].namespace=gateway-system",
      "httpRoute.parentRefs[0].sectionName=https",
      "httpRoute.annotations.note=x",
    ]);
    const [route] = find(objects, "HTTPRoute", "tollgate-token-server");
    assert.ok(route);
    assert.equal(route.apiVersion, "gateway.networking.k8s.io/v1");
    assert.deepEqual(route.metadata.annotations, { note: "x" });
    assert.deepEqual(route.spec, {
      parentRefs: [{ name: "public", namespace: "gateway-system", sectionName: "https" }],
      hostnames: ["auth.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ name: "tollgate-token-server", port: 80 }],
        },
      ],
    });
    const more = await renderChart([
      "issuer=https://auth.example.com:8443/tenant",
      "httpRoute.enabled=true",
      "httpRoute.parentRefs[0].name=public",
      "httpRoute.hostnames={auth.example.com,auth.internal.example}",
    ]);
    const hostnames = (find(more, "HTTPRoute")[0]?.spec as { hostnames: string[] } | undefined)?.hostnames;
    assert.deepEqual(hostnames, ["auth.example.com", "auth.internal.example"]);
    assert.equal(find(await renderChart(), "HTTPRoute").length, 0, "off by default");
  });

  const refused: [string, string[], RegExp][] = [
    [
      "an Ingress host other than the issuer's",
      ["issuer=https://auth.example.com", "ingress.enabled=true", "ingress.host=login.example.com"],
      /ingress\.host \(login\.example\.com\) must serve the host of issuer \(https:\/\/auth\.example\.com\)/,
    ],
    [
      "an Ingress with the in-cluster issuer",
      ["ingress.enabled=true", "ingress.host=auth.example.com"],
      /ingress\.host .* issuer \(empty: the in-cluster Service URL\): set issuer=https:\/\/auth\.example\.com/,
    ],
    [
      "HTTPRoute hostnames without the issuer's",
      [
        "issuer=https://auth.example.com",
        "httpRoute.enabled=true",
        "httpRoute.parentRefs[0].name=gw",
        "httpRoute.hostnames={a.example}",
      ],
      /httpRoute\.hostnames \(a\.example\) must serve the host of issuer/,
    ],
    [
      "an HTTPRoute without a Gateway",
      ["issuer=https://auth.example.com", "httpRoute.enabled=true"],
      /httpRoute.*parentRefs/,
    ],
  ];
  for (const [name, set, message] of refused) test(`refused: ${name}`, () => assertRefused(set, message));
  test("the issuer's host with a port and a path matches its Ingress host", async () => {
    const set = [
      "issuer=https://auth.example.com:8443/tenant",
      "ingress.enabled=true",
      "ingress.host=auth.example.com",
    ];
    assert.equal(find(await renderChart(set), "Ingress").length, 1);
  });
});

describe("the conventions of the field's charts", () => {
  test("images: registry/repository:tag@digest, global.imageRegistry over each image's registry", async () => {
    const images = (objects: KubeObject[]) =>
      podOwners(objects).map((o) => `${o.metadata.name}=${podSpec(o).containers[0]?.image}`);
    assert.deepEqual(images(await renderChart()), [
      "tollgate-operator=ghcr.io/tollgate/tollgate:0.1.0",
      "tollgate-token-server=ghcr.io/tollgate/tollgate:0.1.0",
      "tollgate-redis=redis:7.0-bookworm",
      "tollgate-test-discovery=ghcr.io/tollgate/tollgate:0.1.0",
    ]);
    const digest = `sha256:${"ab".repeat(32)}`;
    const objects = await renderChart([
      "global.imageRegistry=mirror.example:5000",
      "image.tag=1.2.3",
      `image.digest=${digest}`,
      "redis.bundled.image.repository=valkey/valkey",
      "redis.bundled.image.tag=7.2",
    ]);
    assert.deepEqual(images(objects), [
      `tollgate-operator=mirror.example:5000/tollgate/tollgate:1.2.3@${digest}`,
      `tollgate-token-server=mirror.example:5000/tollgate/tollgate:1.2.3@${digest}`,
      "tollgate-redis=mirror.example:5000/valkey/valkey:7.2",
      `tollgate-test-discovery=mirror.example:5000/tollgate/tollgate:1.2.3@${digest}`,
    ]);
    const [operator] = images(await renderChart(["image.registry=", "image.repository=tollgate"]));
    assert.equal(operator, "tollgate-operator=tollgate:0.1.0", "an empty registry: the runtime's default");
  });

  test("imagePullSecrets on every pod, the helm test pod and Redis included, global ones first", async () => {
    const objects = await renderChart(["global.imagePullSecrets={shared}", "imagePullSecrets[0].name=own"]);
    const owners = podOwners(objects);
    assert.equal(owners.length, 4);
    for (const owner of owners)
      assert.deepEqual(podSpec(owner).imagePullSecrets, [{ name: "shared" }, { name: "own" }], owner.metadata.name);
    for (const owner of podOwners(await renderChart()))
      assert.equal(podSpec(owner).imagePullSecrets, undefined, "none by default");
  });

  test("commonLabels on every object and pod, never replacing the chart's own labels", async () => {
    const objects = await renderChart(["commonLabels.team=identity", "commonLabels.app\\.kubernetes\\.io/name=x"]);
    for (const object of objects) {
      assert.equal(object.metadata.labels?.team, "identity", `${object.kind}/${object.metadata.name}`);
      assert.equal(object.metadata.labels?.["app.kubernetes.io/name"], "tollgate");
    }
    for (const owner of podOwners(objects)) assert.equal(podMetadata(owner).labels?.team, "identity");
  });

  const components = {
    operator: "tollgate-operator",
    tokenServer: "tollgate-token-server",
    "redis.bundled": "tollgate-redis",
  };

  test("per component: pod labels and annotations, priority class, node selector, tolerations, affinity", async () => {
    const affinity =
      "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]";
    const set = Object.keys(components).flatMap((key) => [
      `${key}.podLabels.owner=${key}`,
      `${key}.podLabels.app\\.kubernetes\\.io/component=x`,
      `${key}.podAnnotations.note=${key}`,
      `${key}.priorityClassName=${key.replace(".", "-")}-critical`,
      `${key}.nodeSelector.pool=${key}`,
      `${key}.tolerations[0].key=dedicated`,
      `${key}.tolerations[0].operator=Exists`,
      `${key}.affinity.${affinity}.key=zone`,
      `${key}.affinity.${affinity}.operator=Exists`,
    ]);
    const objects = await renderChart(set);
    for (const [key, name] of Object.entries(components)) {
      const [workload] = find(objects, key === "redis.bundled" ? "StatefulSet" : "Deployment", name);
      assert.ok(workload, name);
      const { labels, annotations } = podMetadata(workload);
      assert.equal(labels?.owner, key);
      assert.equal(labels?.["app.kubernetes.io/component"], name.replace("tollgate-", ""), "selector labels win");
      assert.deepEqual(annotations, { note: key });
      const pod = podSpec(workload);
      assert.equal(pod.priorityClassName, `${key.replace(".", "-")}-critical`);
      assert.deepEqual(pod.nodeSelector, { pool: key });
      assert.deepEqual(pod.tolerations, [{ key: "dedicated", operator: "Exists" }]);
      assert.ok(JSON.stringify(pod.affinity).includes('"key":"zone"'), name);
    }
    const [testPod] = find(objects, "Pod");
    assert.ok(testPod, "the helm test pod");
    assert.deepEqual(
      podSpec(testPod).nodeSelector,
      { pool: "tokenServer" },
      "the helm test pod runs where the token server may",
    );
    assert.deepEqual(podSpec(testPod).tolerations, [{ key: "dedicated", operator: "Exists" }]);
    assert.equal(podSpec(testPod).priorityClassName, undefined);
    assert.equal(podSpec(testPod).topologySpreadConstraints, undefined);
    for (const owner of podOwners(await renderChart()).filter((o) => o.kind !== "Pod")) {
      const pod = podSpec(owner);
      assert.deepEqual(podMetadata(owner).annotations, undefined);
      for (const field of ["priorityClassName", "nodeSelector", "tolerations", "affinity"])
        assert.equal(pod[field], undefined, `${owner.metadata.name}: no ${field} by default`);
    }
  });

  test("trustedProxies: none by default; the listed CIDRs reach the token server as TOLLGATE_TRUSTED_PROXIES", async () => {
    const [plain] = find(await renderChart(), "Deployment", "tollgate-token-server");
    assert.ok(plain);
    assert.equal(envOf(plain).get("TOLLGATE_TRUSTED_PROXIES"), undefined);
    const [proxied] = find(
      await renderChart(["tokenServer.trustedProxies={10.244.0.0/16,fd00::/8}"]),
      "Deployment",
      "tollgate-token-server",
    );
    assert.ok(proxied);
    assert.equal(envOf(proxied).get("TOLLGATE_TRUSTED_PROXIES")?.value, "10.244.0.0/16,fd00::/8");
    await assert.rejects(renderChart(["tokenServer.trustedProxies={not-an-address}"]), /pattern/);
  });

  test("tokenServer.workloadIdentity: off by default; on, the issuer, audience, CA and discovery token reach the token server", async () => {
    const defaults = await renderChart();
    const [plain] = find(defaults, "Deployment", "tollgate-token-server");
    assert.ok(plain);
    assert.equal(envOf(plain).get("TOLLGATE_SERVICE_ACCOUNT_ISSUER"), undefined);
    assert.equal(find(defaults, "ClusterRoleBinding", "tollgate-token-server-issuer-discovery").length, 0);

    const on = await renderChart([
      "tokenServer.workloadIdentity.enabled=true",
      "tokenServer.workloadIdentity.audience=https://tollgate.example",
    ]);
    const [tokenServer] = find(on, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    const env = envOf(tokenServer);
    assert.equal(env.get("TOLLGATE_SERVICE_ACCOUNT_ISSUER")?.value, "https://kubernetes.default.svc.cluster.local");
    assert.equal(env.get("TOLLGATE_SERVICE_ACCOUNT_AUDIENCE")?.value, "https://tollgate.example");
    assert.equal(env.get("TOLLGATE_SERVICE_ACCOUNT_CA_FILE")?.value, "/var/run/tollgate/service-account-issuer/ca.crt");
    assert.equal(
      env.get("TOLLGATE_SERVICE_ACCOUNT_TOKEN_FILE")?.value,
      "/var/run/tollgate/service-account-issuer/token",
    );
    const pod = podSpec(tokenServer);
    assert.equal(pod.automountServiceAccountToken, false, "no automounted API credentials, still");
    const volume = (pod.volumes as { name: string; projected?: { sources: Record<string, unknown>[] } }[]).find(
      (v) => v.name === "service-account-issuer",
    );
    assert.deepEqual(volume?.projected?.sources, [
      { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
    ]);
    const [binding] = find(on, "ClusterRoleBinding", "tollgate-token-server-issuer-discovery");
    assert.deepEqual((binding as unknown as { roleRef: unknown }).roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "system:service-account-issuer-discovery",
    });
    assert.deepEqual((binding as unknown as { subjects: unknown }).subjects, [
      { kind: "ServiceAccount", name: "tollgate-token-server", namespace: "tollgate-system" },
    ]);

    const anonymous = await renderChart([
      "tokenServer.workloadIdentity.enabled=true",
      "tokenServer.workloadIdentity.discoveryAuth=anonymous",
      "tokenServer.workloadIdentity.caConfigMap=",
      "tokenServer.workloadIdentity.issuer=https://oidc.example.com/cluster-1",
    ]);
    const [anonymousServer] = find(anonymous, "Deployment", "tollgate-token-server");
    assert.ok(anonymousServer);
    assert.equal(
      envOf(anonymousServer).get("TOLLGATE_SERVICE_ACCOUNT_ISSUER")?.value,
      "https://oidc.example.com/cluster-1",
    );
    assert.equal(envOf(anonymousServer).get("TOLLGATE_SERVICE_ACCOUNT_TOKEN_FILE"), undefined);
    assert.equal(envOf(anonymousServer).get("TOLLGATE_SERVICE_ACCOUNT_CA_FILE"), undefined);
    assert.equal(find(anonymous, "ClusterRoleBinding", "tollgate-token-server-issuer-discovery").length, 0);
    await assert.rejects(renderChart(["tokenServer.workloadIdentity.issuer=http://plain.example"]), /pattern/);
    await assert.rejects(renderChart(["tokenServer.workloadIdentity.discoveryAuth=kubeconfig"]), /discoveryAuth/);
  });

  test("topologySpreadConstraints: operator and token server replicas spread across nodes by default, as a preference", async () => {
    const spread = (objects: KubeObject[], name: string) => {
      const [workload] = podOwners(objects).filter((o) => o.metadata.name === name);
      assert.ok(workload, name);
      return podSpec(workload).topologySpreadConstraints;
    };
    const defaults = await renderChart();
    for (const component of ["operator", "token-server"])
      assert.deepEqual(spread(defaults, `tollgate-${component}`), [
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "tollgate",
              "app.kubernetes.io/instance": "tollgate",
              "app.kubernetes.io/component": component,
            },
          },
        },
      ]);
    assert.equal(spread(defaults, "tollgate-redis"), undefined, "one Redis: nothing to spread");
    const custom = await renderChart([
      "tokenServer.topologySpreadConstraints[0].maxSkew=2",
      "tokenServer.topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
      "tokenServer.topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule",
      "tokenServer.topologySpreadConstraints[0].labelSelector.matchLabels.tier=auth",
      "operator.topologySpreadConstraints=null",
    ]);
    assert.deepEqual(spread(custom, "tollgate-token-server"), [
      {
        maxSkew: 2,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { tier: "auth" } },
      },
    ]);
    assert.equal(spread(custom, "tollgate-operator"), undefined);
  });

  test("extraEnv, extraArgs, extraVolumes and extraVolumeMounts per component, after the chart's own", async () => {
    const set = Object.keys(components).flatMap((key) => [
      `${key}.extraEnv[0].name=NODE_EXTRA_CA_CERTS`,
      `${key}.extraEnv[0].value=/etc/private-ca/ca.crt`,
      `${key}.extraArgs={--extra,${key}}`,
      `${key}.extraVolumes[0].name=private-ca`,
      `${key}.extraVolumes[0].configMap.name=private-ca`,
      `${key}.extraVolumeMounts[0].name=private-ca`,
      `${key}.extraVolumeMounts[0].mountPath=/etc/private-ca`,
    ]);
    const objects = await renderChart(set);
    const defaults = await renderChart();
    for (const [key, name] of Object.entries(components)) {
      const [workload] = podOwners(objects).filter((o) => o.metadata.name === name);
      const [plain] = podOwners(defaults).filter((o) => o.metadata.name === name);
      assert.ok(workload && plain, name);
      const [container] = podSpec(workload).containers;
      const [plainContainer] = podSpec(plain).containers;
      assert.deepEqual(container?.args, [...(plainContainer?.args ?? []), "--extra", key]);
      assert.deepEqual(container?.env?.at(-1), { name: "NODE_EXTRA_CA_CERTS", value: "/etc/private-ca/ca.crt" });
      assert.equal(container?.env?.length, (plainContainer?.env?.length ?? 0) + 1);
      assert.deepEqual(container?.volumeMounts?.at(-1), { name: "private-ca", mountPath: "/etc/private-ca" });
      const volumes = podSpec(workload).volumes as { name: string }[];
      assert.deepEqual(volumes.at(-1), { name: "private-ca", configMap: { name: "private-ca" } });
    }
  });

  test("namespaceOverride: every namespaced object, URL and RBAC subject in that namespace", async () => {
    const clusterScoped = [
      "ClusterRole",
      "ClusterRoleBinding",
      "CustomResourceDefinition",
      "ValidatingAdmissionPolicy",
      "ValidatingAdmissionPolicyBinding",
    ];
    for (const [set, namespace] of [
      [[], "tollgate-system"],
      [["namespaceOverride=identity"], "identity"],
    ] as const) {
      const objects = await renderChart([...set]);
      for (const object of objects.filter((o) => !clusterScoped.includes(o.kind)))
        assert.equal(object.metadata.namespace, namespace, `${object.kind}/${object.metadata.name}`);
      for (const object of objects.filter((o) => clusterScoped.includes(o.kind)))
        assert.equal(object.metadata.namespace, undefined);
      const [operator] = find(objects, "Deployment", "tollgate-operator");
      assert.ok(operator);
      assert.equal(envOf(operator).get("TOLLGATE_ISSUER")?.value, `http://tollgate-token-server.${namespace}.svc`);
      assert.equal(
        envOf(operator).get("TOLLGATE_REDIS_URL")?.value,
        `redis://tollgate-operator:$(REDIS_PASSWORD)@tollgate-redis.${namespace}.svc:6379`,
      );
      for (const binding of [...find(objects, "ClusterRoleBinding"), ...find(objects, "RoleBinding")])
        assert.deepEqual((binding as unknown as { subjects: unknown[] }).subjects, [
          { kind: "ServiceAccount", name: "tollgate-operator", namespace },
        ]);
    }
    const namespaced = await renderChart(["namespaceOverride=identity", "rbac.mode=namespaced"]);
    const roleNamespaces = find(namespaced, "Role", "tollgate-operator").map((r) => r.metadata.namespace);
    assert.deepEqual(roleNamespaces, ["identity"], "the managed namespaces include the override, not the release's");
  });

  test("serviceAccount per component: create, name, annotations", async () => {
    const serviceAccounts = (objects: KubeObject[]) =>
      Object.fromEntries(find(objects, "ServiceAccount").map((sa) => [sa.metadata.name, sa.metadata.annotations]));
    const accountOf = (objects: KubeObject[], name: string) => {
      const [deployment] = find(objects, "Deployment", name);
      assert.ok(deployment, name);
      return podSpec(deployment).serviceAccountName;
    };
    const defaults = await renderChart();
    assert.deepEqual(serviceAccounts(defaults), { "tollgate-operator": undefined, "tollgate-token-server": undefined });
    const identity = "iam.gke.io/gcp-service-account";
    const objects = await renderChart([
      `operator.serviceAccount.annotations.${identity.replaceAll(".", "\\.")}=tollgate@project.iam`,
      "operator.serviceAccount.name=tollgate-controller",
      "tokenServer.serviceAccount.create=false",
    ]);
    assert.deepEqual(serviceAccounts(objects), { "tollgate-controller": { [identity]: "tollgate@project.iam" } });
    assert.equal(accountOf(objects, "tollgate-operator"), "tollgate-controller");
    assert.equal(
      accountOf(objects, "tollgate-token-server"),
      "default",
      "not created, no name: the namespace's default",
    );
    for (const binding of [...find(objects, "ClusterRoleBinding"), ...find(objects, "RoleBinding")])
      assert.equal((binding as unknown as { subjects: { name: string }[] }).subjects[0]?.name, "tollgate-controller");
    const existing = await renderChart(["operator.serviceAccount.create=false", "operator.serviceAccount.name=ops"]);
    assert.deepEqual(Object.keys(serviceAccounts(existing)), ["tollgate-token-server"]);
    assert.equal(accountOf(existing, "tollgate-operator"), "ops");
  });

  test("extraObjects: objects and strings, both rendered with tpl", async () => {
    const objects = await renderChart([
      "extraObjects[0].apiVersion=v1",
      "extraObjects[0].kind=ConfigMap",
      "extraObjects[0].metadata.name=private-ca-for-{{ .Release.Name }}",
      "extraObjects[0].data.ca\\.crt=PEM",
      "extraObjects[1]=apiVersion: v1\nkind: ConfigMap\nmetadata: {name: proxy-{{ .Release.Name }}}",
    ]);
    assert.deepEqual(find(objects, "ConfigMap", "private-ca-for-tollgate")[0]?.data, { "ca.crt": "PEM" });
    assert.equal(find(objects, "ConfigMap", "proxy-tollgate").length, 1);
  });

  test("as a subchart: global (any keys) and enabled are accepted at the root", async () => {
    const set = ["enabled=true", "global.storageClass=fast", "global.imageRegistry=mirror.example"];
    for (const major of HELM_MAJORS) {
      const args = ["lint", "--strict", CHART_DIR, "--kube-version", "1.36.3"];
      const { code, output } = await helm([...args, ...set.flatMap((v) => ["--set", v])], major);
      assert.equal(code, 0, `helm ${major}: ${output}`);
    }
  });
});

describe("values.schema.json rejects bad values with a message naming the value", () => {
  const cases: [string, string[], RegExp][] = [
    ["unknown RBAC mode", ["rbac.mode=everywhere"], /rbac\.mode|rbac.*mode/],
    ["external Redis without a URL", ["redis.mode=external"], /redis.*external.*url/],
    [
      "a Redis URL with credentials in it",
      ["redis.mode=external", "redis.external.url=redis://user:pw@host"],
      /redis.*external.*url/,
    ],
    ["ingress without a host", ["ingress.enabled=true"], /ingress.*host/],
    ["an issuer with a trailing slash", ["issuer=https://auth.example.com/"], /issuer/],
    ["a misspelt key", ["operater.replicas=3"], /operater/],
    ["an image digest that is not one", ["image.digest=latest"], /image.*digest/],
    ["a pull secret without a name", ["imagePullSecrets[0].nam=x"], /imagePullSecrets/],
    [
      "a spread constraint without a topology key",
      [
        "operator.topologySpreadConstraints[0].maxSkew=1",
        "operator.topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway",
      ],
      /operator.*topologySpreadConstraints/,
    ],
    ["an extraEnv entry without a name", ["tokenServer.extraEnv[0].value=x"], /tokenServer.*extraEnv/],
    ["zero replicas", ["operator.replicas=0"], /operator.*replicas/],
  ];
  for (const [name, set, message] of cases) test(name, () => assertRefused(set, message));
});

describe("the CRD as a template: crds.install, crds.keep", () => {
  const FILES = ["tollgate.dev_oauthclients.yaml", "tollgate.dev_oauthclientpolicies.yaml"];
  const source = (file: string) => readFileSync(new URL(`../../crds/${file}`, import.meta.url), "utf8");

  test("the chart's copy is crds/, unchanged", () => {
    for (const file of FILES) {
      const shipped = readFileSync(`${CHART_DIR}/files/crds/${file}`, "utf8");
      assert.equal(shipped, source(file), "run `npm run chart:sync-crds` after changing crds/");
    }
  });

  test("rendered: each of crds/ itself plus the release's labels and, by default, helm.sh/resource-policy: keep", async () => {
    const crds = find(await renderChart(), "CustomResourceDefinition");
    assert.equal(crds.length, FILES.length);
    for (const file of FILES) {
      const { metadata: sourceMetadata, ...sourceRest } = parse(source(file)) as KubeObject;
      const crd = crds.find((c) => c.metadata.name === sourceMetadata.name);
      assert.ok(crd, sourceMetadata.name);
      const { metadata, ...rest } = crd;
      assert.deepEqual(rest, sourceRest, "the same CRD, field for field");
      assert.deepEqual(metadata.annotations, { "helm.sh/resource-policy": "keep" });
      assert.equal(metadata.labels?.["app.kubernetes.io/instance"], "tollgate");
      assert.equal(metadata.labels?.["app.kubernetes.io/component"], "crd");
      assert.equal(metadata.namespace, undefined, "cluster-scoped");
    }
  });

  test("crds.keep=false: uninstalling deletes it; crds.install=false: not in the release", async () => {
    const [crd] = find(await renderChart(["crds.keep=false"]), "CustomResourceDefinition");
    assert.equal(crd?.metadata.annotations, undefined);
    assert.equal(find(await renderChart(["crds.install=false"]), "CustomResourceDefinition").length, 0);
  });
});

describe("Chart.yaml metadata and the LICENSE", () => {
  const chart = parse(readFileSync(`${CHART_DIR}/Chart.yaml`, "utf8")) as {
    sources: string[];
    icon: string;
    maintainers: { name: string }[];
    annotations: Record<string, string>;
  };
  const annotation = (key: string) => parse(chart.annotations[`artifacthub.io/${key}`] ?? "null") as unknown;

  test("sources, maintainers and the license the repository declares", () => {
    assert.ok(chart.sources.length > 0 && chart.maintainers.length > 0);
    const license = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).license;
    assert.equal(chart.annotations["artifacthub.io/license"], license);
    const text = readFileSync(new URL("../../LICENSE", import.meta.url), "utf8");
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
  });

  test("the icon is an SVG in this repository, at the path its URL names on the main branch", () => {
    const source = chart.sources[0]?.replace("https://github.com/", "https://raw.githubusercontent.com/");
    assert.ok(source && chart.icon.startsWith(`${source}/main/`), chart.icon);
    const path = chart.icon.slice(`${source}/main/`.length);
    assert.match(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"), /^<svg /);
  });

  test("Artifact Hub's image list is the images the chart runs by default", async () => {
    const rendered = new Set(podOwners(await renderChart()).map((o) => podSpec(o).containers[0]?.image));
    const listed = (annotation("images") as { image: string }[]).map((i) => i.image);
    assert.deepEqual(listed.sort(), [...rendered].sort());
  });

  test("Artifact Hub's CRD list and example name the chart's CRDs", async () => {
    const crds = find(await renderChart(), "CustomResourceDefinition").map((crd) => {
      const spec = crd.spec as { names: { kind: string }; group: string; versions: { name: string }[] };
      return [spec.names.kind, spec.versions[0]?.name, crd.metadata.name];
    });
    const listed = annotation("crds") as { kind: string; version: string; name: string }[];
    assert.deepEqual(
      listed.map((l) => [l.kind, l.version, l.name]),
      crds,
    );
    for (const example of annotation("crdsExamples") as KubeObject[])
      assert.ok(
        crds.some(([kind, version]) => example.kind === kind && example.apiVersion === `tollgate.dev/${version}`),
        example.kind,
      );
  });
});

describe("the registrar (dynamic client registration)", () => {
  test("off by default; on: its own ServiceAccount, Deployment, Service, key Secret and /register routes", async () => {
    const defaults = await renderChart();
    assert.equal(
      defaults.filter((o) => o.metadata.labels?.["app.kubernetes.io/component"] === "registrar").length,
      0,
      "nothing of the registrar unless registrar.enabled",
    );
    const objects = await renderChart([
      "registrar.enabled=true",
      "registrar.replicas=2",
      "registrar.port=8099",
      "registrar.readyTimeoutSeconds=45",
      "registrar.logLevel=debug",
      "registrar.service.port=8081",
      "registrar.resources.limits.memory=256Mi",
      "registrar.podLabels.owner=platform",
      "registrar.podAnnotations.note=x",
      "registrar.extraArgs={--log-level,warn}",
      "registrar.serviceAccount.annotations.example\\.com/role=dcr",
      "ingress.enabled=true",
      "ingress.host=auth.example.com",
      "ingress.tlsSecretName=auth-tls",
      "issuer=https://auth.example.com",
      "httpRoute.enabled=true",
      "httpRoute.parentRefs[0].name=public",
    ]);
    const [deployment] = find(objects, "Deployment", "tollgate-registrar");
    assert.ok(deployment);
    assert.equal((deployment.spec as { replicas: number }).replicas, 2);
    const pod = podSpec(deployment);
    assert.equal(pod.serviceAccountName, "tollgate-registrar");
    const container = pod.containers[0] as unknown as {
      args: string[];
      ports: { containerPort: number }[];
      resources: { limits: { memory: string } };
      volumeMounts: { name: string; mountPath: string }[];
    };
    assert.deepEqual(container.args, ["registrar", "--log-level", "warn"]);
    assert.equal(container.ports[0]?.containerPort, 8099);
    assert.equal(container.resources.limits.memory, "256Mi");
    const env = envOf(deployment);
    assert.equal(env.get("TOLLGATE_REGISTRAR_PORT")?.value, "8099");
    assert.equal(env.get("TOLLGATE_REGISTRAR_READY_TIMEOUT")?.value, "45s");
    assert.equal(env.get("TOLLGATE_REGISTRAR_LOG_LEVEL")?.value, "debug");
    assert.equal(env.get("TOLLGATE_REGISTRAR_REGISTRATION_ENDPOINT")?.value, "https://auth.example.com/register");
    assert.equal(env.get("TOLLGATE_REGISTRAR_KEY_FILE")?.value, "/var/run/tollgate/registrar-key/key");
    const [tokenServer] = find(objects, "Deployment", "tollgate-token-server");
    assert.ok(tokenServer);
    assert.equal(
      envOf(tokenServer).get("TOLLGATE_REGISTRATION_ENDPOINT")?.value,
      "https://auth.example.com/register",
      "the token server advertises it in discovery",
    );
    const [plainTokenServer] = find(defaults, "Deployment", "tollgate-token-server");
    assert.ok(plainTokenServer);
    assert.equal(envOf(plainTokenServer).get("TOLLGATE_REGISTRATION_ENDPOINT"), undefined);
    assert.deepEqual(podMetadata(deployment).labels?.owner, "platform");
    assert.deepEqual(podMetadata(deployment).annotations, { note: "x" });
    const [key] = find(objects, "Secret", "tollgate-registrar-key");
    assert.ok(key);
    assert.ok(Buffer.from(String((key as { data?: { key?: string } }).data?.key), "base64").length >= 32);
    const [service] = find(objects, "Service", "tollgate-registrar");
    assert.ok(service);
    assert.deepEqual((service.spec as { ports: unknown[] }).ports, [{ name: "http", port: 8081, targetPort: "http" }]);
    const [account] = find(objects, "ServiceAccount", "tollgate-registrar");
    assert.deepEqual(account?.metadata.annotations, { "example.com/role": "dcr" });
    const [ingress] = find(objects, "Ingress");
    assert.ok(ingress);
    const paths = (ingress.spec as { rules: { http: { paths: { path: string; backend: unknown }[] } }[] }).rules[0]
      ?.http.paths;
    assert.deepEqual(
      paths?.map((p) => [p.path, (p.backend as { service: { name: string } }).service.name]),
      [
        ["/register", "tollgate-registrar"],
        ["/", "tollgate-token-server"],
      ],
    );
    const [route] = find(objects, "HTTPRoute");
    assert.ok(route);
    const rules = (route.spec as { rules: { matches: { path: { value: string } }[]; backendRefs: unknown[] }[] }).rules;
    assert.deepEqual(
      rules.map((r) => [r.matches[0]?.path.value, r.backendRefs]),
      [
        ["/register", [{ name: "tollgate-registrar", port: 8081 }]],
        ["/", [{ name: "tollgate-token-server", port: 80 }]],
      ],
    );
  });

  test("RBAC: TokenReviews, impersonation of users, groups, ServiceAccounts and uids, reading OAuthClients; nothing else", async () => {
    const objects = await renderChart(["registrar.enabled=true"]);
    const [role] = find(objects, "ClusterRole", "tollgate-registrar");
    assert.deepEqual((role as { rules?: unknown }).rules, [
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: [""], resources: ["users", "groups", "serviceaccounts"], verbs: ["impersonate"] },
      { apiGroups: ["authentication.k8s.io"], resources: ["uids"], verbs: ["impersonate"] },
      { apiGroups: ["tollgate.dev"], resources: ["oauthclients"], verbs: ["get"] },
    ]);
    const [binding] = find(objects, "ClusterRoleBinding", "tollgate-registrar");
    assert.deepEqual((binding as { subjects?: unknown }).subjects, [
      { kind: "ServiceAccount", name: "tollgate-registrar", namespace: "tollgate-system" },
    ]);
    const [operator] = find(objects, "ClusterRole", "tollgate-operator");
    assert.ok(
      !JSON.stringify(operator).includes("impersonate"),
      "the operator, which holds the registry, cannot impersonate",
    );
    const inCluster = await renderChart(["registrar.enabled=true", "registrar.service.port=8081"]);
    const [deployment] = find(inCluster, "Deployment", "tollgate-registrar");
    assert.ok(deployment);
    assert.equal(
      envOf(deployment).get("TOLLGATE_REGISTRAR_REGISTRATION_ENDPOINT")?.value,
      "http://tollgate-registrar.tollgate-system.svc:8081/register",
    );
    const explicit = await renderChart([
      "registrar.enabled=true",
      "registrar.endpoint=https://dcr.example.com/register",
    ]);
    const [explicitDeployment] = find(explicit, "Deployment", "tollgate-registrar");
    assert.ok(explicitDeployment);
    assert.equal(
      envOf(explicitDeployment).get("TOLLGATE_REGISTRAR_REGISTRATION_ENDPOINT")?.value,
      "https://dcr.example.com/register",
    );
    await assert.rejects(renderChart(["registrar.enabled=true", "registrar.readyTimeoutSeconds=0"]), /minimum/);
  });
});
