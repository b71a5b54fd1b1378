#!/usr/bin/env bash
# End-to-end tests of the web UI (GET /) in headless Chromium: Debian's `chromium`, driven by
# `playwright-core` from npm at a pinned version, against the real mcp-lm-http binary and a
# stand-in LM Studio serving the fixture files (tests/interop/fake_lm_studio.py). Saves
# screenshots of the main views to target/ui-screenshots/, reports the page's compressed weight
# and load timings, and ends with `N passed, M failed`.
#   bash bins/mcp-lm-http/tests/ui/run.sh
# Without chromium it skips loudly; with CI=true it installs it (apt-get) or fails.
set -euo pipefail
PLAYWRIGHT_VERSION="1.65.1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"

missing() {
  if [[ "${CI:-}" == "true" ]]; then echo "ERROR: mcp-lm-http UI tests need $1" >&2; exit 1; fi
  echo "!!! SKIPPED: mcp-lm-http UI tests: $1 is missing (CI=true makes this a failure)" >&2
  exit 0
}
command -v python3 >/dev/null 2>&1 || missing python3
command -v node >/dev/null 2>&1 || missing node
command -v npm >/dev/null 2>&1 || missing npm
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  if [[ "${CI:-}" == "true" ]] && command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == "0" ]]; then
    echo "=== installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
  fi
  [[ -x "$chromium" ]] || missing "chromium (apt-get install chromium)"
fi

# playwright-core (no browser download: it drives Debian's chromium), cached outside the repo.
node_dir="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-lm-terminal/ui-node"
installed="$(node -p "try { require('$node_dir/node_modules/playwright-core/package.json').version } catch { '' }" 2>/dev/null || true)"
if [[ "$installed" != "$PLAYWRIGHT_VERSION" ]]; then
  mkdir -p "$node_dir"
  echo '{"private": true}' > "$node_dir/package.json"
  (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error --save-exact "playwright-core@$PLAYWRIGHT_VERSION")
fi

binary="$(cargo build -q -p mcp-lm-http --message-format=json | python3 -c '
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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

token="ui-test-token-0123456789abcdefghijklmnop"
lm_port="$(free_port)"
python3 "$root/bins/mcp-lm-http/tests/interop/fake_lm_studio.py" "$lm_port" & pids+=($!)
wait_port "$lm_port"
# A fresh server for each attempt (the suite expects no sessions but its own).
start_server() {
  server_port="$(free_port)"
  rm -rf "$work/home" "$work/config" "$work/audit.jsonl"
  mkdir -p "$work/home"
  env -i PATH="$PATH" HOME="$work/home" XDG_CONFIG_HOME="$work/config" \
    MCP_LM_API_TOKEN="$token" MCP_LM_LMSTUDIO_HOST="http://127.0.0.1:$lm_port" \
    MCP_LM_LOG_AUDIT_PATH="$work/audit.jsonl" MCP_LM_TERMINAL_SHELL=/bin/sh \
    "$binary" --port "$server_port" --log-level warn 2> "$work/server.log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_port "$server_port"
}
start_server

echo "=== mcp-lm-http web UI: page weight (gzip -9)"
total=0; total_gz=0
for file in index.html app.js app.css vendor/xterm.js vendor/xterm.css vendor/addon-fit.js; do
  raw=$(wc -c < "bins/mcp-lm-http/ui/$file"); gz=$(gzip -9 -c "bins/mcp-lm-http/ui/$file" | wc -c)
  total=$((total + raw)); total_gz=$((total_gz + gz))
  printf '  %-22s %8d bytes  %7d gzip\n' "$file" "$raw" "$gz"
done
printf '  %-22s %8d bytes  %7d gzip\n' "total" "$total" "$total_gz"

echo "=== mcp-lm-http web UI: headless Chromium"
shots="$root/target/ui-screenshots"
mkdir -p "$shots"
run_suite() {
  UI_URL="http://127.0.0.1:$server_port" UI_TOKEN="$token" UI_SHOTS="$shots" UI_CHROMIUM="$chromium" \
    UI_NODE_MODULES="$node_dir/node_modules" UI_AUDIT="$work/audit.jsonl" \
    node "$here/ui.test.mjs"
}
set +e
run_suite
status=$?
set -e
if [[ $status -ne 0 ]]; then
  echo "--- server log"; tail -n 40 "$work/server.log" >&2 || true
  # One more attempt on a fresh server, as nextest retries a Rust test once: a browser on two
  # busy cores has rare timing failures. Said loudly, so that a flaky scenario is seen.
  echo "!!! FLAKY?: the UI suite failed; running it once more on a fresh server"
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  start_server
  set +e
  run_suite
  status=$?
  set -e
  if [[ $status -eq 0 ]]; then
    echo "!!! FLAKY: the UI suite passed on its second attempt (see the failure above)"
  else
    echo "--- server log"; tail -n 40 "$work/server.log" >&2 || true
  fi
fi
echo "screenshots: $shots"
exit $status
