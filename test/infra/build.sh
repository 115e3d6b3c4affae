#!/usr/bin/env bash
# Each tool is built inside a small wrapper module (a go.mod here pinning its version, with a
# `tool` line per command) so the build is reproducible from the committed go.sum.
#
# Builds the upstream servers the tests run against, from the Go module proxy, into a cache
# outside the repository keyed by version. A binary already in the cache is not rebuilt.
#
#   test/infra/build.sh            build everything
#   test/infra/build.sh k8s etcd   build some groups (k8s etcd kwok metrics-server fabric-ca fabric)
#   test/infra/build.sh node       the real node's binaries (kubelet, kube-proxy, CoreDNS, pause,
#                                  kube-router as the NetworkPolicy enforcer);
#                                  not in the default list
#
# Prints the cache directory on its last line.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${FABRIC_CHATOPS_CACHE:-$HOME/.cache/fabric-chatops}"
export GOFLAGS="${GOFLAGS:--trimpath}"
# Keep Go from fetching another toolchain: every pin below builds with the machine's Go 1.26.
export GOTOOLCHAIN=local

# The version of MODULE that the wrapper module in DIR requires (its go.mod is the one pin).
pinned() { awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$here/$1/go.mod"; }
K8S_VERSION=$(pinned k8s k8s.io/kubernetes)
ETCD_VERSION=$(pinned etcd go.etcd.io/etcd/server/v3)
KWOK_VERSION=$(pinned kwok sigs.k8s.io/kwok)
METRICS_SERVER_VERSION=$(pinned metrics-server sigs.k8s.io/metrics-server)
FABRIC_CA_VERSION=$(pinned fabric-ca github.com/hyperledger/fabric-ca)
# Fabric: the v2.5 LTS wrapper (test/infra/fabric) unless FCO_FABRIC=fabric-main (the 3.x snapshot).
FABRIC_WRAPPER="${FCO_FABRIC:-fabric}"
case "$FABRIC_WRAPPER" in fabric|fabric-main) ;; *) echo "FCO_FABRIC must be fabric or fabric-main, not $FABRIC_WRAPPER" >&2; exit 2 ;; esac
FABRIC_VERSION=$(pinned "$FABRIC_WRAPPER" github.com/hyperledger/fabric)
FABRIC_LABEL=$(cat "$here/$FABRIC_WRAPPER/VERSION")
COREDNS_VERSION=$(pinned coredns github.com/coredns/coredns)
KUBE_ROUTER_VERSION=$(pinned kube-router github.com/cloudnativelabs/kube-router/v2)

started=$(date +%s)
say() { printf '[env:build %4ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }

# build NAME DIR OUT -- go build args...: skips when OUT exists; builds to a temp name first so
# an interrupted build never leaves a half-written binary under the final name.
build() {
  local name="$1" dir="$2" out="$3"; shift 4
  if [[ -x "$out" ]]; then say "$name: cached ($out)"; return; fi
  mkdir -p "$(dirname "$out")"
  say "$name: building (first build takes minutes; Go prints nothing meanwhile)"
  local t0; t0=$(date +%s)
  (cd "$dir" && go build -o "$out.partial" "$@")
  mv "$out.partial" "$out"
  say "$name: built in $(( $(date +%s) - t0 ))s"
}

k8s_commands() {
  local pkg=k8s.io/component-base/version minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local ldflags="-X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  for cmd in "$@"; do
    build "$cmd $K8S_VERSION" "$here/k8s" "$cache/k8s-$K8S_VERSION/$cmd" -- -ldflags "$ldflags" "k8s.io/kubernetes/cmd/$cmd"
  done
}
k8s() { k8s_commands kube-apiserver kube-controller-manager kube-scheduler kubectl; }

# A real node: the kubelet and kube-proxy from the control plane's module, CoreDNS, and the
# sandbox ("pause") binary compiled from the C source Kubernetes ships, as its image build does,
# and kube-router, whose firewall controller enforces NetworkPolicies on the node.
real_node() {
  k8s_commands kubelet kube-proxy
  build "coredns $COREDNS_VERSION" "$here/coredns" "$cache/coredns-$COREDNS_VERSION/coredns" -- github.com/coredns/coredns
  build "kube-router $KUBE_ROUTER_VERSION" "$here/kube-router" "$cache/kube-router-$KUBE_ROUTER_VERSION/kube-router" -- \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
  local pause="$cache/k8s-$K8S_VERSION/pause" src
  if [[ -x "$pause" ]]; then say "pause: cached ($pause)"; return; fi
  src="$(cd "$here/k8s" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
  gcc -Os -Wall -Werror -static -DVERSION="$K8S_VERSION" -o "$pause.partial" "$src"
  mv "$pause.partial" "$pause"
  say "pause: built"
}
etcd() { build "etcd $ETCD_VERSION" "$here/etcd" "$cache/etcd-$ETCD_VERSION/etcd" -- go.etcd.io/etcd/server/v3; }
kwok() {
  build "kwok $KWOK_VERSION" "$here/kwok" "$cache/kwok-$KWOK_VERSION/kwok" -- sigs.k8s.io/kwok/cmd/kwok
  # kwok reads its default node and pod lifecycle (stages) only when given no config; the
  # harness gives one (for metrics), so it passes kwok's own "fast" stages alongside.
  local stages="$cache/kwok-$KWOK_VERSION/stages" src
  if [[ ! -d "$stages" ]]; then
    src="$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
    mkdir -p "$stages.partial"
    cp "$src"/node/fast/node-initialize.yaml "$src"/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml "$src"/pod/fast/pod-ready.yaml "$src"/pod/fast/pod-complete.yaml "$src"/pod/fast/pod-delete.yaml "$stages.partial/"
    mv "$stages.partial" "$stages"
  fi
}
metrics_server() { build "metrics-server $METRICS_SERVER_VERSION" "$here/metrics-server" "$cache/metrics-server-$METRICS_SERVER_VERSION/metrics-server" -- sigs.k8s.io/metrics-server/cmd/metrics-server; }
fabric_ca() {
  for cmd in fabric-ca-server fabric-ca-client; do
    CGO_ENABLED=1 build "$cmd $FABRIC_CA_VERSION" "$here/fabric-ca" "$cache/fabric-ca-$FABRIC_CA_VERSION/$cmd" -- "github.com/hyperledger/fabric-ca/cmd/$cmd"
  done
}

fabric() {
  local out="$cache/fabric-${FABRIC_VERSION##*-}"
  for cmd in peer orderer configtxgen osnadmin configtxlator; do
    build "$cmd (fabric $FABRIC_LABEL)" "$here/$FABRIC_WRAPPER" "$out/$cmd" -- -ldflags "-X github.com/hyperledger/fabric/common/metadata.Version=$FABRIC_LABEL" "github.com/hyperledger/fabric/cmd/$cmd"
  done
  # The harness starts peers and orderers from Fabric's sample configuration (core.yaml,
  # orderer.yaml), overriding what it needs through the environment.
  if [[ ! -d "$out/config" ]]; then
    local src; src="$(cd "$here/$FABRIC_WRAPPER" && go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)/sampleconfig"
    mkdir -p "$out/config.partial"
    cp "$src/core.yaml" "$src/orderer.yaml" "$out/config.partial/"
    chmod u+w "$out/config.partial"/*
    # No Docker here: without a vm endpoint the peer neither dials one nor reports it unhealthy.
    sed -i 's#^    endpoint: unix:///var/run/docker.sock#    endpoint: ""#' "$out/config.partial/core.yaml"
    mv "$out/config.partial" "$out/config"
  fi
}

groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=(etcd fabric-ca fabric kwok metrics-server k8s)
for g in "${groups[@]}"; do
  case "$g" in
    k8s) k8s ;;
    etcd) etcd ;;
    kwok) kwok ;;
    metrics-server) metrics_server ;;
    fabric-ca) fabric_ca ;;
    fabric) fabric ;;
    node) real_node ;;
    *) echo "unknown group: $g (k8s etcd kwok metrics-server fabric-ca fabric node)" >&2; exit 2 ;;
  esac
done
say "done"
echo "$cache"
