"""The Python `mcp` SDK (1.x) against mcp-lm-http's /mcp: list and call terminal_run and
lm_query (with and without progress), and check that a wrong token is refused.

usage: python_client.py MCP_URL TOKEN
Prints one line per check and `N passed, M failed`; exits 1 on any failure.
"""
import asyncio
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

URL, TOKEN = sys.argv[1], sys.argv[2]
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(f"{'PASS' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")


async def session_checks():
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with streamablehttp_client(URL, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check("initialize", init.serverInfo.name == "mcp-lm-terminal", init.serverInfo)
            tools = {t.name: t for t in (await session.list_tools()).tools}
            check("tools/list has terminal_run and lm_query", {"terminal_run", "lm_query"} <= set(tools), list(tools))
            check("schemas are object-rooted", all(t.inputSchema.get("type") == "object" for t in tools.values()))

            run = await session.call_tool("terminal_run", {"cmd": "echo python-interop"})
            check("terminal_run", not run.isError and run.structuredContent["stdout"] == "python-interop\n", run)
            failed = await session.call_tool("terminal_run", {"cmd": "exit 5"})
            check("terminal_run failure is isError", failed.isError and failed.structuredContent["exit_code"] == 5, failed)

            answer = await session.call_tool("lm_query", {"prompt": "Is 97 prime?"})
            check("lm_query", not answer.isError and answer.structuredContent["content"] == "97 is prime.", answer)
            check("lm_query stats", answer.structuredContent["stats"]["tokens_per_second"] == 51.4, answer.structuredContent)

            progress = []

            async def on_progress(value, total, message):
                progress.append(value)

            streamed = await session.call_tool("lm_query", {"prompt": "Is 97 prime?"}, progress_callback=on_progress)
            text = streamed.structuredContent.get("content", "") if streamed.structuredContent else ""
            check("lm_query with progress streams", "prime number" in text and len(progress) >= 1, (text, progress))
            check("progress increases", progress == sorted(set(progress)), progress)

            bad = await session.call_tool("lm_query", {"temperature": "hot"})
            check("invalid arguments are a tool error", bad.isError, bad)


async def refused():
    try:
        async with streamablehttp_client(URL, headers={"Authorization": "Bearer " + "x" * 40}) as (read, write, _):
            async with ClientSession(read, write) as session:
                await asyncio.wait_for(session.initialize(), 10)
        return False
    except BaseException:  # the SDK raises from inside its task group
        return True


async def main():
    await asyncio.wait_for(session_checks(), 60)
    check("a wrong token is refused", await refused())


asyncio.run(main())
passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
