#!/usr/bin/env bash
# Generates the TypeScript stubs of the fedkseed.v1 API (proto/) into packages/proto/src/generated with buf and
# ts-proto (options in proto/buf.gen.yaml). The output is committed and never edited by hand.
#
#   generate.sh           regenerate src/generated (replaced whole, so stubs of removed files disappear)
#   generate.sh --check   regenerate into a temporary folder and exit 1 if src/generated differs (CI)
#
# Both modes also fail when PROTO_FILES and the files of the buf module differ, so a new .proto file is never
# silently left out of the stubs.
set -euo pipefail

pkg_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "$pkg_dir/../.." && pwd)"
cd "$repo_root"

# Every file of the API, in the order buf lists them.
PROTO_FILES=(
  proto/fedkseed/v1/accumulated_delta.proto
  proto/fedkseed/v1/aggregator_service.proto
  proto/fedkseed/v1/errors.proto
  proto/fedkseed/v1/run.proto
  proto/fedkseed/v1/scalar_gradient.proto
  proto/fedkseed/v1/seed_distribution.proto
  proto/fedkseed/v1/seed_probability_service.proto
)
generated_dir="packages/proto/src/generated"

mode="write"
case "${1:-}" in
  "") ;;
  --check) mode="check" ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

# buf and protoc-gen-ts_proto come from the root devDependencies (@bufbuild/buf, ts-proto).
export PATH="$repo_root/node_modules/.bin:$PATH"
for tool in buf protoc-gen-ts_proto; do
  command -v "$tool" >/dev/null || {
    echo "generate: $tool not found in node_modules/.bin; run npm ci at the repository root" >&2
    exit 1
  }
done

module_files="$(buf ls-files proto | sort)"
listed_files="$(printf '%s\n' "${PROTO_FILES[@]}" | sort)"
if [[ "$module_files" != "$listed_files" ]]; then
  echo "generate: PROTO_FILES in $0 does not match the files of the buf module proto/:" >&2
  diff <(echo "$listed_files") <(echo "$module_files") | sed 's/^/  /' >&2 || true
  exit 1
fi

tmp_dir="$(mktemp -d)"
trap 'rm -rf "$tmp_dir"' EXIT
path_args=()
for file in "${PROTO_FILES[@]}"; do path_args+=(--path "$file"); done
buf generate proto --template proto/buf.gen.yaml --output "$tmp_dir/out" "${path_args[@]}"

if [[ "$mode" == "check" ]]; then
  if ! diff -r -u "$generated_dir" "$tmp_dir/out" >"$tmp_dir/diff"; then
    echo "generate --check: $generated_dir is stale; run 'npm run generate -w @fedkseed/proto' and commit it." >&2
    head -n 40 "$tmp_dir/diff" >&2
    exit 1
  fi
  echo "generate --check: $generated_dir is up to date (${#PROTO_FILES[@]} proto files)"
else
  rm -rf "$generated_dir"
  mkdir -p "$(dirname "$generated_dir")"
  cp -R "$tmp_dir/out" "$generated_dir"
  echo "generate: wrote $generated_dir from ${#PROTO_FILES[@]} proto files"
fi
