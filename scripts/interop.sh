#!/usr/bin/env bash
# Tests against real third-party clients and validators, each script installing its tool at a
# pinned version: the MCP conformance suite, Python `mcp` SDK and MCP Inspector against
# mcp-protocol's example server; the same clients, Python `websockets` and the conformance suite
# against mcp-lm-http's /mcp and /terminal/stream; an OpenAPI validator against /openapi.json.
# Each part skips loudly where python3/npx are missing (CI=true makes that a failure).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
status=0
bash crates/mcp-protocol/tests/interop/run.sh || status=1
bash bins/mcp-lm-http/tests/interop/run.sh || status=1
bash bins/mcp-lm-stdio/tests/interop/run.sh || status=1
bash bins/mcp-lm-http/tests/openapi/validate.sh || status=1
bash bins/mcp-lm-http/tests/ui/run.sh || status=1
exit $status
