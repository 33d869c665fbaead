#!/usr/bin/python3
"""A recording HTTP server for the notification tests (Discord, webhook, healthcheck).

Listens on 127.0.0.1 (a free port, written to --port-file once ready). Every request is appended
to --log as one JSON line (time, method, path, headers, body) before it is answered. The first
path segment chooses the behaviour; the rest of the path is free (tokens, /start, /fail):
  /ok/...          204 No Content (what Discord answers)
  /json/...        200 with {"ok": true}
  /ratelimit/...   first request: 429 with {"retry_after": 1.5} in the body; then 204
  /retryafter/...  first request: 429 with a "Retry-After: 1" header only; then 204
  /ratelimitlong/... always 429 with {"retry_after": 120}
  /error500/...    always 500
  /flaky/...       two 503 answers, then 204
  /notfound/...    404 with a JSON body
  /hang/...        reads the request and never answers
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
counts = {}
args = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def record(self, body):
        entry = {"t": time.time(), "method": self.command, "path": self.path,
                 "headers": {k: v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", errors="replace")}
        with lock:
            with open(args.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
            counts[self.path] = counts.get(self.path, 0) + 1
            return counts[self.path]

    def answer(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        count = self.record(body)
        kind = self.path.strip("/").split("/")[0].split("?")[0]
        if kind == "ok":
            self.answer(204)
        elif kind == "json":
            self.answer(200, b'{"ok": true}')
        elif kind == "ratelimit":
            if count == 1:
                self.answer(429, b'{"message": "You are being rate limited.", '
                                 b'"retry_after": 1.5, "global": false}')
            else:
                self.answer(204)
        elif kind == "retryafter":
            if count == 1:
                self.answer(429, headers={"Retry-After": "1"})
            else:
                self.answer(204)
        elif kind == "ratelimitlong":
            self.answer(429, b'{"retry_after": 120, "global": false}')
        elif kind == "error500":
            self.answer(500, b'{"message": "internal error"}')
        elif kind == "flaky":
            self.answer(503 if count <= 2 else 204)
        elif kind == "hang":
            time.sleep(3600)
        else:
            self.answer(404, b'{"message": "Unknown Webhook", "code": 10015}')

    do_POST = handle_any
    do_GET = handle_any
    do_HEAD = handle_any


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
