"""A real HTTP receiver on 127.0.0.1 for the delivery tests, verifying Standard Webhooks signatures with
its own implementation of the spec (not opencmo.webhooks.signing), as a customer's server would."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify_standard_webhook(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """Written from the spec text: key = base64decode(secret without "whsec_"); content =
    "{id}.{timestamp}.{body}"; expected = base64(HMAC_SHA256(key, content)); any "v1,<sig>" matches."""
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature", "")
    if not msg_id or not stamp or not stamp.isdigit() or abs(time.time() - int(stamp)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    content = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for item in signatures.split(" "):
        version, _, sig = item.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


class Receiver:
    """Answers each POST with the next queued (status, body) (default 200 "ok") and records it."""

    def __init__(self):
        self.requests: list[dict] = []
        self.responses: list[tuple[int, str, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                status, text, extra = receiver.responses.pop(0) if receiver.responses else (200, "ok", {})
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, status: int, text: str = "", headers: dict | None = None, times: int = 1) -> None:
        self.responses.extend([(status, text, headers or {})] * times)

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
