#!/usr/bin/env bash
# Validates mcp-lm-http's /openapi.json (3.1 and the 3.0 variant) with the
# `openapi-spec-validator` package (pinned), against the real binary.
#   bash bins/mcp-lm-http/tests/openapi/validate.sh
# Ends with `N passed, M failed`. Without python3 it fails when CI=true, else skips loudly.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"
if ! command -v python3 >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then echo "ERROR: python3 is required" >&2; exit 1; fi
  echo "!!! SKIPPED: OpenAPI validation: python3 is missing" >&2; exit 0
fi
venv="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-lm-terminal/venv-openapi"
if [[ ! -x "$venv/bin/python" ]]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q "openapi-spec-validator==0.7.2"
binary="$(cargo build -q -p mcp-lm-http --message-format=json 2>/dev/null | "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "mcp-lm-http" and m.get("executable"):
        print(m["executable"])')"
work="$(mktemp -d)"
token="openapi-check-token-0123456789abcdefghijkl"
MCP_LM_API_TOKEN="$token" MCP_LM_LOG_AUDIT_PATH="" XDG_CONFIG_HOME="$work" "$binary" --port 0 --log-level warn 2> "$work/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  url="$(grep -o 'listening on http://[0-9.:]*' "$work/stderr" | head -1 | sed 's/listening on //')" || true
  [[ -n "${url:-}" ]] && break
  sleep 0.1
done
[[ -n "${url:-}" ]] || { echo "server did not start"; cat "$work/stderr"; exit 1; }
passed=0; failed=0
for format in 3.1 3.0; do
  if curl -sf -H "Authorization: Bearer $token" "$url/openapi.json?format=$format" -o "$work/doc.json" \
     && "$venv/bin/python" -c 'import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))' "$work/doc.json"; then
    echo "PASS openapi $format"; passed=$((passed + 1))
  else
    echo "FAIL openapi $format"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
