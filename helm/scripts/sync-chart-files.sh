#!/usr/bin/env bash
# Copies what the chart ships from deploy/ (Helm reads files only from inside the chart) and regenerates the
# chart README's parameter table and values.schema.json from the @param comments of values.yaml
# (@bitnami/readme-generator-for-helm). The chart test fails when any of these drift: run this after editing
# values.yaml, deploy/prometheus/rules.yaml or the dashboard.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CHART="$ROOT/helm/fedkseed"
mkdir -p "$CHART/files"
cp "$ROOT/deploy/prometheus/rules.yaml" "$CHART/files/rules.yaml"
cp "$ROOT/deploy/grafana/dashboards/fedkseed.json" "$CHART/files/fedkseed.json"
"$ROOT/node_modules/.bin/readme-generator" --values "$CHART/values.yaml" --readme "$CHART/README.md" \
  --schema "$CHART/values.schema.json"
"$ROOT/node_modules/.bin/prettier" --write "$CHART/README.md" "$CHART/values.schema.json" >/dev/null
