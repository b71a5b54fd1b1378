"""Python `websockets` (a real browser-grade WebSocket client) against /terminal/stream:
the original server's plain-text command lines, JSON input, resize, Ctrl-C, exit, and the
bearer header, ticket and subprotocol ways to authenticate.

usage: ws_client.py HTTP_BASE_URL TOKEN
"""
import asyncio
import json
import sys
import urllib.request

import websockets

BASE, TOKEN = sys.argv[1], sys.argv[2]
WS = BASE.replace("http://", "ws://") + "/terminal/stream"
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(f"{'PASS' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")


async def until(socket, needle):
    seen = ""
    while needle not in seen:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message["type"] == "output":
            seen += message["data"]
        elif message["type"] == "exit":
            return message
    return seen


async def terminal():
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with websockets.connect(WS + "?cols=80&rows=24", additional_headers=headers) as socket:
        hello = json.loads(await socket.recv())
        check("session message first", hello["type"] == "session" and hello["cols"] == 80, hello)
        await socket.send("echo py-$((40+2))")  # the original ws.send('ls -la') style
        check("plain-text command line", "py-42" in await until(socket, "py-42"))
        await socket.send(json.dumps({"type": "input", "data": "echo json-$((2+2))\n"}))
        check("JSON input", "json-4" in await until(socket, "json-4"))
        await socket.send(json.dumps({"type": "resize", "cols": 90, "rows": 30}))
        await socket.send("stty size")
        check("resize seen by stty", "30 90" in await until(socket, "30 90"))
        await socket.send("sleep 30")
        await asyncio.sleep(0.5)
        await socket.send(json.dumps({"type": "signal", "name": "INT"}))
        await socket.send("echo after-int")
        check("Ctrl-C interrupts", "after-int" in await until(socket, "after-int"))
        await socket.send("exit 7")
        exit_message = await until(socket, "\0never")
        check("exit code", isinstance(exit_message, dict) and exit_message.get("code") == 7, exit_message)


async def authentication():
    try:
        async with websockets.connect(WS):
            check("no token is refused", False)
    except websockets.exceptions.InvalidStatus as error:
        check("no token is refused", error.response.status_code == 401, error)
    request = urllib.request.Request(BASE + "/auth/ticket", method="POST", headers={"Authorization": f"Bearer {TOKEN}"})
    ticket = json.loads(urllib.request.urlopen(request).read())["ticket"]
    async with websockets.connect(f"{WS}?ticket={ticket}") as socket:
        check("ticket", json.loads(await socket.recv())["type"] == "session")
    async with websockets.connect(WS, subprotocols=["mcp-lm", f"bearer.{TOKEN}"]) as socket:
        check("bearer subprotocol", socket.subprotocol == "mcp-lm", socket.subprotocol)


asyncio.run(asyncio.wait_for(terminal(), 60))
asyncio.run(asyncio.wait_for(authentication(), 30))
passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
