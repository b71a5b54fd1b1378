#!/usr/bin/env python3
"""Interoperability check: the official Python MCP SDK (1.x, legacy initialize handshake) as a
client of the `conformance` example server, over stdio and over Streamable HTTP.

Usage: python_client.py PATH/TO/conformance

Prints one `PASS`/`FAIL` line per check and ends with `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from mcp import ClientSession, McpError, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

SERVER_NAME = "mcp-protocol-conformance"
CHECK_TIMEOUT = 20  # seconds per check: a hung exchange fails that check, not the whole run
SAMPLING_REPLY = "Hello from the Python SDK sampling callback"

passed = 0
failed = 0


def report(ok: bool, transport: str, name: str, detail: str = "") -> None:
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    line = f"{'PASS' if ok else 'FAIL'} [python/{transport}] {name}"
    if detail:
        line += f": {detail}"
    print(line, flush=True)


def text_of(result: Any, index: int = 0) -> str:
    content = result.content[index]
    assert content.type == "text", f"content[{index}] is {content.type}, not text"
    return content.text


class Client:
    """Callbacks the server can reach (sampling, elicitation, logging) and what they recorded."""

    def __init__(self) -> None:
        self.sampling_requests: list[types.CreateMessageRequestParams] = []
        self.elicitation_requests: list[types.ElicitRequestParams] = []
        self.log_messages: list[types.LoggingMessageNotificationParams] = []

    async def sampling(self, _ctx: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self.sampling_requests.append(params)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=SAMPLING_REPLY),
            model="interop-test-model",
            stopReason="endTurn",
        )

    async def elicitation(self, _ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.elicitation_requests.append(params)
        return types.ElicitResult(action="accept", content={"username": "alice", "email": "alice@example.com"})

    async def logging(self, params: types.LoggingMessageNotificationParams) -> None:
        self.log_messages.append(params)

    def session(self, read: Any, write: Any) -> ClientSession:
        return ClientSession(
            read,
            write,
            sampling_callback=self.sampling,
            elicitation_callback=self.elicitation,
            logging_callback=self.logging,
            client_info=types.Implementation(name="mcp-protocol-interop", version="0.1.0"),
        )


async def run_checks(transport: str, session: ClientSession, client: Client) -> None:
    async def check(name: str, body: Callable[[], Awaitable[str | None]]) -> None:
        try:
            with anyio.fail_after(CHECK_TIMEOUT):
                detail = await body()
            report(True, transport, name, detail or "")
        except Exception as exc:  # noqa: BLE001 - every failure is a reported check
            report(False, transport, name, f"{type(exc).__name__}: {exc}".strip())
            traceback.print_exc(file=sys.stderr)

    async def initialize() -> str:
        init = await session.initialize()
        assert init.protocolVersion == types.LATEST_PROTOCOL_VERSION, (
            f"protocolVersion {init.protocolVersion!r}, expected {types.LATEST_PROTOCOL_VERSION!r}"
        )
        assert init.serverInfo.name == SERVER_NAME, f"serverInfo.name {init.serverInfo.name!r}"
        caps = init.capabilities
        assert caps.tools is not None and caps.resources is not None and caps.prompts is not None, caps
        return f"protocolVersion={init.protocolVersion} serverInfo.name={init.serverInfo.name}"

    # Everything after a failed initialize would fail for the same reason: stop this transport.
    before = failed
    await check("initialize", initialize)
    if failed != before:
        return

    async def ping() -> None:
        await session.send_ping()

    async def list_tools() -> str:
        tools = (await session.list_tools()).tools
        names = {t.name for t in tools}
        expected = {"test_simple_text", "test_tool_with_progress", "test_error_handling", "test_sampling",
                    "test_elicitation", "test_tool_with_logging", "test_image_content"}
        assert expected <= names, f"missing tools: {sorted(expected - names)}"
        undescribed = [t.name for t in tools if not t.description]
        assert not undescribed, f"tools without description: {undescribed}"
        return f"{len(tools)} tools"

    async def simple_text() -> None:
        r = await session.call_tool("test_simple_text", {})
        assert not r.isError, r
        assert text_of(r) == "This is a simple text response for testing.", r

    async def image() -> None:
        r = await session.call_tool("test_image_content", {})
        c = r.content[0]
        assert c.type == "image" and c.mimeType == "image/png" and c.data.startswith("iVBORw0KGgo"), c

    async def progress() -> str:
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            seen.append((value, total, message))

        r = await session.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
        assert not r.isError, r
        # The server emitted the last notification before the result, but the SDK's progress
        # callbacks run on the receive loop: give a moment for any straggler to be dispatched.
        await anyio.sleep(0.2)
        values = [v for v, _, _ in seen]
        assert len(values) >= 2, f"only {len(values)} progress notifications: {seen}"
        assert all(a < b for a, b in zip(values, values[1:])), f"progress not increasing: {values}"
        assert all(t == 100 for _, t, _ in seen), f"unexpected totals: {seen}"
        return f"progress {values}, result {text_of(r)!r}"

    async def error_handling() -> None:
        r = await session.call_tool("test_error_handling", {})
        assert r.isError is True, f"isError={r.isError!r}"
        assert text_of(r) == "This tool intentionally returns an error for testing", r

    async def sampling() -> None:
        client.sampling_requests.clear()
        r = await session.call_tool("test_sampling", {"prompt": "What is 2+2?"})
        assert not r.isError, r
        assert len(client.sampling_requests) == 1, f"{len(client.sampling_requests)} sampling requests"
        req = client.sampling_requests[0]
        assert req.maxTokens == 100, req
        assert req.messages[0].role == "user" and req.messages[0].content.text == "What is 2+2?", req
        assert text_of(r) == f"LLM response: {SAMPLING_REPLY}", r

    async def elicitation() -> None:
        client.elicitation_requests.clear()
        r = await session.call_tool("test_elicitation", {"message": "Who are you?"})
        assert not r.isError, r
        assert len(client.elicitation_requests) == 1, f"{len(client.elicitation_requests)} elicitation requests"
        assert client.elicitation_requests[0].message == "Who are you?", client.elicitation_requests[0]
        text = text_of(r)
        assert text.startswith("User response: action=accept") and "alice@example.com" in text, text

    async def logging() -> str:
        client.log_messages.clear()
        await session.set_logging_level("debug")
        r = await session.call_tool("test_tool_with_logging", {})
        assert text_of(r) == "Tool with logging executed successfully", r
        await anyio.sleep(0.2)
        data = [m.data for m in client.log_messages]
        assert data[:3] == ["Tool execution started", "Tool processing data", "Tool execution completed"], data
        return f"{len(data)} log messages"

    async def read_static() -> None:
        r = await session.read_resource("test://static-text")
        c = r.contents[0]
        assert str(c.uri) == "test://static-text" and c.mimeType == "text/plain", c
        assert c.text == "This is the content of the static text resource.", c

    async def read_template() -> None:
        templates = (await session.list_resource_templates()).resourceTemplates
        assert "test://template/{id}/data" in [t.uriTemplate for t in templates], templates
        r = await session.read_resource("test://template/42/data")
        c = r.contents[0]
        assert str(c.uri) == "test://template/42/data" and c.mimeType == "application/json", c
        assert json.loads(c.text) == {"id": "42", "templateTest": True, "data": "Data for ID: 42"}, c.text

    async def prompt() -> None:
        r = await session.get_prompt("test_prompt_with_arguments", {"arg1": "hello", "arg2": "world"})
        assert len(r.messages) == 1 and r.messages[0].role == "user", r
        assert r.messages[0].content.text == "Prompt with arguments: arg1='hello', arg2='world'", r

    async def completion() -> None:
        r = await session.complete(
            types.PromptReference(type="ref/prompt", name="test_prompt_with_arguments"),
            {"name": "arg1", "value": "par"},
        )
        assert set(r.completion.values) == {"paris", "park", "party"}, r.completion

    async def unknown_tool() -> str:
        try:
            r = await session.call_tool("no_such_tool", {})
        except McpError as err:
            assert err.error.code == types.INVALID_PARAMS, f"code {err.error.code}"
            return f"McpError {err.error.code}: {err.error.message}"
        raise AssertionError(f"no MCP error, got result {r}")

    async def unknown_resource() -> str:
        try:
            r = await session.read_resource("test://no-such-resource")
        except McpError as err:
            return f"McpError {err.error.code}: {err.error.message}"
        raise AssertionError(f"no MCP error, got result {r}")

    for name, body in [
        ("ping", ping),
        ("tools/list", list_tools),
        ("tools/call test_simple_text", simple_text),
        ("tools/call test_image_content", image),
        ("tools/call test_tool_with_progress (progress callback)", progress),
        ("tools/call test_error_handling (isError)", error_handling),
        ("tools/call test_sampling (sampling callback round trip)", sampling),
        ("tools/call test_elicitation (elicitation callback round trip)", elicitation),
        ("tools/call test_tool_with_logging (logging callback)", logging),
        ("resources/read test://static-text", read_static),
        ("resources/read template test://template/42/data", read_template),
        ("prompts/get test_prompt_with_arguments", prompt),
        ("completion/complete", completion),
        ("tools/call unknown tool -> MCP error", unknown_tool),
        ("resources/read unknown uri -> MCP error", unknown_resource),
    ]:
        await check(name, body)


async def over_stdio(binary: str) -> None:
    client = Client()
    try:
        with anyio.fail_after(180):
            params = StdioServerParameters(command=binary, args=[])
            async with stdio_client(params) as (read, write), client.session(read, write) as session:
                await run_checks("stdio", session, client)
    except Exception as exc:  # noqa: BLE001
        report(False, "stdio", "transport", f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)


def _kill_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGKILL when this process dies (Linux), so a server
    never outlives a client that was itself killed (e.g. by `timeout`) before its `finally` ran."""
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"server did not listen on 127.0.0.1:{port} within {timeout}s")


async def over_http(binary: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    proc = subprocess.Popen([binary, "--http", f"127.0.0.1:{port}"], stdin=subprocess.DEVNULL,
                            preexec_fn=_kill_with_parent())
    try:
        wait_for_port(port, proc)
        client = Client()
        session_id = None
        with anyio.fail_after(180):
            async with streamable_http_client(url) as (read, write, get_session_id), \
                    client.session(read, write) as session:
                await run_checks("http", session, client)
                session_id = get_session_id()
        # Closing the client sends DELETE for the session; the id must then be unknown (404).
        ok = session_id is not None
        detail = "no Mcp-Session-Id was issued"
        if ok:
            async with httpx.AsyncClient(timeout=10) as http:
                resp = await http.post(
                    url,
                    headers={"Mcp-Session-Id": session_id, "MCP-Protocol-Version": types.LATEST_PROTOCOL_VERSION,
                             "Accept": "application/json, text/event-stream"},
                    json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                )
            ok = resp.status_code == 404
            detail = f"POST with the closed session id -> HTTP {resp.status_code}"
        report(ok, "http", "session terminated on close", detail)
    except Exception as exc:  # noqa: BLE001
        report(False, "http", "transport", f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
    finally:
        proc.kill()
        proc.wait(timeout=10)


async def main(binary: str) -> None:
    await over_stdio(binary)
    await over_http(binary)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python_client.py PATH/TO/conformance")
    try:
        anyio.run(main, sys.argv[1])
    except BaseException as exc:  # noqa: BLE001 - still print the summary line
        report(False, "-", "client crashed", f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 and passed > 0 else 1)
