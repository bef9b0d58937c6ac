// The node's own images, made here because no registry is reachable: a busybox image
// (Debian's static busybox) that is both the pod sandbox ("pause") image and a tool
// image for tests, and a CoreDNS image (the static binary build.sh makes, plus a
// Corefile). Each is a plain root filesystem tar turned into an image by
// `podman import` and saved as a docker-archive for `ctr images import`; the archives
// are cached by a hash of their inputs next to the binaries' cache.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface NodeImage {
  /** The reference the image carries inside the node's containerd, e.g. localhost/tollgate-test/busybox:0123abcd. */
  ref: string;
  /** A docker-archive tar for `ctr images import`. */
  archive: string;
}

const cacheDir = join(process.env.TOLLGATE_CACHE ?? join(homedir(), ".cache", "tollgate"), "images");

/** Where the CoreDNS container listens: an unprivileged port, so it runs as nobody with no capability. */
export const COREDNS_PORT = 1053;

// `pods insecure` answers A records for pod IPs (a-b-c-d.ns.pod); `forward` sends the rest
// to the host's resolver (dnsPolicy Default gives the pod the host's resolv.conf).
const corefile = `.:${COREDNS_PORT} {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    forward . /etc/resolv.conf
    cache 5
    loop
}
`;

/**
 * Debian's static busybox with every applet linked in /bin. Its default command sleeps
 * forever, which is all a pod sandbox ("pause") container has to do; tests run
 * `busybox httpd`, `wget`, `sh` and so on from it with an explicit command.
 */
export function busyboxImage(busybox = "/bin/busybox"): NodeImage {
  if (!existsSync(busybox)) throw new Error(`${busybox} is missing: apt-get install busybox-static`);
  const binary = readFileSync(busybox);
  return cachedImage("busybox", [binary, "busybox-1"], (root) => {
    mkdirSync(join(root, "bin"));
    writeFileSync(join(root, "bin", "busybox"), binary, { mode: 0o755 });
    const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
    baseFiles(root);
    return ['CMD ["/bin/busybox", "sleep", "2147483647"]'];
  });
}

/** CoreDNS from build.sh's cache, with the Corefile above at /Corefile. */
export function corednsImage(binDir: string): NodeImage {
  const binary = readFileSync(join(binDir, "coredns"));
  return cachedImage("coredns", [binary, corefile], (root) => {
    writeFileSync(join(root, "coredns"), binary, { mode: 0o755 });
    writeFileSync(join(root, "Corefile"), corefile);
    baseFiles(root);
    return ['ENTRYPOINT ["/coredns"]', 'CMD ["-conf", "/Corefile"]', `EXPOSE ${COREDNS_PORT}/udp`];
  });
}

function baseFiles(root: string): void {
  mkdirSync(join(root, "etc"));
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  mkdirSync(join(root, "tmp"));
  chmodSync(join(root, "tmp"), 0o1777);
}

function cachedImage(name: string, inputs: (Buffer | string)[], fill: (root: string) => string[]): NodeImage {
  const hash = createHash("sha256");
  for (const input of inputs) hash.update(input).update("\0");
  const tag = hash.digest("hex").slice(0, 12);
  const ref = `localhost/tollgate-test/${name}:${tag}`;
  const archive = join(cacheDir, `${name}-${tag}.tar`);
  if (existsSync(archive)) return { ref, archive };
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, `.${name}-`));
  try {
    const root = join(work, "root");
    mkdirSync(root);
    const changes = fill(root);
    const tar = join(work, "rootfs.tar");
    execFileSync("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", tar, "."]);
    // `podman import` runs no container, so none of the runc and ulimit care a `podman run` needs.
    execFileSync("podman", ["import", ...changes.flatMap((c) => ["--change", c]), tar, ref], { stdio: "ignore" });
    try {
      execFileSync("podman", ["save", "--format", "docker-archive", "-o", join(work, "image.tar"), ref], {
        stdio: "ignore",
      });
    } finally {
      execFileSync("podman", ["rmi", "--force", ref], { stdio: "ignore" });
    }
    renameSync(join(work, "image.tar"), archive);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ref, archive };
}
