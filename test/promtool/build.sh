#!/usr/bin/env bash
# Builds promtool from the Prometheus Go module (a scratch module outside the repo, cached
# by version), for `promtool check rules` and `promtool test rules` on the chart's
# PrometheusRule (test/chart/prometheus-rules.test.ts). Separate from
# test/control-plane/build.sh so a promtool bump never rebuilds the control plane.
#
#   test/promtool/build.sh          # builds it if missing, prints the binary's path
set -euo pipefail

# Prometheus tags its Go module v0.<minor>.<patch> for release v3.<minor>.<patch>.
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
CACHE="${TOLLGATE_CACHE:-$HOME/.cache/tollgate}"
BIN="$CACHE/promtool/$PROMETHEUS_VERSION"
mkdir -p "$BIN"
if [ -x "$BIN/promtool" ]; then echo "$BIN/promtool"; exit 0; fi
exec 9>"$CACHE/promtool.lock"
flock 9
if [ -x "$BIN/promtool" ]; then echo "$BIN/promtool"; exit 0; fi
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "[promtool] Go is needed to build promtool" >&2; exit 1; }

work="$CACHE/src/promtool-$PROMETHEUS_VERSION"
mkdir -p "$work"
cd "$work"
[ -f go.mod ] || go mod init tollgate.test/promtool >&2
go get -tool "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" >&2
echo "[promtool] building promtool $PROMETHEUS_VERSION" >&2
start=$(date +%s)
# remove_all_sd: rules need no service discovery, which is most of the build.
go build -trimpath -tags remove_all_sd -ldflags "-s -w" -o "$BIN/promtool.tmp" github.com/prometheus/prometheus/cmd/promtool
mv "$BIN/promtool.tmp" "$BIN/promtool"
echo "[promtool] built in $(( $(date +%s) - start ))s" >&2
echo "$BIN/promtool"
