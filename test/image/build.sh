#!/usr/bin/env bash
# Builds, with podman, the images Tollgate ships and tests, without any image registry:
#
#   base      docker.io/library/node:24-bookworm-slim  the Dockerfile's base, recreated here: a Debian
#             bookworm minbase root filesystem (debootstrap, from the mirror apt uses), the Node 24
#             binary the project brings (node_modules/node), npm from the npm registry, a `node` user
#             (1000:1000), CMD ["node"]; `podman import`ed.
#   redis     docker.io/library/redis:7.0-bookworm     Debian's redis-server in the same minbase; the
#             entrypoint runs redis-server when the arguments are flags, redis-cli is on PATH.
#   tollgate  localhost/tollgate:<hash12>, also tagged localhost/tollgate:test: the repository's
#             Dockerfile, built unchanged (npm's CA bundle and npmrc mounted as build secrets only).
#
# Usage: test/image/build.sh [base|redis|tollgate ...]     (default: all three; tollgate implies base)
#
# Output contract: stdout carries one line per image built or found, in the order base, redis,
# tollgate, and nothing else:
#
#   <name>=<ref> <archive> <size>
#
# <ref> is the image's name in podman's storage, <archive> a docker-archive (`podman save`) that
# `ctr -n k8s.io images import` loads (the tollgate archive carries both of its tags), <size> the
# image size in bytes (`podman image inspect --format '{{.Size}}'`). Progress goes to stderr.
#
# Cache: each image is labelled dev.tollgate.inputs=<sha256 of its inputs> and skipped when podman
# already holds it with that label (base, redis) or that tag (tollgate); a missing image whose
# archive exists is `podman load`ed. Archives live in ${TOLLGATE_CACHE:-$HOME/.cache/tollgate}/images/
# (the two newest of each kind are kept). Inputs: this script (every image); the apt sources and
# the Node binary and NPM_VERSION (base); the base's hash and every file the build context sends,
# i.e. the checkout filtered by .dockerignore, including Dockerfile and .dockerignore (tollgate).
# The Debian root filesystem itself is cached as a tar in ${TOLLGATE_CACHE}/image-build/.
#
# Needs root, and the Debian packages podman, runc, debootstrap (and util-linux for flock).
set -euo pipefail

NPM_VERSION="${NPM_VERSION:-11.21.2}"
SUITE=bookworm
BASE_REF=docker.io/library/node:24-bookworm-slim
REDIS_REF=docker.io/library/redis:7.0-bookworm
TOLLGATE_REPO=localhost/tollgate
LABEL=dev.tollgate.inputs
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SCRIPT_HASH="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-64)"
CACHE="${TOLLGATE_CACHE:-$HOME/.cache/tollgate}"
IMAGES="$CACHE/images"
WORK="$CACHE/image-build"

log() { printf '[image] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
sha() { sha256sum | cut -c1-64; }
now() { date +%s; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, podman's root storage)"
for tool in podman runc debootstrap chroot flock sha256sum tar; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install podman runc debootstrap"
done

mkdir -p "$IMAGES" "$WORK"
exec 9>"$WORK/.lock"
flock 9 # one build at a time: tests and the node harness may call this concurrently

TMP="$(mktemp -d "$WORK/tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# podman run/build flags this machine needs: runc (crun fails on hybrid cgroup v1), and explicit
# rlimits no higher than ours (root lacks CAP_SYS_RESOURCE; runc also refuses nproc above 32768).
hard_nofile="$(ulimit -Hn)"
hard_nproc="$(ulimit -Hu)"
[ "$hard_nofile" = unlimited ] && hard_nofile=1048576
[ "$hard_nproc" = unlimited ] || [ "$hard_nproc" -gt 32768 ] && hard_nproc=32768
PODMAN_FLAGS=(--runtime runc --ulimit "nofile=$hard_nofile:$hard_nofile" --ulimit "nproc=$hard_nproc:$hard_nproc")

label_of() { podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }
size_of() { podman image inspect --format '{{.Size}}' "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# save REF ARCHIVE [MORE_REFS...]: a docker-archive next to the others; older ones of that kind pruned.
save() {
  local ref="$1" archive="$2"
  shift 2
  if [ ! -s "$archive" ]; then
    log "saving $ref to $archive"
    rm -f "$archive.part"
    podman save --quiet --format docker-archive -o "$archive.part" "$ref" "$@" >&2
    mv "$archive.part" "$archive"
  fi
  local prefix
  prefix="$(basename "$archive" | sed -E 's/-[0-9a-f]{12}\.tar$//')"
  # shellcheck disable=SC2012 # names are ours, no odd characters
  ls -t "$IMAGES/$prefix"-????????????.tar 2>/dev/null | tail -n +3 | xargs -r rm -f
}

# report NAME REF ARCHIVE: the contract's stdout line, and the size for people.
report() {
  local size
  size="$(size_of "$2")"
  log "$1: $2 $(mib "$size")"
  printf '%s=%s %s %s\n' "$1" "$2" "$3" "$size"
}

# ---------------------------------------------------------------------------------------------
# The Debian bookworm minbase root filesystem, from the mirror and suites apt uses on this machine.

apt_sources_file() {
  if [ -s /etc/apt/sources.list.d/debian.sources ]; then
    echo /etc/apt/sources.list.d/debian.sources
  elif [ -s /etc/apt/sources.list ]; then
    echo /etc/apt/sources.list
  else
    die "no Debian apt sources (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)"
  fi
}

debian_mirror() {
  local file
  file="$(apt_sources_file)"
  if [[ "$file" == *.sources ]]; then
    awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" } {
      uris = ""; ok = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uris = a[2] }
        if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
      }
      if (ok && uris != "") { print uris; exit }
    }' "$file"
  else
    awk -v suite="$SUITE" '$1 == "deb" { sub(/\[[^]]*\] */, ""); if ($3 == suite) { print $2; exit } }' "$file"
  fi
}

# The apt and dpkg settings of Debian's official slim images: no docs, man pages or locales
# installed later either, no package caches kept.
slim_config() {
  local root="$1"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
}

# Everything an image does not need: package lists and caches, docs, logs, the host's files.
slim_clean() {
  local root="$1"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* \
    "$root"/usr/share/lintian/* "$root"/usr/share/linda/* "$root"/usr/share/locale/* "$root"/tmp/* \
    "$root"/root/.cache "$root"/usr/sbin/policy-rc.d "$root"/etc/hostname
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/var/log" -type f -delete
  : >"$root/etc/resolv.conf"
}

# chroot_apt ROOT ARGS...: apt-get in the root filesystem, with this machine's DNS, no services started.
chroot_apt() {
  local root="$1"
  shift
  echo "== apt-get $*" >>"$WORK/apt.log"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  if ! DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -q -o Dpkg::Use-Pty=0 "$@" >>"$WORK/apt.log" 2>&1; then
    tail -n 30 "$WORK/apt.log" >&2
    die "apt-get $* failed (log: $WORK/apt.log)"
  fi
}

DEBIAN_TAR=""
debian_rootfs() {
  local sources mirror hash root started
  sources="$(apt_sources_file)"
  mirror="$(debian_mirror)"
  [ -n "$mirror" ] || die "no $SUITE mirror in $sources"
  hash="$(printf '%s\n' "$SCRIPT_HASH" "$SUITE" "$mirror" "$(cat "$sources")" | sha)"
  DEBIAN_TAR="$WORK/debian-$SUITE-minbase-${hash:0:12}.tar"
  [ -s "$DEBIAN_TAR" ] && return
  started="$(now)"
  root="$TMP/debian"
  log "debootstrap --variant=minbase $SUITE from $mirror (log: $WORK/debootstrap.log)"
  if ! debootstrap --variant=minbase --arch=amd64 "$SUITE" "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  # The image's apt sources are this machine's (with its updates and security suites).
  rm -f "$root/etc/apt/sources.list"
  cp "$sources" "$root/etc/apt/sources.list.d/"
  slim_config "$root"
  log "apt-get upgrade in the root filesystem (updates and security suites)"
  chroot_apt "$root" update
  chroot_apt "$root" -y upgrade
  slim_clean "$root"
  tar --numeric-owner --xattrs -C "$root" -cf "$DEBIAN_TAR.part" .
  mv "$DEBIAN_TAR.part" "$DEBIAN_TAR"
  rm -rf "$root"
  # shellcheck disable=SC2012
  ls -t "$WORK"/debian-"$SUITE"-minbase-????????????.tar | tail -n +2 | xargs -r rm -f
  log "Debian root filesystem: $(du -h "$DEBIAN_TAR" | cut -f1) in $(($(now) - started)) s"
}

# unpack_debian DIR: a fresh copy of the Debian root filesystem.
unpack_debian() {
  mkdir -p "$1"
  tar --numeric-owner --xattrs -xpf "$DEBIAN_TAR" -C "$1"
}

# import_rootfs DIR REF CHANGES...: DIR as a single-layer image (without the /dev nodes debootstrap made).
import_rootfs() {
  local root="$1" ref="$2"
  shift 2
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  tar --numeric-owner --xattrs -C "$root" --exclude='./dev/*' -cf "$TMP/rootfs.tar" .
  podman import --quiet "${changes[@]}" "$TMP/rootfs.tar" "$ref" >/dev/null
  rm -f "$TMP/rootfs.tar"
}

# ---------------------------------------------------------------------------------------------
# base: node:24-bookworm-slim as the official image lays it out.

NODE_BIN="$(readlink -f "$ROOT/node_modules/node/bin/node" 2>/dev/null || true)"
BASE_HASH=""
base_hash() {
  [ -x "$NODE_BIN" ] || die "node_modules/node/bin/node is missing: run npm install first"
  BASE_HASH="$(printf '%s\n' "$SCRIPT_HASH" base "$(sha256sum <"$NODE_BIN")" "$NPM_VERSION" \
    "$(cat "$(apt_sources_file)")" | sha)"
}

build_base() {
  base_hash
  local archive="$IMAGES/node-24-bookworm-slim-${BASE_HASH:0:12}.tar"
  if [ "$(label_of "$BASE_REF")" != "$BASE_HASH" ]; then
    if [ -s "$archive" ]; then
      log "loading $BASE_REF from $archive"
      podman load --quiet -i "$archive" >&2
    fi
  fi
  if [ "$(label_of "$BASE_REF")" != "$BASE_HASH" ]; then
    local started node_version root="$TMP/base"
    started="$(now)"
    node_version="$("$NODE_BIN" --version)"
    [[ "$node_version" == v24.* ]] || die "node_modules/node is $node_version, not Node 24"
    debian_rootfs
    local npm_tgz="$WORK/npm-$NPM_VERSION.tgz"
    if [ ! -s "$npm_tgz" ]; then
      command -v npm >/dev/null || die "npm is missing (it fetches npm@$NPM_VERSION for the base image)"
      log "npm pack npm@$NPM_VERSION"
      (cd "$TMP" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
      mv "$TMP/npm-$NPM_VERSION.tgz" "$npm_tgz"
    fi
    log "building $BASE_REF: Node $node_version, npm $NPM_VERSION"
    unpack_debian "$root"
    install -m 0755 "$NODE_BIN" "$root/usr/local/bin/node"
    ln -s node "$root/usr/local/bin/nodejs"
    mkdir -p "$root/usr/local/lib/node_modules/npm"
    tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    chroot "$root" groupadd --gid 1000 node
    chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    # As the official image: a first argument that is a flag or no command runs node.
    cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
    chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
    log "smoke test: node $(chroot "$root" /usr/local/bin/node --version), npm $(chroot "$root" /usr/local/bin/node /usr/local/bin/npm --version)"
    rm -rf "$root/root/.npm" "$root/tmp/"*
    import_rootfs "$root" "$BASE_REF" "ENV PATH=$IMAGE_PATH" "ENV NODE_VERSION=${node_version#v}" \
      'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["node"]' "LABEL $LABEL=$BASE_HASH"
    rm -rf "$root"
    log "base built in $(($(now) - started)) s"
  fi
  save "$BASE_REF" "$archive"
  BASE_LINE="$(report base "$BASE_REF" "$archive")"
}

# ---------------------------------------------------------------------------------------------
# redis: Debian's redis-server (bookworm: 7.0.x) in the same minbase.

build_redis() {
  local hash archive
  hash="$(printf '%s\n' "$SCRIPT_HASH" redis "$(cat "$(apt_sources_file)")" | sha)"
  archive="$IMAGES/redis-7.0-bookworm-${hash:0:12}.tar"
  if [ "$(label_of "$REDIS_REF")" != "$hash" ] && [ -s "$archive" ]; then
    log "loading $REDIS_REF from $archive"
    podman load --quiet -i "$archive" >&2
  fi
  if [ "$(label_of "$REDIS_REF")" != "$hash" ]; then
    local started version root="$TMP/redis"
    started="$(now)"
    debian_rootfs
    log "building $REDIS_REF: apt-get install redis-server"
    unpack_debian "$root"
    chroot_apt "$root" update
    chroot_apt "$root" -y install --no-install-recommends redis-server
    slim_clean "$root"
    version="$(chroot "$root" redis-server --version | sed -E 's/.* v=([^ ]+).*/\1/')"
    [[ "$version" == 7.0.* ]] || die "Debian's redis-server is $version, not 7.0.x"
    # /data: the volume; writable by the chart's UID even before an fsGroup applies.
    install -d -m 0770 -o 10001 -g 10001 "$root/data"
    # As the official image: flags (or a .conf file) as the first argument run redis-server.
    cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
exec "$@"
EOF
    chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
    import_rootfs "$root" "$REDIS_REF" "ENV PATH=$IMAGE_PATH" "ENV REDIS_VERSION=$version" \
      'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["redis-server"]' 'WORKDIR /data' 'VOLUME /data' \
      'EXPOSE 6379' "LABEL $LABEL=$hash"
    rm -rf "$root"
    log "redis $version built in $(($(now) - started)) s"
  fi
  save "$REDIS_REF" "$archive"
  REDIS_LINE="$(report redis "$REDIS_REF" "$archive")"
}

# ---------------------------------------------------------------------------------------------
# tollgate: the Dockerfile, built as a user builds it.

# Every file the build context sends (the checkout filtered by .dockerignore, Docker's rules:
# a pattern matching a directory excludes what is under it, `!` re-includes, the last match wins),
# hashed with its path and executable bit.
context_hash() {
  "$NODE_BIN" --input-type=module - "$ROOT" <<'EOF'
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2];
const ignoreFile = join(root, ".dockerignore");
const rules = (existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "")
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"))
  .map((line) => {
    const negate = line.startsWith("!");
    const pattern = (negate ? line.slice(1) : line).trim().replace(/^(\.?\/)+/, "").replace(/\/+$/, "");
    let source = "";
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === "*" && pattern[i + 1] === "*") {
        source += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
        i += pattern[i + 2] === "/" ? 2 : 1;
      } else if (c === "*") source += "[^/]*";
      else if (c === "?") source += "[^/]";
      else source += c.replace(/[.+^${}()|\\]/g, "\\$&");
    }
    return { negate, regex: new RegExp(`^${source}$`) };
  });
const hasNegation = rules.some((rule) => rule.negate);
const excluded = (path) => {
  const parts = path.split("/");
  let out = false;
  for (const rule of rules)
    for (let n = 1; n <= parts.length; n++) if (rule.regex.test(parts.slice(0, n).join("/"))) out = !rule.negate;
  return out;
};
const hash = createHash("sha256");
const walk = (dir) => {
  for (const name of readdirSync(join(root, dir)).sort()) {
    const path = dir ? `${dir}/${name}` : name;
    const stat = lstatSync(join(root, path));
    if (stat.isDirectory()) {
      if (!excluded(path) || hasNegation) walk(path);
    } else if (!excluded(path)) {
      const content = stat.isSymbolicLink() ? readlinkSync(join(root, path)) : readFileSync(join(root, path));
      const digest = createHash("sha256").update(content).digest("hex");
      hash.update(`${path}\0${stat.mode & 0o111 ? "x" : "-"}\0${digest}\n`);
    }
  }
};
walk("");
process.stdout.write(`${hash.digest("hex")}\n`);
EOF
}

# npm's settings for the build, as this machine's npm sees them: the user's npmrc plus the
# registry (which may come from an environment variable or a global npmrc).
npm_build_config() {
  local out="$1" userconfig="$HOME/.npmrc" registry=""
  if command -v npm >/dev/null; then
    userconfig="$(npm config get userconfig 2>/dev/null || echo "$HOME/.npmrc")"
    registry="$(npm config get registry 2>/dev/null || true)"
  fi
  : >"$out"
  chmod 0600 "$out"
  [ -f "$userconfig" ] && cat "$userconfig" >>"$out" && echo >>"$out"
  [ -n "$registry" ] && echo "registry=$registry" >>"$out"
  true
}

build_tollgate() {
  local hash ref archive
  hash="$(printf '%s\n' "$SCRIPT_HASH" tollgate "$BASE_HASH" "$(context_hash)" | sha)"
  ref="$TOLLGATE_REPO:${hash:0:12}"
  archive="$IMAGES/tollgate-${hash:0:12}.tar"
  if ! podman image exists "$ref" && [ -s "$archive" ]; then
    log "loading $ref from $archive"
    podman load --quiet -i "$archive" >&2
  fi
  if ! podman image exists "$ref"; then
    local started ca="${TOLLGATE_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}" secrets=()
    started="$(now)"
    npm_build_config "$TMP/npmrc"
    secrets+=(--secret "id=npmrc,src=$TMP/npmrc")
    [ -s "$ca" ] && secrets+=(--secret "id=npm_ca,src=$ca")
    log "podman build -f Dockerfile $ROOT -> $ref"
    podman build "${PODMAN_FLAGS[@]}" --network host --pull=never "${secrets[@]}" \
      --label "$LABEL=$hash" -t "$ref" -f "$ROOT/Dockerfile" "$ROOT" >&2
    log "tollgate image built in $(($(now) - started)) s"
  fi
  podman tag "$ref" "$TOLLGATE_REPO:test"
  save "$ref" "$archive" "$TOLLGATE_REPO:test"
  TOLLGATE_LINE="$(report tollgate "$ref" "$archive")"
  # Old hash tags: keep the three newest images.
  podman images --noheading --sort created --format '{{.Repository}}:{{.Tag}}' "$TOLLGATE_REPO" |
    grep -Ev ":test$|^$ref$" | grep -E ':[0-9a-f]{12}$' | tail -n +3 | xargs -r podman rmi --force >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------------

want_base=0 want_redis=0 want_tollgate=0
[ "$#" -eq 0 ] && set -- base redis tollgate
for name in "$@"; do
  case "$name" in
  base) want_base=1 ;;
  redis) want_redis=1 ;;
  tollgate) want_base=1 want_tollgate=1 ;;
  *) die "unknown image $name (base, redis, tollgate)" ;;
  esac
done
BASE_LINE="" REDIS_LINE="" TOLLGATE_LINE=""
[ "$want_base" = 1 ] && build_base
[ "$want_redis" = 1 ] && build_redis
[ "$want_tollgate" = 1 ] && build_tollgate
for line in "$BASE_LINE" "$REDIS_LINE" "$TOLLGATE_LINE"; do
  [ -n "$line" ] && printf '%s\n' "$line"
done
exit 0
