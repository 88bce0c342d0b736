#!/usr/bin/python3
"""Loopback webhook receiver standing in for every Alertmanager receiver.

Each POST (Alertmanager webhook payload) is appended to the log file as one
JSON line {"receiver_path": ..., "payload": ...}, so a test or a person can
see which receiver got which alert. Usage: sink.py --listen 127.0.0.1:PORT --log FILE
"""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def make_handler(log_path):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                payload = json.loads(body)
            except ValueError:
                self.send_error(400, "body is not JSON")
                return
            line = json.dumps({"receiver_path": self.path, "payload": payload})
            with LOCK, open(log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
            for alert in payload.get("alerts") or []:
                labels = alert.get("labels") or {}
                print(f"sink {self.path}: {alert.get('status')} {labels.get('alertname')} "
                      f"severity={labels.get('severity')}", flush=True)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):  # noqa: N802 -- readiness probe
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT (loopback)")
    ap.add_argument("--log", required=True, help="JSON-lines file of received payloads")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("sink: refusing to listen on a non-loopback address")
    server = ThreadingHTTPServer((host, int(port)), make_handler(args.log))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
