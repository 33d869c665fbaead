#!/usr/bin/python3
"""A fault-injecting HTTP proxy in front of an S3 server, for the S3 driver's retry and timeout
tests.

Listens on 127.0.0.1 (a free port, written to --port-file once ready) and forwards every request
to --upstream unchanged (the Host header too, so SigV4 signatures still match). The faults are
read from --ctl (a file, re-read at each request; absent or empty: none):
  slowdown N     the next N part uploads (PUT ...?partNumber=) get 503 SlowDown
  slowdown-get N the next N GETs of an object get 503 SlowDown
  drop-get N     the next N GETs of an object send half of the body, then close the connection
  drop-stream N  the same for the next N GETs with an open-ended Range ("bytes=N-": a reader's
                 streaming GET, not the first range it fetches at the open)
  stall          every request is read and never answered
Every request is logged to --log as one line: "METHOD PATH STATUS", followed by " bytes=A-B"
when it has a Range header.
"""
import argparse
import http.client
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
args = None
used = {}

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message></Error>')


def fault(kind):
    """True when a fault of this kind applies to the current request (and counts it)."""
    try:
        with open(args.ctl) as f:
            lines = f.read().split("\n")
    except OSError:
        return False
    with lock:
        for line in lines:
            w = line.split()
            if not w or w[0] != kind:
                continue
            if kind == "stall":
                return True
            n = int(w[1])
            if used.get(kind, 0) < n:
                used[kind] = used.get(kind, 0) + 1
                return True
    return False


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def record(self, status):
        rng = self.headers.get("Range")
        with lock, open(args.log, "a") as f:
            f.write("%s %s %s%s\n" % (self.command, self.path, status,
                                      " " + rng.split("=", 1)[-1] if rng else ""))

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if fault("stall"):
            self.record("stalled")
            time.sleep(3600)
            return
        is_part = self.command == "PUT" and "partNumber=" in self.path
        is_get = self.command == "GET" and "?" not in self.path
        if (is_part and fault("slowdown")) or (is_get and fault("slowdown-get")):
            self.record(503)
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOWDOWN)))
            self.end_headers()
            self.wfile.write(SLOWDOWN)
            return
        rng = self.headers.get("Range") or ""
        drop = is_get and (fault("drop-get") or (rng.endswith("-") and fault("drop-stream")))
        up = http.client.HTTPConnection(args.upstream_host, args.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items()}
        up.request(self.command, self.path, body=body if n else None, headers=headers)
        r = up.getresponse()
        data = r.read()
        self.record(r.status if not drop else "%d-dropped" % r.status)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        # a HEAD's Content-Length is the object's size, not the (empty) body's
        length = r.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
        self.send_header("Content-Length", length)
        if drop:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2] if drop else data)
        if drop:
            self.wfile.flush()
            self.close_connection = True
        up.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)  # http://127.0.0.1:PORT
    p.add_argument("--port-file", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    hostport = args.upstream.split("://", 1)[1]
    args.upstream_host, port = hostport.rsplit(":", 1)
    args.upstream_port = int(port)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
