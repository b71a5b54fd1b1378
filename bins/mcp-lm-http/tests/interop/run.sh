#!/usr/bin/env bash
# Real clients against mcp-lm-http's authenticated /mcp, with a stand-in LM Studio serving the
# fixture files: the Python `mcp` SDK (1.x) and the MCP Inspector CLI call terminal_run and
# lm_query over HTTP; the official conformance suite (through a header-adding proxy, since it
# cannot send a token) must pass every 2025-11-25 scenario that does not need its own fixture
# tools (conformance-baseline.yml lists those). Ends with `N passed, M failed`.
#   bash bins/mcp-lm-http/tests/interop/run.sh
set -euo pipefail
CONFORMANCE_VERSION="0.2.0-alpha.12"
INSPECTOR_VERSION="2.12.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"

missing() {
  if [[ "${CI:-}" == "true" ]]; then echo "ERROR: mcp-lm-http interop needs $1" >&2; exit 1; fi
  echo "!!! SKIPPED: mcp-lm-http interop tests: $1 is missing (CI=true makes this a failure)" >&2
  exit 0
}
command -v python3 >/dev/null 2>&1 || missing python3
command -v npx >/dev/null 2>&1 || missing npx
command -v curl >/dev/null 2>&1 || missing curl

venv="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-lm-terminal/venv"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r crates/mcp-protocol/tests/interop/requirements.txt -r "$here/requirements.txt"

binary="$(cargo build -q -p mcp-lm-http --message-format=json | "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "mcp-lm-http" and m.get("executable"):
        print(m["executable"])')"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

token="interop-token-0123456789abcdefghijklmnop"
lm_port="$(free_port)"; server_port="$(free_port)"; proxy_port="$(free_port)"
"$venv/bin/python" "$here/fake_lm_studio.py" "$lm_port" & pids+=($!)
wait_port "$lm_port"
MCP_LM_API_TOKEN="$token" MCP_LM_LMSTUDIO_HOST="http://127.0.0.1:$lm_port" MCP_LM_LOG_AUDIT_PATH="" \
  MCP_LM_TERMINAL_SHELL=/bin/sh XDG_CONFIG_HOME="$work" "$binary" --port "$server_port" --log-level warn 2> "$work/server.log" & pids+=($!)
wait_port "$server_port"
"$venv/bin/python" "$here/auth_proxy.py" "$proxy_port" "127.0.0.1:$server_port" "$token" & pids+=($!)
wait_port "$proxy_port"
url="http://127.0.0.1:$server_port/mcp"

passed=0; failed=0
tally() { # reads a tool's output, counts its closing `N passed, M failed`
  local line; line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)"
  passed=$((passed + $(echo "$line" | cut -d' ' -f1))); failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}

echo "=== mcp-lm-http interop: Python mcp SDK"
"$venv/bin/python" "$here/python_client.py" "$url" "$token" | tee "$work/python.out" || true
tally "$work/python.out"

echo "=== mcp-lm-http interop: Python websockets on /terminal/stream"
"$venv/bin/python" "$here/ws_client.py" "http://127.0.0.1:$server_port" "$token" | tee "$work/ws.out" || true
tally "$work/ws.out"

echo "=== mcp-lm-http interop: MCP Inspector CLI"
inspector() { (cd "$work" && npx -y -p node@22 -p "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" -- \
  mcp-inspector --cli "$url" --transport http --header "Authorization: Bearer $token" "$@" 2>/dev/null); }
ok=0; bad=0
if inspector --method tools/list > "$work/list.json" && grep -q '"terminal_run"' "$work/list.json" && grep -q '"lm_query"' "$work/list.json"; then
  echo "PASS inspector tools/list"; ok=$((ok + 1)); else echo "FAIL inspector tools/list"; bad=$((bad + 1)); fi
if inspector --method tools/call --tool-name terminal_run --tool-arg 'cmd=echo inspector-ok' > "$work/run.json" && grep -q 'inspector-ok' "$work/run.json"; then
  echo "PASS inspector terminal_run"; ok=$((ok + 1)); else echo "FAIL inspector terminal_run"; cat "$work/run.json" || true; bad=$((bad + 1)); fi
if inspector --method tools/call --tool-name lm_query --tool-arg 'prompt=hi' > "$work/query.json" && grep -q '97 is prime' "$work/query.json"; then
  echo "PASS inspector lm_query"; ok=$((ok + 1)); else echo "FAIL inspector lm_query"; bad=$((bad + 1)); fi
echo "$ok passed, $bad failed" | tee "$work/inspector.out"
tally "$work/inspector.out"

echo "=== mcp-lm-http interop: conformance suite (through the token-adding proxy)"
set +e
(cd "$work" && npx -y -p node@22 -p "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" -- conformance server \
  --url "http://127.0.0.1:$proxy_port/mcp" --requirements 2025-11-25 --expected-failures "$here/conformance-baseline.yml") > "$work/conformance.out" 2>&1
status=$?
set -e
sed -n '/=== SUMMARY ===/,$p' "$work/conformance.out"
if [[ $status -eq 0 ]] && grep -q "Baseline check passed" "$work/conformance.out"; then
  echo "PASS conformance (every scenario outside the fixture baseline)"; passed=$((passed + 1))
else
  echo "FAIL conformance (exit $status)"; failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
