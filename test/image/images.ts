// The images Tollgate ships and tests, built by test/image/build.sh (podman, no registry;
// cached by a hash of their inputs, so a second call costs a few seconds). Tests and the node
// harness call buildImages() and get, for each image, its name in podman's storage and a
// docker-archive that `ctr -n k8s.io images import` loads.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface BuiltImage {
  /** The image's name in podman's storage, e.g. localhost/tollgate:0123456789ab. */
  ref: string;
  /** A docker-archive (podman save) under $TOLLGATE_CACHE/images/. */
  archive: string;
  /** Bytes, as `podman image inspect --format '{{.Size}}'` reports them. */
  size: number;
}

export interface BuiltImages {
  /** docker.io/library/node:24-bookworm-slim, recreated here: the Dockerfile's base. */
  base: BuiltImage;
  /** docker.io/library/redis:7.0-bookworm: Debian's redis-server, for the chart's bundled Redis. */
  redis: BuiltImage;
  /** The Dockerfile's image, localhost/tollgate:<hash12> (also tagged localhost/tollgate:test). */
  tollgate: BuiltImage;
}

const script = fileURLToPath(new URL("./build.sh", import.meta.url));

/** Builds (or finds) the three images; build.sh's progress goes to this process's stderr. */
export function buildImages(): BuiltImages {
  const stdout = execFileSync("bash", [script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1024 * 1024,
  });
  const images: Partial<BuiltImages> = {};
  for (const line of stdout.split("\n").filter(Boolean)) {
    const match = /^(base|redis|tollgate)=(\S+) (\S+) (\d+)$/.exec(line);
    if (!match) throw new Error(`unexpected line from ${script}: ${line}`);
    const [, name, ref, archive, size] = match as unknown as [string, keyof BuiltImages, string, string, string];
    images[name] = { ref, archive, size: Number(size) };
  }
  const { base, redis, tollgate } = images;
  if (!base || !redis || !tollgate) throw new Error(`${script} did not report every image:\n${stdout}`);
  return { base, redis, tollgate };
}

/**
 * The flags every `podman run` needs on these machines: runc (crun fails on the hybrid
 * cgroup v1 layout) and explicit rlimits at or below this process's hard limits (root
 * lacks CAP_SYS_RESOURCE, so podman's defaults are refused; runc also refuses nproc
 * above 32768 here). build.sh passes the same to `podman build`.
 */
export function podmanRunFlags(): string[] {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const hard = (name: string, fallback: number, cap: number): number => {
    const value = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, "m").exec(limits)?.[1];
    const n = value === undefined || value === "unlimited" ? fallback : Number(value);
    return Math.min(n, cap);
  };
  const nofile = hard("Max open files", 1_048_576, 1_048_576);
  const nproc = hard("Max processes", 32_768, 32_768);
  return ["--runtime", "runc", "--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`];
}

/** The chart values that install a built image as a user's registry copy would be: no pull (the node has it imported). */
export function chartImageValues(image: BuiltImage): string[] {
  const match = /^([^/]+)\/(.+):([^:/]+)$/.exec(image.ref);
  if (!match) throw new Error(`not a registry/repository:tag image name: ${image.ref}`);
  const [, registry, repository, tag] = match;
  return [`image.registry=${registry}`, `image.repository=${repository}`, `image.tag=${tag}`, "image.pullPolicy=Never"];
}
