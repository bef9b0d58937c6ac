// `npm test` step one: everything the tests need, checked before any test runs, so a
// fresh machine fails in the first second with the fix instead of twenty minutes in.
//   - Node.js 24 (the project brings it: the `node` devDependency);
//   - the Debian packages the integration tests start or call. As root on Debian they
//     are installed here, non-interactively; otherwise the exact command is printed;
//   - the test control plane and node binaries, built from the official Go modules
//     (test/control-plane/build.sh, cached by version);
//   - promtool, for the chart's alert rules (test/promtool/build.sh, cached by version);
//   - the container images the tests run (test/image/build.sh, cached by input hash).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Debian package → what needs it. One list: .ci/run and the README name no other. */
export const DEBIAN_PACKAGES: Record<string, string> = {
  "redis-server": "the tests' private Redis servers and Redis Clusters",
  "redis-sentinel": "the tests' Sentinel groups (failover of a replicated Redis)",
  chromium: "the authorization code flow in a real browser",
  xmlsec1: "signing SAML assertions independently",
  openssl: "test certificates",
  podman: "building the image from the Dockerfile (with runc)",
  runc: "the container runtime of podman and of the node's containerd",
  containerd: "the test node's container runtime",
  "containernetworking-plugins": "pod networking on the test node (bridge, host-local, portmap, loopback)",
  debootstrap: "the local Debian base image (node:24-bookworm-slim recreated)",
  "debian-archive-keyring": "debootstrap's check of the Debian mirror's signatures",
  "busybox-static": "the test node's pause image",
  iptables: "Services on the test node (kube-proxy) and pod masquerading",
  conntrack: "kube-proxy's connection tracking cleanup",
  iproute2: "the test node's address and bridge",
  "ca-certificates": "npm inside the image build",
  "lua5.1": "the Argo CD health check, in the Lua version Argo CD runs (gopher-lua is Lua 5.1)",
};

const root = join(import.meta.dirname, "..");

function step(title: string): void {
  console.log(`== ${title}`);
}

function checkNode(): void {
  const major = Number(process.versions.node.split(".")[0]);
  if (major !== 24) {
    console.error(
      `Tollgate needs Node.js 24 LTS; this is ${process.version}. Run through npm scripts (npm test, npm start).`,
    );
    process.exit(1);
  }
  console.log(`node ${process.version}`);
}

function missingDebianPackages(): string[] {
  return Object.keys(DEBIAN_PACKAGES).filter(
    (pkg) =>
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).stdout !== "install ok installed",
  );
}

function ensureDebianPackages(): void {
  if (!existsSync("/usr/bin/dpkg-query")) {
    console.log("not Debian: make sure these are installed:", Object.keys(DEBIAN_PACKAGES).join(" "));
    return;
  }
  const missing = missingDebianPackages();
  if (missing.length === 0) {
    console.log("Debian packages: all present");
    return;
  }
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    console.error(`missing Debian packages:\n${missing.map((p) => `  ${p}: ${DEBIAN_PACKAGES[p]}`).join("\n")}`);
    console.error(`install them as root:\n  ${command}`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env });
  // The packages start system services; the tests run their own on private sockets and ports.
  for (const service of ["redis-server", "containerd"]) spawnSync("service", [service, "stop"], { stdio: "ignore" });
  const still = missingDebianPackages();
  if (still.length > 0) {
    console.error(`still missing after apt-get install: ${still.join(" ")}`);
    process.exit(1);
  }
}

function run(script: string): void {
  execFileSync("bash", [join(root, script)], { stdio: ["ignore", "ignore", "inherit"] });
}

checkNode();
step("Debian packages");
ensureDebianPackages();
step("test control plane and node (test/control-plane/build.sh; cached by version)");
run("test/control-plane/build.sh");
step("promtool (test/promtool/build.sh; cached by version)");
run("test/promtool/build.sh");
step("images (test/image/build.sh; cached by input hash)");
run("test/image/build.sh");
