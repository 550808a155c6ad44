#!/usr/bin/env bash
# End to end on a local kind cluster: create the cluster, build the image and load it into kind,
# install the chart, run `helm test`, apply an example provider and wait for its status.
#
#   make e2e-kind                      # or: bash scripts/e2e-kind.sh
#
# Needs Docker and kind on PATH; kubectl and helm are taken from .tools/ (`make tools`) when they
# are not on PATH. CI cannot run this: it has no Docker engine. The chart's offline tests
# (tests/delivery) run in CI instead; this script is for developers with Docker.
#
# Without AWS credentials the operator cannot assume anything: the script then waits until the
# operator has written its verdict for the provider (status.observedGeneration) and shows it (it
# will be Stalled, OperatorCredentialsUnavailable). To see a provider become Ready, export
#   AWSIP_E2E_ROLE_ARN       the provider role to verify
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN]
#                            credentials of a principal allowed to assume it (they are stored in
#                            a Secret of the kind cluster and given to the operator as env vars)
#   AWSIP_E2E_EXTERNAL_ID    optional External ID the role's trust policy requires
#
# Other settings: KIND_CLUSTER (default awsip-e2e), KEEP_CLUSTER=1 to keep the cluster afterwards,
# AWSIP_E2E_HA=1 to install with highAvailability.enabled=true.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
cluster=${KIND_CLUSTER:-awsip-e2e}
image_repository=awsip-e2e
image_tag=dev
release=awsip
namespace=awsip-system
provider_namespace=awsip-e2e

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
  elif [[ -x "$root/.tools/$name" ]]; then
    echo "$root/.tools/$name"
  else
    die "$name not found (install it, or run \`make tools\` for helm and kubectl)"
  fi
}

command -v docker >/dev/null 2>&1 || die "docker not found: this script needs a Docker engine"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (docker info failed)"
kind=$(need kind)
kubectl=$(need kubectl)
helm=$(need helm)
context="kind-$cluster"
k() { "$kubectl" --context "$context" "$@"; }

cleanup() {
  local status=$?
  if [[ $status -ne 0 ]]; then
    log "failed; operator logs:"
    k -n "$namespace" logs -l "app.kubernetes.io/instance=$release" --tail=100 --all-containers || true
    k get awsip -A -o yaml || true
  fi
  if [[ "${KEEP_CLUSTER:-0}" != 1 ]]; then
    log "deleting kind cluster $cluster (KEEP_CLUSTER=1 keeps it)"
    "$kind" delete cluster --name "$cluster" >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT

log "kind cluster $cluster"
if ! "$kind" get clusters 2>/dev/null | grep -qx "$cluster"; then
  "$kind" create cluster --name "$cluster" --wait 120s
fi

log "building $image_repository:$image_tag and loading it into kind"
docker build -t "$image_repository:$image_tag" .
"$kind" load docker-image "$image_repository:$image_tag" --name "$cluster"

log "namespace $namespace (Pod Security: restricted)"
k create namespace "$namespace" --dry-run=client -o yaml | k apply -f -
k label namespace "$namespace" --overwrite \
  pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted

values=(
  --set "image.repository=$image_repository"
  --set "image.tag=$image_tag"
  --set image.pullPolicy=Never
  --set logFormat=text
  --set logLevel=verbose
)
if [[ "${AWSIP_E2E_HA:-0}" == 1 ]]; then
  values+=(--set highAvailability.enabled=true)
fi
if [[ -n "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]]; then
  log "AWS credentials for the operator (Secret $namespace/awsip-e2e-aws)"
  secret_args=(--from-literal "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
               --from-literal "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY")
  env_json='[{"name":"AWS_ACCESS_KEY_ID","valueFrom":{"secretKeyRef":{"name":"awsip-e2e-aws","key":"AWS_ACCESS_KEY_ID"}}},{"name":"AWS_SECRET_ACCESS_KEY","valueFrom":{"secretKeyRef":{"name":"awsip-e2e-aws","key":"AWS_SECRET_ACCESS_KEY"}}}'
  if [[ -n "${AWS_SESSION_TOKEN:-}" ]]; then
    secret_args+=(--from-literal "AWS_SESSION_TOKEN=$AWS_SESSION_TOKEN")
    env_json+=',{"name":"AWS_SESSION_TOKEN","valueFrom":{"secretKeyRef":{"name":"awsip-e2e-aws","key":"AWS_SESSION_TOKEN"}}}'
  fi
  env_json+=']'
  k -n "$namespace" create secret generic awsip-e2e-aws "${secret_args[@]}" --dry-run=client -o yaml | k apply -f -
  values+=(--set-json "extraEnv=$env_json" --set "aws.region=${AWS_REGION:-us-east-1}")
fi

log "helm install $release"
"$helm" --kube-context "$context" upgrade --install "$release" charts/awsip \
  --namespace "$namespace" "${values[@]}" --wait --timeout 5m
"$helm" --kube-context "$context" test "$release" --namespace "$namespace" --logs --timeout 3m

log "example provider $provider_namespace/example"
k create namespace "$provider_namespace" --dry-run=client -o yaml | k apply -f -
role_arn=${AWSIP_E2E_ROLE_ARN:-arn:aws:iam::111122223333:role/awsip-e2e-example}
external_id_line=""
if [[ -n "${AWSIP_E2E_EXTERNAL_ID:-}" ]]; then
  k -n "$provider_namespace" create secret generic example-external-id \
    --from-literal "externalID=$AWSIP_E2E_EXTERNAL_ID" --dry-run=client -o yaml | k apply -f -
  external_id_line="  externalIDSecretRef: {name: example-external-id, key: externalID}"
fi
k apply -f - <<YAML
apiVersion: infrastructure.awsip.io/v1alpha1
kind: AWSInfrastructureProvider
metadata:
  name: example
  namespace: $provider_namespace
spec:
  displayName: kind e2e example
  roleARN: $role_arn
$external_id_line
  requiredPolicy:
    profile: capa-minimal
YAML

if [[ -n "${AWSIP_E2E_ROLE_ARN:-}" && -n "${AWS_ACCESS_KEY_ID:-}" ]]; then
  log "waiting for the provider to become Ready"
  k -n "$provider_namespace" wait --for=condition=Ready awsip/example --timeout=5m
else
  log "waiting for the operator's verdict (no AWS credentials: it will not be Ready)"
  k -n "$provider_namespace" wait --for=jsonpath='{.status.observedGeneration}'=1 awsip/example --timeout=5m
  k -n "$provider_namespace" wait --for=condition=Stalled awsip/example --timeout=1m
fi
k -n "$provider_namespace" get awsip -o wide
k -n "$provider_namespace" get awsip example \
  -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'
log "e2e passed"
