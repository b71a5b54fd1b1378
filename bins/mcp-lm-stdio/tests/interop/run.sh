#!/usr/bin/env bash
# mcp-lm-stdio launched by real MCP hosts' client libraries: the Python `mcp` SDK (1.x) and the
# MCP Inspector CLI, against a stand-in LM Studio serving the fixture files.
#   bash bins/mcp-lm-stdio/tests/interop/run.sh
set -euo pipefail
INSPECTOR_VERSION="2.12.0"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"
missing() {
  if [[ "${CI:-}" == "true" ]]; then echo "ERROR: mcp-lm-stdio interop needs $1" >&2; exit 1; fi
  echo "!!! SKIPPED: mcp-lm-stdio interop tests: $1 is missing (CI=true makes this a failure)" >&2
  exit 0
}
command -v python3 >/dev/null 2>&1 || missing python3
command -v npx >/dev/null 2>&1 || missing npx
venv="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-lm-terminal/venv"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r crates/mcp-protocol/tests/interop/requirements.txt
binary="$(cargo build -q -p mcp-lm-stdio --message-format=json | "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "mcp-lm-stdio" and m.get("executable"):
        print(m["executable"])')"
work="$(mktemp -d)"
lm_pid=""
trap '[[ -n "$lm_pid" ]] && kill $lm_pid 2>/dev/null; rm -rf "$work"' EXIT
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$venv/bin/python" bins/mcp-lm-http/tests/interop/fake_lm_studio.py "$port" & lm_pid=$!
for _ in $(seq 1 100); do "$venv/bin/python" -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break; sleep 0.1; done

passed=0; failed=0
echo "=== mcp-lm-stdio interop: Python mcp SDK"
"$venv/bin/python" "$here/python_client.py" "$binary" "http://127.0.0.1:$port" | tee "$work/python.out" || true
line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/python.out" | tail -1)"
passed=$((passed + ${line%% *})); failed=$((failed + $(echo "$line" | cut -d' ' -f3)))

echo "=== mcp-lm-stdio interop: MCP Inspector CLI"
inspector() { (cd "$work" && npx -y -p node@22 -p "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" -- mcp-inspector --cli "$binary" \
  -e "MCP_LM_LMSTUDIO_HOST=http://127.0.0.1:$port" -e "MCP_LM_LOG_AUDIT_PATH=$work/audit.jsonl" "$@" 2>/dev/null); }
if inspector --method tools/list | grep -q '"terminal_run"'; then echo "PASS inspector tools/list"; passed=$((passed+1)); else echo "FAIL inspector tools/list"; failed=$((failed+1)); fi
if inspector --method tools/call --tool-name terminal_run --tool-arg 'cmd=echo inspector-stdio' | grep -q 'inspector-stdio'; then echo "PASS inspector terminal_run"; passed=$((passed+1)); else echo "FAIL inspector terminal_run"; failed=$((failed+1)); fi
if inspector --method tools/call --tool-name lm_query --tool-arg 'prompt=hi' | grep -q '97 is prime'; then echo "PASS inspector lm_query"; passed=$((passed+1)); else echo "FAIL inspector lm_query"; failed=$((failed+1)); fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
