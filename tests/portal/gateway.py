"""A real HTTP SMS gateway on loopback for tests: honours Idempotency-Key like a real one should."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsGateway:
    """Records every request; delivers a message once per idempotency key; can be told to fail."""

    def __init__(self, fail_with: int | None = None, delay: float = 0):
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self.delivered_at: dict[str, float] = {}  # time.monotonic() of each key's first delivery
        self.fail_with = fail_with
        self.delay = delay  # seconds each answer takes (a slow gateway)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                gateway.requests.append({"key": key, **body})
                if gateway.delay:
                    time.sleep(gateway.delay)
                if gateway.fail_with:
                    self.send_response(gateway.fail_with)
                    self.end_headers()
                    self.wfile.write(b"gateway down")
                    return
                gateway.delivered.setdefault(key, body)
                gateway.delivered_at.setdefault(key, time.monotonic())
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
