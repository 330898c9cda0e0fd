"""A real HTTP SMS gateway on loopback for tests: honours Idempotency-Key like a real one should."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsGateway:
    """Records every request; delivers a message once per idempotency key; can be told to fail."""

    def __init__(self, fail_with: int | None = None):
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self.fail_with = fail_with
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                gateway.requests.append({"key": key, **body})
                if gateway.fail_with:
                    self.send_response(gateway.fail_with)
                    self.end_headers()
                    self.wfile.write(b"gateway down")
                    return
                gateway.delivered.setdefault(key, body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
