#!/usr/bin/env python3
"""Interoperability check: the official Python MCP SDK 2.x (`mcp.Client`) against the
`conformance` example server, in its default mode (`auto`: probes `server/discover` and so
speaks the stateless 2026-07-28 revision) and in `legacy` mode (the `initialize` handshake),
each over stdio and over Streamable HTTP.

Usage: python_client_v2.py PATH/TO/conformance

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
from mcp import Client, StdioServerParameters, types

SERVER_NAME = "mcp-protocol-conformance"
CHECK_TIMEOUT = 20  # seconds per check: a hung exchange fails that check, not the whole run
SAMPLING_REPLY = "Hello from the Python SDK 2.x sampling callback"
EXPECTED_VERSION = {"auto": "2026-07-28", "legacy": "2025-11-25"}

passed = 0
failed = 0


def report(ok: bool, where: str, name: str, detail: str = "") -> None:
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    line = f"{'PASS' if ok else 'FAIL'} [python2/{where}] {name}"
    if detail:
        line += f": {detail}"
    print(line, flush=True)


def text_of(result: Any, index: int = 0) -> str:
    content = result.content[index]
    assert content.type == "text", f"content[{index}] is {content.type}, not text"
    return content.text


class Callbacks:
    """What the server can ask this client for, and what it asked."""

    def __init__(self) -> None:
        self.sampling_requests: list[Any] = []
        self.elicitation_requests: list[Any] = []
        self.log_messages: list[Any] = []

    async def sampling(self, _ctx: Any, params: Any) -> types.CreateMessageResult:
        self.sampling_requests.append(params)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=SAMPLING_REPLY),
            model="interop-test-model",
            stop_reason="endTurn",
        )

    async def elicitation(self, _ctx: Any, params: Any) -> types.ElicitResult:
        self.elicitation_requests.append(params)
        message = getattr(params, "message", "")
        if "color" in message:
            return types.ElicitResult(action="accept", content={"color": "teal"})
        return types.ElicitResult(action="accept", content={"name": "Ada", "username": "ada", "email": "ada@example.com"})

    async def roots(self, _ctx: Any) -> Any:
        return types.ListRootsResult(roots=[types.Root(uri="file:///tmp/interop", name="interop")])

    async def logging(self, params: Any) -> None:
        self.log_messages.append(params)


def client_for(server: Any, mode: str, callbacks: Callbacks) -> Client:
    return Client(
        server,
        mode=mode,
        sampling_callback=callbacks.sampling,
        elicitation_callback=callbacks.elicitation,
        list_roots_callback=callbacks.roots,
        logging_callback=callbacks.logging,
        log_level="info" if mode == "auto" else None,
        client_info=types.Implementation(name="mcp-protocol-interop-v2", version="0.1.0"),
        cache=None,
    )


async def run_checks(where: str, mode: str, client: Client, callbacks: Callbacks) -> None:
    async def check(name: str, body: Callable[[], Awaitable[str | None]]) -> None:
        try:
            with anyio.fail_after(CHECK_TIMEOUT):
                detail = await body()
            report(True, where, name, detail or "")
        except Exception as exc:  # noqa: BLE001 - every failure is a reported check
            report(False, where, name, f"{type(exc).__name__}: {exc}".strip())
            traceback.print_exc(file=sys.stderr)

    async def connected() -> str:
        version = client.protocol_version
        assert version == EXPECTED_VERSION[mode], f"protocol_version {version!r}, expected {EXPECTED_VERSION[mode]!r}"
        info = client.server_info
        assert info is not None and info.name == SERVER_NAME, f"server_info {info!r}"
        return f"protocol_version={version}"

    async def list_tools() -> str:
        tools = (await client.list_tools()).tools
        names = {t.name for t in tools}
        expected = {"test_simple_text", "test_sampling", "test_input_required_result_multi_round"}
        assert expected <= names, f"missing tools: {sorted(expected - names)}"
        return f"{len(tools)} tools"

    async def simple_text() -> None:
        r = await client.call_tool("test_simple_text", {})
        assert not r.is_error, r
        assert text_of(r) == "This is a simple text response for testing.", r

    async def sampling() -> str:
        callbacks.sampling_requests.clear()
        r = await client.call_tool("test_sampling", {"prompt": "What is 2+2?"})
        assert not r.is_error, r
        assert len(callbacks.sampling_requests) == 1, f"{len(callbacks.sampling_requests)} sampling requests"
        assert text_of(r) == f"LLM response: {SAMPLING_REPLY}", r
        return "input_required round trip" if mode == "auto" else "server-to-client request"

    async def multi_round() -> None:
        callbacks.elicitation_requests.clear()
        r = await client.call_tool("test_input_required_result_multi_round", {})
        assert not r.is_error, r
        assert text_of(r) == "Hello Ada, your favorite color is teal", r
        assert len(callbacks.elicitation_requests) == 2, f"{len(callbacks.elicitation_requests)} elicitations"

    async def read_static() -> None:
        r = await client.read_resource("test://static-text")
        c = r.contents[0]
        assert c.text == "This is the content of the static text resource.", c

    async def prompt() -> None:
        r = await client.get_prompt("test_prompt_with_arguments", {"arg1": "hello", "arg2": "world"})
        assert r.messages[0].content.text == "Prompt with arguments: arg1='hello', arg2='world'", r

    async def logging() -> str:
        callbacks.log_messages.clear()
        r = await client.call_tool("test_tool_with_logging", {})
        assert text_of(r) == "Tool with logging executed successfully", r
        await anyio.sleep(0.2)
        data = [m.data for m in callbacks.log_messages]
        assert data[:3] == ["Tool execution started", "Tool processing data", "Tool execution completed"], data
        return f"{len(data)} log messages at the request's log level"

    async def listen() -> str:
        async with client.listen(tools_list_changed=True, resource_subscriptions=["test://watched-resource"]) as sub:
            r = await client.call_tool("test_trigger_resource_update", {})
            assert not r.is_error, r
            event = await sub.__anext__()
            assert type(event).__name__ == "ResourceUpdated", event
            r = await client.call_tool("test_trigger_tool_change", {})
            assert not r.is_error, r
            second = await sub.__anext__()
            assert type(second).__name__ == "ToolsListChanged", second
        return f"events {type(event).__name__}, {type(second).__name__}"

    before = failed
    await check("connect", connected)
    if failed != before:
        return
    checks: list[tuple[str, Callable[[], Awaitable[str | None]]]] = [
        ("tools/list", list_tools),
        ("tools/call test_simple_text", simple_text),
        ("tools/call test_sampling (sampling callback)", sampling),
        ("tools/call test_input_required_result_multi_round (two elicitations)", multi_round),
        ("resources/read test://static-text", read_static),
        ("prompts/get test_prompt_with_arguments", prompt),
    ]
    if mode == "auto":
        checks.append(("tools/call test_tool_with_logging (per-request log level)", logging))
        checks.append(("subscriptions/listen (resource update, tool list change)", listen))
    for name, body in checks:
        await check(name, body)


def _kill_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGKILL when this process dies (Linux)."""
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


async def session(where: str, mode: str, server: Any) -> None:
    callbacks = Callbacks()
    try:
        with anyio.fail_after(180):
            async with client_for(server, mode, callbacks) as client:
                await run_checks(where, mode, client, callbacks)
    except Exception as exc:  # noqa: BLE001
        report(False, where, "transport", f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)


async def main(binary: str) -> None:
    for mode in ("auto", "legacy"):
        await session(f"{mode}/stdio", mode, StdioServerParameters(command=binary, args=[]))
    port = free_port()
    proc = subprocess.Popen([binary, "--http", f"127.0.0.1:{port}"], stdin=subprocess.DEVNULL,
                            preexec_fn=_kill_with_parent())
    try:
        wait_for_port(port, proc)
        for mode in ("auto", "legacy"):
            await session(f"{mode}/http", mode, f"http://127.0.0.1:{port}/mcp")
    finally:
        proc.kill()
        proc.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python_client_v2.py PATH/TO/conformance")
    try:
        anyio.run(main, sys.argv[1])
    except BaseException as exc:  # noqa: BLE001 - still print the summary line
        report(False, "-", "client crashed", f"{type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 and passed > 0 else 1)
