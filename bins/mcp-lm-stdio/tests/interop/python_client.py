"""The Python `mcp` SDK (1.x) launching mcp-lm-stdio as an MCP host does: list tools, call
terminal_run and lm_query (with progress), cancel a long command.

usage: python_client.py BINARY LM_STUDIO_URL
"""
import asyncio
import os
import subprocess
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

BINARY, LM_URL = sys.argv[1], sys.argv[2]
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(f"{'PASS' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")


def running(pattern):
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode == 0


async def main():
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "XDG_CONFIG_HOME": "/nonexistent",
           "MCP_LM_LMSTUDIO_HOST": LM_URL, "MCP_LM_LOG_AUDIT_PATH": ""}
    params = StdioServerParameters(command=BINARY, args=[], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check("initialize", init.serverInfo.name == "mcp-lm-terminal", init.serverInfo)
            names = [t.name for t in (await session.list_tools()).tools]
            check("tools/list", "terminal_run" in names and "lm_query" in names, names)
            run = await session.call_tool("terminal_run", {"cmd": "echo stdio-interop"})
            check("terminal_run", run.structuredContent["stdout"] == "stdio-interop\n", run)
            progress = []

            async def on_progress(value, total, message):
                progress.append(value)

            answer = await session.call_tool("lm_query", {"prompt": "hi"}, progress_callback=on_progress)
            check("lm_query with progress", "prime number" in answer.structuredContent["content"] and progress, (answer, progress))

            # Cancellation, as a host does it: notifications/cancelled for the call's request id
            # (the 1.x SDK numbers requests with `_request_id`; it does not send this itself).
            request_id = session._request_id
            call = asyncio.create_task(session.call_tool("terminal_run", {"cmd": "sleep 3311", "timeout": 60}))
            await asyncio.sleep(1.0)
            check("the long command runs", running("sleep 3311"))
            await session.send_notification(types.ClientNotification(types.CancelledNotification(
                params=types.CancelledNotificationParams(requestId=request_id, reason="interop test"))))
            await asyncio.sleep(1.0)
            check("cancellation kills the command", not running("sleep 3311"))
            call.cancel()


asyncio.run(asyncio.wait_for(main(), 60))
passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
