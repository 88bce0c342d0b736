#!/usr/bin/python3
"""Soak test of the MPC node (issue 18 item 3): the node's workload writes
continuously (high --tx-rate, extra --series) and churns series (with
--session-series every signing session has series of its own, created when
it starts and removed when it ends) while scraper threads fetch /metrics over
HTTP concurrently, both formats, with and without gzip.

Checked: every scrape answers 200 with the negotiated Content-Type and is
valid (text: promtool check metrics and prometheus_client's parser;
OpenMetrics: the strict parser); resident memory (VmRSS from /proc) is flat
after warm-up; the promcxx self-metrics report no error (collect errors,
overflow, drops, HTTP status other than 200) at the end; the churn happened
(many more sessions came and went than any scrape shows at once).

usage: soak_test.py --mpc-node EXE [--promtool EXE] [--seconds N] [--scrapers N]
Environment: PROMCXX_SOAK_SECONDS (default 60; 600 for the long run).
Everything binds to 127.0.0.1 (port picked by the node), the node is always stopped.
"""
import argparse
import gzip
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

ACCEPT = {
    "text": "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    # what Prometheus 2.42 sends
    "openmetrics": "application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,"
                   "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
}
ERROR_WORDS = ("error", "overflow", "dropped", "rejected", "fail")
SESSION_FAMILY = "mpc_signing_session_signers"  # one series per running signing session (--session-series)


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def scrape(port, fmt, use_gzip):
    headers = {"Accept": ACCEPT[fmt]}
    if use_gzip:
        headers["Accept-Encoding"] = "gzip"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as r:
        body = r.read()
        status, content_type, encoding = r.status, r.headers.get("Content-Type", ""), r.headers.get(
            "Content-Encoding", "")
    if encoding == "gzip":
        body = gzip.decompress(body)
    return status, content_type, body


class Soak:
    def __init__(self, args, port):
        self.args, self.port = args, port
        self.problems, self.lock = [], threading.Lock()
        self.scrapes = {"text": 0, "openmetrics": 0}
        self.sessions_seen = set()  # session label values over all scrapes
        self.most_live = 0          # most sessions one scrape showed
        self.stop = threading.Event()

    def problem(self, message):
        with self.lock:
            if len(self.problems) < 20:
                self.problems.append(message)
        print("FAIL:", message[:1000], flush=True)

    def validate(self, fmt, status, content_type, body):
        if status != 200:
            return f"status {status}"
        wanted = "application/openmetrics-text" if fmt == "openmetrics" else "text/plain"
        if not content_type.startswith(wanted):
            return f"{fmt}: Content-Type {content_type!r}"
        text = body.decode("utf-8")
        families = list(parse_openmetrics(text) if fmt == "openmetrics" else parse_text(text))
        live = {s.labels.get("session") for f in families if f.name == SESSION_FAMILY for s in f.samples}
        with self.lock:
            self.sessions_seen |= live
            self.most_live = max(self.most_live, len(live))
        if fmt == "openmetrics":
            return None
        if self.args.promtool:
            lint = subprocess.run([self.args.promtool, "check", "metrics"], input=body, capture_output=True,
                                  timeout=60)
            said = (lint.stdout + lint.stderr).decode(errors="replace")
            if lint.returncode not in (0, 3) or "error while linting" in said:
                return f"promtool (exit {lint.returncode}): {said[:500]}"
        return None

    def scraper(self, number):
        i = number
        while not self.stop.is_set():
            fmt = "openmetrics" if i % 2 else "text"
            use_gzip = i % 3 == 0
            i += 1
            try:
                status, content_type, body = scrape(self.port, fmt, use_gzip)
                error = self.validate(fmt, status, content_type, body)
            except Exception as e:  # a parser or transport error is a finding
                error = f"{type(e).__name__}: {e}"
            if error:
                self.problem(f"scrape ({fmt}, gzip={use_gzip}): {error}")
            else:
                with self.lock:
                    self.scrapes[fmt] += 1

    def self_metric_errors(self):
        _, _, body = scrape(self.port, "openmetrics", False)
        bad = []
        for family in parse_openmetrics(body.decode("utf-8")):
            if not family.name.startswith("promcxx_"):
                continue
            for s in family.samples:
                if s.name.endswith("_created"):
                    continue
                if any(w in family.name for w in ERROR_WORDS) and s.value != 0:
                    bad.append(f"{s.name}{s.labels} = {s.value}")
                if family.name == "promcxx_http_requests" and s.labels.get("code") != "200" and s.value != 0:
                    bad.append(f"{s.name}{s.labels} = {s.value}")
        return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mpc-node", required=True)
    ap.add_argument("--promtool", default="/usr/bin/promtool")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("PROMCXX_SOAK_SECONDS", "60")))
    ap.add_argument("--scrapers", type=int, default=3)
    ap.add_argument("--max-growth-mib", type=float, default=2.0,
                    help="allowed RSS growth after warm-up (MiB, plus 2%% of the warm-up level)")
    args = ap.parse_args()
    if not os.access(args.promtool, os.X_OK):
        args.promtool = None
    warm_up = max(10.0, args.seconds * 0.25)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson's timeout: still stop the node
    node = subprocess.Popen([args.mpc_node, "--listen", "127.0.0.1:0", "--tx-rate", "400", "--series", "2000",
                             "--session-series", "--seed", "18"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    soak = None
    try:
        first = node.stdout.readline()  # "mpc_node node-1 listening on 127.0.0.1:PORT"
        if "listening on" not in first:
            print(f"FAIL: mpc_node did not start: {first!r}")
            return 1
        port = int(first.rsplit(":", 1)[1])
        # Keep reading the node's output so a full pipe never blocks it.
        threading.Thread(target=lambda: [None for _ in node.stdout], daemon=True).start()
        print(f"soak: mpc_node pid {node.pid} on 127.0.0.1:{port}, {args.seconds:g} s "
              f"({warm_up:g} s warm-up), {args.scrapers} scrapers", flush=True)
        soak = Soak(args, port)
        threads = [threading.Thread(target=soak.scraper, args=(n,), daemon=True) for n in range(args.scrapers)]
        for t in threads:
            t.start()
        start = time.monotonic()
        samples = []  # (seconds since start, RSS bytes)
        while time.monotonic() - start < args.seconds:
            if node.poll() is not None:
                soak.problem(f"mpc_node exited with status {node.returncode}")
                break
            samples.append((time.monotonic() - start, rss_bytes(node.pid)))
            time.sleep(0.5)
        soak.stop.set()
        for t in threads:
            t.join(timeout=30)
        if node.poll() is None:
            errors = soak.self_metric_errors()
            if errors:
                soak.problem("self-metrics report errors: " + "; ".join(errors[:10]))

        after = [rss for t, rss in samples if t >= warm_up]
        if len(after) < 4:
            soak.problem("too few RSS samples after warm-up")
        else:
            # Flat: the highest RSS of the last third against the highest of the first third after warm-up.
            third = max(1, len(after) // 3)
            base, end = max(after[:third]), max(after[-third:])
            limit = args.max_growth_mib * 2 ** 20 + 0.02 * base
            print(f"soak: RSS {samples[0][1] / 2**20:.1f} MiB at start, {base / 2**20:.1f} MiB after warm-up, "
                  f"{end / 2**20:.1f} MiB at the end (allowed growth {limit / 2**20:.1f} MiB)")
            if end - base > limit:
                soak.problem(f"resident memory grows after warm-up: {base} -> {end} bytes")
        total = sum(soak.scrapes.values())
        print(f"soak: {total} valid scrapes ({soak.scrapes['text']} text, {soak.scrapes['openmetrics']} "
              f"OpenMetrics){'' if args.promtool else '; promtool not found, text checked by the parser only'}")
        if total == 0:
            soak.problem("no scrape succeeded")
        # Series churn: sessions end and their series go; a scrape shows only the running ones.
        print(f"soak: {len(soak.sessions_seen)} signing sessions seen with series of their own, "
              f"at most {soak.most_live} in one scrape")
        if soak.most_live == 0 or len(soak.sessions_seen) < 10 * soak.most_live:
            soak.problem("no series churn: per-session series did not come and go "
                         f"({len(soak.sessions_seen)} seen, {soak.most_live} at most at once)")
    finally:
        if node.poll() is None:
            node.terminate()
            try:
                node.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait(timeout=10)
    if soak is None or soak.problems:
        return 1
    print("soak: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
