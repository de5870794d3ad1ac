#!/usr/bin/env bash
# Copy the pinned front-end files from the npm registry into static/vendor/, with versions and licences.
# Run it after changing a version below; commit what it writes. Pages never load files from another host.
set -euo pipefail
cd "$(dirname "$0")/.."

# package@version  file-in-package  name-in-static/vendor
PINNED=(
  "htmx.org@4.0.1 package/dist/htmx.min.js htmx.min.js"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=static/vendor
mkdir -p "$out"
{
  echo "# Vendored front-end files. Written by scripts/vendor-static.sh; do not edit by hand."
  echo "# file  package@version  licence  sha256"
} > "$work/VERSIONS.txt"

for entry in "${PINNED[@]}"; do
  read -r spec src dest <<<"$entry"
  dir="$work/${spec//[@\/]/_}"
  mkdir -p "$dir"
  if [ ! -f "$dir/package/package.json" ]; then
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  fi
  cp "$dir/$src" "$out/$dest"
  licence=$(node -e "console.log(require('$dir/package/package.json').license || 'see LICENSE')")
  for f in LICENSE LICENSE.md LICENSE.txt; do
    if [ -f "$dir/package/$f" ]; then cp "$dir/package/$f" "$out/${dest%%.*}.LICENSE.txt"; break; fi
  done
  echo "$dest  $spec  $licence  $(sha256sum "$out/$dest" | cut -d' ' -f1)" >> "$work/VERSIONS.txt"
done
cp "$work/VERSIONS.txt" "$out/VERSIONS.txt"
cat "$out/VERSIONS.txt"
