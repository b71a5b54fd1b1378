#!/usr/bin/env bash
# Interoperability check: the MCP Inspector CLI (pinned) as a client of the `conformance` example
# server, over stdio and over Streamable HTTP.
#
#   bash inspector.sh PATH/TO/conformance
#
# Prints one PASS/FAIL line per check and ends with `N passed, M failed`; exits 1 on any failure.
# The Inspector 2.x needs Node >= 22, which comes from npm in the same npx call (the machine may
# have an older node on PATH).
set -euo pipefail

INSPECTOR_VERSION="${INSPECTOR_VERSION:-2.12.0}"
NODE_PACKAGE="${NODE_PACKAGE:-node@22}"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 PATH/TO/conformance" >&2
  exit 2
fi
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
if [[ ! -x "$binary" ]]; then
  echo "FAIL: server binary not found or not executable: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS [inspector/$1] $2"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL [inspector/$1] $2"
  # Show what the Inspector said, minus npm's engine warnings about the host node.
  if [[ -s "$work/out.json" ]]; then sed 's/^/    stdout: /' "$work/out.json" | head -40; fi
  if [[ -s "$work/err.txt" ]]; then grep -v '^npm warn' "$work/err.txt" | sed 's/^/    stderr: /' | head -40; fi
}

# inspector TARGET [ARGS...]: the server target comes first, then the flags (Inspector CLI rule).
# Runs from the scratch directory so npx never picks up a package.json of the work tree.
inspector() {
  (cd "$work" && timeout 120 npx -y -p "$NODE_PACKAGE" -p "@modelcontextprotocol/inspector@${INSPECTOR_VERSION}" -- \
    mcp-inspector --cli "$@") >"$work/out.json" 2>"$work/err.txt"
}

# json_check PYTHON_EXPR: evaluates the expression with `r` = the parsed stdout JSON; true passes.
json_check() {
  python3 - "$work/out.json" "$1" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    r = json.load(f)
sys.exit(0 if eval(sys.argv[2], {"r": r}) else 1)
EOF
}

# check TRANSPORT NAME PYTHON_EXPR -- TARGET ARGS...
check() {
  local transport="$1" name="$2" expr="$3"
  shift 4
  local rc=0
  inspector "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$transport" "$name: inspector exited with status $rc"
  elif ! json_check "$expr" 2>"$work/py.txt"; then
    cat "$work/py.txt" >>"$work/err.txt"
    fail "$transport" "$name: unexpected output"
  else
    pass "$transport" "$name"
  fi
}

run_checks() {
  local transport="$1"
  shift
  # "$@" is the server target (plus --transport for HTTP).
  check "$transport" "tools/list" \
    '{"test_simple_text","test_tool_with_progress","test_error_handling","test_sampling"} <= {t["name"] for t in r["tools"]} and all(t.get("description") for t in r["tools"])' \
    -- "$@" --method tools/list
  check "$transport" "tools/call test_simple_text" \
    'r.get("isError") in (None, False) and r["content"] == [{"type": "text", "text": "This is a simple text response for testing."}]' \
    -- "$@" --method tools/call --tool-name test_simple_text
  check "$transport" "resources/read test://static-text" \
    'r["contents"] == [{"uri": "test://static-text", "mimeType": "text/plain", "text": "This is the content of the static text resource."}]' \
    -- "$@" --method resources/read --uri test://static-text
  check "$transport" "prompts/get test_prompt_with_arguments" \
    'r["messages"] == [{"role": "user", "content": {"type": "text", "text": "Prompt with arguments: arg1='"'a'"', arg2='"'b'"'"}}]' \
    -- "$@" --method prompts/get --prompt-name test_prompt_with_arguments --prompt-args arg1=a --prompt-args arg2=b
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
  local port="$1" pid="$2"
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server exited before listening on 127.0.0.1:$port" >&2
      return 1
    fi
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()' "$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "server did not listen on 127.0.0.1:$port within 15 s" >&2
  return 1
}

echo "--- Inspector CLI @modelcontextprotocol/inspector@${INSPECTOR_VERSION} (${NODE_PACKAGE}) over stdio"
run_checks stdio "$binary"

echo "--- Inspector CLI @modelcontextprotocol/inspector@${INSPECTOR_VERSION} (${NODE_PACKAGE}) over Streamable HTTP"
port="$(free_port)"
"$binary" --http "127.0.0.1:$port" 2>"$work/server.log" &
server_pid=$!
if wait_for_port "$port" "$server_pid"; then
  run_checks http "http://127.0.0.1:$port/mcp" --transport http
else
  failed=$((failed + 1))
  echo "FAIL [inspector/http] server start"
  sed 's/^/    server: /' "$work/server.log" | head -20
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
