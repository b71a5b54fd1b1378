#!/usr/bin/env bash
# Re-vendors xterm.js and its fit addon from the npm registry at the pinned versions below
# (edit them to update), then prints the checksums to paste into README.md.
#   bash bins/mcp-lm-http/ui/vendor/update.sh           # copy the files
#   bash bins/mcp-lm-http/ui/vendor/update.sh --check   # only compare with the registry's files
set -euo pipefail
XTERM_VERSION="6.0.0"
FIT_VERSION="0.11.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@xterm/xterm@$XTERM_VERSION" "@xterm/addon-fit@$FIT_VERSION" > /dev/null
mkdir xterm fit
tar xzf "xterm-xterm-$XTERM_VERSION.tgz" -C xterm
tar xzf "xterm-addon-fit-$FIT_VERSION.tgz" -C fit
# destination name <- file in the package
files=(
  "xterm.js:xterm/package/lib/xterm.js"
  "xterm.css:xterm/package/css/xterm.css"
  "xterm.LICENSE:xterm/package/LICENSE"
  "addon-fit.js:fit/package/lib/addon-fit.js"
  "addon-fit.LICENSE:fit/package/LICENSE"
)
status=0
for entry in "${files[@]}"; do
  name="${entry%%:*}"; source="${entry#*:}"
  if [[ "${1:-}" == "--check" ]]; then
    if cmp -s "$source" "$here/$name"; then echo "ok      $name"; else echo "DIFFERS $name"; status=1; fi
  else
    cp "$source" "$here/$name"
  fi
done
(cd "$here" && sha256sum xterm.js xterm.css addon-fit.js)
exit $status
