#!/usr/bin/python3
"""A real Prometheus 2.42 ingests the golden exposition in both formats.

usage: prometheus_ingest.py DUMP_EXE
The output of `DUMP_EXE golden openmetrics|text` is served from 127.0.0.1 with
the matching Content-Type (one job per format); Prometheus (exemplar storage
on) scrapes both, and the checks go through its HTTP API: both targets up with
no scrape error, info/stateset/special values/escaped labels as written, and
the exemplars stored. Exit 77 (meson: skipped) without /usr/bin/prometheus.
Everything binds to 127.0.0.1, waits are bounded, Prometheus is always stopped.
"""
import http.server
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

PROMETHEUS = "/usr/bin/prometheus"
CONTENT_TYPES = {
    "/om": "application/openmetrics-text; version=1.0.0; charset=utf-8",
    "/text": "text/plain; version=0.0.4; charset=utf-8",
}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the API may not answer yet
            last = e
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def api(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.load(r)
    if doc.get("status") != "success":
        raise AssertionError(f"{path}: {doc}")
    return doc["data"]


def query(port, q):
    """{frozenset(labels without __name__): value}"""
    return {frozenset((k, v) for k, v in r["metric"].items() if k != "__name__"): float(r["value"][1])
            for r in api(port, "/api/v1/query", query=q)["result"]}


def main():
    if not os.access(PROMETHEUS, os.X_OK):
        print("SKIP: /usr/bin/prometheus not installed")
        return 77
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson timeout: still clean up
    bodies = {
        "/om": subprocess.run([sys.argv[1], "golden", "openmetrics"], check=True, capture_output=True).stdout,
        "/text": subprocess.run([sys.argv[1], "golden", "text"], check=True, capture_output=True).stdout,
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="promcxx-om-ingest-")
    prom = None
    try:
        target = f"127.0.0.1:{server.server_address[1]}"
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: om
    metrics_path: /om
    static_configs: [{{targets: ['{target}']}}]
  - job_name: text
    metrics_path: /text
    static_configs: [{{targets: ['{target}']}}]
""")
        port = free_port()
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        prom = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
                                 f"--web.listen-address=127.0.0.1:{port}", "--enable-feature=exemplar-storage",
                                 "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)

        def scraped():
            targets = api(port, "/api/v1/targets")["activeTargets"]
            return len(targets) == 2 and all(t["lastScrape"] != "0001-01-01T00:00:00Z" for t in targets) and targets

        targets = wait_for("two scrapes", scraped, 60)
        for t in targets:
            check(t["health"] == "up" and t["lastError"] == "",
                  f"job {t['labels']['job']}: health={t['health']} error={t['lastError']!r}")
        wait_for("samples", lambda: len(query(port, 'om_build_info')) == 2, 30)

        node = ("node_id", 'n\u00f6de-1 "q"')
        for job in ("om", "text"):
            j = ("job", job)
            build = query(port, f'om_build_info{{job="{job}"}}')
            check(list(build.values()) == [1.0] and
                  ("comment", 'line1\nline2 "quoted" back\\slash \u2713') in next(iter(build)),
                  f"{job}: om_build_info {build}")
            role = {dict(k)["om_node_role"]: v for k, v in query(port, f'om_node_role{{job="{job}"}}').items()}
            check(role == {"leader": 0, "follower": 1, "candidate": 0}, f"{job}: stateset {role}")
            special = {dict(k)["case"]: v for k, v in query(port, f'om_special_value{{job="{job}"}}').items()}
            check(math.isnan(special.get("nan", 0)) and special.get("pos_inf") == math.inf and
                  special.get("tiny") == 1e-05 and special.get("million") == 1e6 and
                  special.get("denormal") == 5e-324, f"{job}: special values {special}")
            paths = {dict(k).get("path", "") for k in query(port, f'om_requests_total{{job="{job}"}}')}
            check(paths == {"/", '/a"b\\c\nd', "caf\u00e9/\u20ac/\U0001F600", ""}, f"{job}: label values {paths}")  # an empty value means "no label" in Prometheus
            buckets = query(port, f'om_request_duration_seconds_bucket{{job="{job}",method="GET"}}')
            check(len(buckets) == 12 and all(node in k and j in k for k in buckets), f"{job}: buckets {len(buckets)}")
            count = query(port, f'om_clock_offset_seconds_count{{job="{job}"}}')
            check(len(count) == (0 if job == "om" else 1), f"{job}: negative-bucket histogram count {count}")

        now = time.time()
        data = api(port, "/api/v1/query_exemplars", query='{job="om",__name__=~"om_.+"}',
                   start=str(1700000000), end=str(now + 60))
        traces = sorted(e["labels"].get("trace_id", "") for series in data for e in series["exemplars"])
        # Prometheus 2.42 keeps exemplar label values as written, escapes included
        # (its OpenMetrics parser does not unescape them; prometheus_client does,
        # see check_exposition.py), so the hostile value comes back escaped.
        check(traces == sorted(["4bf92f3577b34da6a3ce929d0e0e4736", 'q\\"uote\\\\back\\nnl caf\u00e9', "aaa", "bbb",
                                "ccc"]), f"exemplars stored by Prometheus: {traces}")
    finally:
        if prom is not None and prom.poll() is None:
            prom.terminate()
            try:
                prom.wait(timeout=10)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait(timeout=10)
        server.shutdown()
        if failures:
            with open(os.path.join(tmp, "prometheus.log")) as f:
                print(f.read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: Prometheus 2.42 ingests both formats (exemplars included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
