#!/usr/bin/env bash
# Build the real-Kubernetes test tools from Go modules into DEST/kube (default .tools/kube):
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver   (tools/kube: its staging modules replaced)
#   etcd            go.etcd.io/etcd/server/v3              (tools/etcd)
#   kstatus         sigs.k8s.io/cli-utils' kstatus          (tools/gitops/kstatus)
#   argocdhealth    Argo CD's Lua health checks, gopher-lua (tools/gitops/argocdhealth)
# Only the tests of tests/kubernetes_real (and `awsip sandbox --kube apiserver`) use them; running
# the operator needs none. A stamp (a hash of the module files, this script and the Go version)
# makes a warm machine skip the build; a cold build takes tens of minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "${1:-$root/.tools}"
dest=$(cd "${1:-$root/.tools}" && pwd)/kube
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly

if ! command -v go >/dev/null 2>&1; then
  echo "build-kube-tools: Go is not installed; the real-Kubernetes test tier (tests/kubernetes_real)" \
    "builds kube-apiserver and etcd with it (see README.md, Development)" >&2
  exit 1
fi

stamp=$(
  cd "$root"
  {
    go version
    sha256sum scripts/build-kube-tools.sh
    find tools -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
)
binaries=(kube-apiserver etcd kstatus argocdhealth)
fresh=true
for binary in "${binaries[@]}"; do [[ -x "$dest/$binary" ]] || fresh=false; done
if $fresh && [[ "$(cat "$dest/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  exit 0
fi

mkdir -p "$dest"
rm -f "$dest/.stamp"
started=$SECONDS
build() { # MODULE_DIR OUTPUT PACKAGE [LDFLAGS]
  local module=$1 output=$2 package=$3 ldflags=${4:-}
  echo "build-kube-tools: building $output ($package)" >&2
  (cd "$root/$module" && nice -n 5 go build -trimpath -ldflags "-s -w $ldflags" -o "$dest/$output" "$package")
}
kube_version=$(cd "$root/tools/kube" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=${kube_version#v1.}
minor=${minor%%.*}
# The version kube-apiserver reports (kubectl version, /version); a module build has no git data.
version_flags="-X k8s.io/component-base/version.gitVersion=$kube_version"
version_flags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
version_flags+=" -X k8s.io/component-base/version.gitTreeState=clean"
build tools/kube kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$version_flags"
build tools/etcd etcd go.etcd.io/etcd/server/v3
build tools/gitops kstatus ./kstatus
build tools/gitops argocdhealth ./argocdhealth
echo "$stamp" >"$dest/.stamp"
echo "build-kube-tools: built ${binaries[*]} in $((SECONDS - started))s" >&2
"$dest/kube-apiserver" --version >&2
