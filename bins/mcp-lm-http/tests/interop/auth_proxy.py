"""A tiny HTTP/1.1 proxy that adds `Authorization: Bearer <token>` to every request.

The MCP conformance suite cannot send headers; this lets it test an authenticated `/mcp`.
Loopback `Host`/`Origin` values are rewritten to the upstream's address (so the server's
DNS-rebinding checks see its own address); any other Host (the suite's `evil.example.com`
probe) is passed through untouched. Bodies are forwarded by Content-Length; responses are
streamed back as they come (SSE included).

usage: auth_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT TOKEN
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def rewrite(head: bytes, upstream: str, token: str) -> bytes:
    lines = head.decode("latin-1").split("\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        lower = name.strip().lower()
        value = value.strip()
        if lower == "authorization":
            continue
        if lower == "host" and (value.startswith("127.0.0.1") or value.startswith("localhost")):
            value = upstream
        if lower == "origin" and ("//127.0.0.1" in value or "//localhost" in value):
            value = "http://" + upstream
        out.append(f"{name.strip()}: {value}")
    out.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


async def handle(client_reader, client_writer, upstream, token):
    host, port = upstream.rsplit(":", 1)
    try:
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
    except OSError:
        client_writer.close()
        return
    back = asyncio.create_task(pipe(server_reader, client_writer))
    try:
        while True:
            head = await client_reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1].strip())
            server_writer.write(rewrite(head[:-4], upstream, token))
            if length:
                server_writer.write(await client_reader.readexactly(length))
            await server_writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        try:
            server_writer.close()
        except Exception:
            pass
        await asyncio.wait([back], timeout=5)


async def main():
    listen, upstream, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = await asyncio.start_server(lambda r, w: handle(r, w, upstream, token), "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
