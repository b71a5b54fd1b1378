"""A stand-in LM Studio for the interop run, serving the workspace's recorded-shape fixture
files (fixtures/data): model lists, chat answers and SSE streams of /api/v0 and /v1.

usage: fake_lm_studio.py PORT
"""
import http.server
import json
import os
import sys

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "data")


def load(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, body, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        routes = {"/api/v0/models": "api-v0/models.default.json", "/v1/models": "v1/models.default.json"}
        if self.path in routes:
            self.reply(load(routes[self.path]))
        else:
            self.reply(json.dumps({"error": f"Unexpected endpoint or method. (GET {self.path})"}).encode())

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        stream = body.get("stream", False)
        if self.path in ("/api/v0/chat/completions", "/v1/chat/completions"):
            if stream:
                self.reply(load("api-v0/chat_completions.usage.sse"), "text/event-stream")
            else:
                family = "api-v0" if self.path.startswith("/api") else "v1"
                self.reply(load(f"{family}/chat_completions.default.json"))
        else:
            self.reply(json.dumps({"error": f"Unexpected endpoint or method. (POST {self.path})"}).encode())

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
