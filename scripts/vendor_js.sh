#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (make vendor). The files are
# committed, so a fresh machine needs neither npm nor the internet to serve or test the pages.
# Each package: name@version, the file taken from it, where it goes; its licence goes beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  "chart.js@4.6.1 dist/chart.umd.min.js portal/static/portal/vendor/chart.js"
  "htmx.org@2.0.11 dist/htmx.min.js portal/static/portal/vendor/htmx"
  # Tests only: the accessibility checks the browser tests run on every page.
  "axe-core@4.14.1 axe.min.js tests/browser/vendor/axe-core"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in "${PACKAGES[@]}"; do
  read -r spec file target <<<"$entry"
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  tarball=$(ls "$work"/*.tgz)
  mkdir -p "$work/unpacked" "$target"
  tar -xzf "$tarball" -C "$work/unpacked"
  cp "$work/unpacked/package/$file" "$target/"
  # The source map is not shipped: drop the reference to it (collectstatic would look for it).
  sed -i '/^\/\/# sourceMappingURL=/d' "$target/$(basename "$file")"
  cp "$work/unpacked/package/"LICENSE* "$target/" 2>/dev/null || true
  echo "${spec}" > "$target/VERSION"
  rm -rf "$work/unpacked" "$tarball"
  echo "vendored $spec: $target/$(basename "$file")"
done
