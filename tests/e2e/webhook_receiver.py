#!/usr/bin/env python3
"""A webhook receiver for the notification tests: a real HTTP server on a loopback port.

Every POST is kept as it arrived: OUT/<n>.body (the raw body bytes) and a line in
OUT/requests.jsonl ({n, path, headers, answered}). The first --fail-first requests are
answered with --fail-status (default 500), the rest with 200. Runs until killed.
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=500)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                state["n"] += 1
                n = state["n"]
                answer = args.fail_status if n <= args.fail_first else 200
                with open(os.path.join(args.out, f"{n}.body"), "wb") as f:
                    f.write(body)
                with open(os.path.join(args.out, "requests.jsonl"), "a") as f:
                    f.write(json.dumps({"n": n, "path": self.path, "headers": dict(self.headers.items()),
                                        "answered": answer}) + "\n")
            reply = b'{"ok":true}' if answer == 200 else b'{"error":"receiver told to fail"}'
            self.send_response(answer)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, fmt, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    with open(os.path.join(args.out, "ready"), "w") as f:
        f.write("ready\n")
    srv.serve_forever()


if __name__ == "__main__":
    main()
