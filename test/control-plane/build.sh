#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, etcd, kubectl), the node's Kubernetes parts
# (kubelet, kube-controller-manager, kube-scheduler, kube-proxy), CoreDNS and helm from the official Go
# modules, the way no Docker and no download site leave us: a scratch module per
# component, outside the repo, cached by version. Nothing built here is committed.
#
#   test/control-plane/build.sh          # builds what is missing, prints the bin dir
#
# Versions are pinned here and nowhere else; the harness reads the same cache path.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
# The chart must also work with Helm 3, still the most installed; its lint and render tests run with both.
HELM3_VERSION="${HELM3_VERSION:-v3.22.0}"
# Cluster DNS for the node's pods (Service names), run as a static binary in a local image.
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.7}"
# The control plane and the node: one Kubernetes module, one version (no skew to reason about).
KUBE_CMDS="kube-apiserver kubectl kubelet kube-controller-manager kube-scheduler kube-proxy"
CACHE="${TOLLGATE_CACHE:-$HOME/.cache/tollgate}"
BIN="$CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
mkdir -p "$BIN"
# Tests and people may call this at the same time: one builds, the others wait for it.
exec 9>"$CACHE/build.lock"
flock 9
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
# Go lives in /usr/local/go on these machines; a non-login shell may not have it on PATH.
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "[control-plane] Go 1.24+ is needed to build the test control plane" >&2; exit 1; }

log() { echo "[control-plane] $*" >&2; }

build_kubernetes() {
  local work="$CACHE/src/kubernetes-$K8S_VERSION"
  mkdir -p "$work"
  cd "$work"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local staging_version="v0.${K8S_VERSION#v1.}"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module tollgate.test/kube-control-plane"
    grep -E '^go [0-9]' "$gomod"
    grep -E '^godebug ' "$gomod" || true
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    # k8s.io/kubernetes points its staging modules at ./staging; outside that repo we
    # point each at its published tag (kubernetes/kubernetes#79384).
    grep -E '=> \./staging/' "$gomod" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > go.mod
  for cmd in $KUBE_CMDS; do go get -tool "k8s.io/kubernetes/cmd/$cmd@$K8S_VERSION" >&2; done
  local pkg=k8s.io/component-base/version cg=k8s.io/client-go/pkg/version
  local ld="-s -w"
  for p in $pkg $cg; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  # One build for every command: the shared packages compile once.
  log "building $KUBE_CMDS $K8S_VERSION"
  local out; out="$(mktemp -d "$CACHE/build.XXXXXX")"
  # shellcheck disable=SC2046
  go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ld" -o "$out/" $(printf 'k8s.io/kubernetes/cmd/%s ' $KUBE_CMDS)
  for cmd in $KUBE_CMDS; do mv "$out/$cmd" "$BIN/$cmd"; done
  rmdir "$out"
}

# A main package whose module has real requirements (no ./staging replace lines): a
# scratch module that records it as a tool, then one build. Args: name module version.
build_module_main() {
  local name="$1" module="$2" version="$3"
  local work="$CACHE/src/$name-$version"
  mkdir -p "$work"
  cd "$work"
  [ -f go.mod ] || go mod init "tollgate.test/$name" >&2
  go get -tool "$module@$version" >&2
  log "building $name $version"
  go build -trimpath -ldflags "-s -w" -o "$BIN/$name.tmp" "$module"
  mv "$BIN/$name.tmp" "$BIN/$name"
  echo "$version" > "$BIN/$name.version"
}

build_etcd() { build_module_main etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"; }

build_helm() {
  # Helm has no replace lines: a plain install from the module proxy works.
  log "building helm $HELM_VERSION"
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
}

build_helm3() {
  log "building helm $HELM3_VERSION (as helm3)"
  local gobin; gobin="$(mktemp -d)"
  GOBIN="$gobin" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM3_VERSION"
  mv "$gobin/helm" "$BIN/helm3"
  rmdir "$gobin"
  echo "$HELM3_VERSION" > "$BIN/helm3.version"
}

build_coredns() { build_module_main coredns github.com/coredns/coredns "$COREDNS_VERSION"; }

start=$(date +%s)
built=""
[ -x "$BIN/etcd" ] || { build_etcd; built=1; }
[ -x "$BIN/helm" ] || { build_helm; built=1; }
[ -x "$BIN/helm3" ] && [ "$(cat "$BIN/helm3.version" 2>/dev/null)" = "$HELM3_VERSION" ] || { build_helm3; built=1; }
for cmd in $KUBE_CMDS; do
  [ -x "$BIN/$cmd" ] || { build_kubernetes; built=1; break; }
done
[ -x "$BIN/coredns" ] && [ "$(cat "$BIN/coredns.version" 2>/dev/null)" = "$COREDNS_VERSION" ] || { build_coredns; built=1; }
[ -z "$built" ] || log "built in $(( $(date +%s) - start ))s: $BIN"
echo "$BIN"
