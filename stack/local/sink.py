#!/usr/bin/python3
"""Loopback webhook receiver standing in for every Alertmanager receiver.

Each POST (Alertmanager webhook payload) is appended to the log file as one
JSON line {"receiver_path": ..., "payload": ...}, so a test or a person can
see which receiver got which alert. Usage: sink.py --listen 127.0.0.1:PORT --log FILE
[--fail-file FILE]: while FILE exists, receivers named in it (one per line)
get HTTP 500, as a broken Slack/PagerDuty/SMTP would answer, and the attempt is
logged with "failed": true (tests drive Alertmanager's failure path with it).
"""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def failing(fail_file):
    try:
        with open(fail_file, encoding="utf-8") as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        return set()


def make_handler(log_path, fail_file):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                payload = json.loads(body)
            except ValueError:
                self.send_error(400, "body is not JSON")
                return
            failed = bool(fail_file) and self.path.strip("/") in failing(fail_file)
            line = json.dumps({"receiver_path": self.path, "payload": payload, "failed": failed})
            with LOCK, open(log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
            if failed:
                self.send_error(500, "receiver switched to failing (--fail-file)")
                return
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
    ap.add_argument("--fail-file", help="receivers listed in this file (while it exists) get HTTP 500")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("sink: refusing to listen on a non-loopback address")
    server = ThreadingHTTPServer((host, int(port)), make_handler(args.log, args.fail_file))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
