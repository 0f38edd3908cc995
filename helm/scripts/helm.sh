#!/usr/bin/env bash
# Helm v4, fetched on first use (k8s-tool.sh). Usage: helm/scripts/helm.sh lint --strict helm/fedkseed
exec "$(dirname "$0")/k8s-tool.sh" helm "$@"
