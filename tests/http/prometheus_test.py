#!/usr/bin/python3
"""A real Prometheus 2.42 scrapes a promcxx process; checks go through its HTTP API.

usage: prometheus_test.py PROM_TARGET_BINARY
Exit 77 (meson: skipped) when /usr/bin/prometheus is not installed.
Everything binds to 127.0.0.1, every wait is bounded, both processes are always killed.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PROMETHEUS = "/usr/bin/prometheus"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the API may not answer yet
            last_error = e
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def api(prom_port, path, **params):
    url = f"http://127.0.0.1:{prom_port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.load(r)
    if doc.get("status") != "success":
        raise AssertionError(f"{path}: {doc}")
    return doc["data"]


def instant(prom_port, query):
    """Values of an instant query as {labels-json: float}."""
    result = api(prom_port, "/api/v1/query", query=query)["result"]
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in result}


def single(prom_port, query):
    values = instant(prom_port, query)
    if len(values) != 1:
        return None
    return next(iter(values.values()))


def die_with_parent():
    """Child setup: the kernel kills the child if this script dies, even by SIGKILL."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not os.access(PROMETHEUS, os.X_OK):
        print("SKIP: /usr/bin/prometheus not installed (Debian package 'prometheus')")
        return 77
    # meson's timeout sends SIGTERM: turn it into an exception so `finally` cleans up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    target_bin = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="promcxx-prom-test-")
    target = prom = None
    prom_log = open(os.path.join(tmp, "prometheus.log"), "w")
    try:
        port_file = os.path.join(tmp, "port")
        target = subprocess.Popen([target_bin, port_file], preexec_fn=die_with_parent)
        wait_for("the target's port file", lambda: os.path.exists(port_file), 10)
        with open(port_file) as f:
            port_text, expected_format = f.read().split()
        target_port = int(port_text)

        prom_port = free_port()
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: promcxx
    static_configs:
      - targets: ['127.0.0.1:{target_port}']
""")
        prom = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            stdout=prom_log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

        def ready():
            with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=2) as r:
                return r.status == 200
        wait_for("Prometheus to be ready", ready, 30)

        def target_up():
            active = api(prom_port, "/api/v1/targets")["activeTargets"]
            health = [t for t in active if t["labels"].get("job") == "promcxx"]
            if health and health[0]["health"] == "down":
                print("scrape error so far:", health[0].get("lastError"))
            return health and health[0]["health"] == "up"
        wait_for("the target to be up", target_up, 30)
        assert wait_for("up == 1", lambda: single(prom_port, 'up{job="promcxx"}') == 1.0, 15)

        checks = {
            'promcxx_test_jobs_total{queue="a"}': 7.0,
            'promcxx_test_jobs_total{queue="b"}': 2.0,
            'promcxx_test_temperature_celsius': 42.5,
            'promcxx_test_duration_seconds_count': 3.0,
            'promcxx_test_duration_seconds_sum': 4.0,
            'promcxx_test_duration_seconds_bucket{le="0.5"}': 1.0,
            # OpenMetrics writes integral bounds as "1.0", text 0.0.4 as "1".
            'promcxx_test_duration_seconds_bucket{le=~"1|1.0"}': 2.0,
            'promcxx_test_duration_seconds_bucket{le=~"5|5.0"}': 3.0,
            'promcxx_test_duration_seconds_bucket{le="+Inf"}': 3.0,
        }
        for query, want in checks.items():
            got = wait_for(query, lambda q=query: single(prom_port, q), 10)
            assert got == want, f"{query}: Prometheus has {got}, expected {want}"
        # The responder's own counter arrives too and counts Prometheus's scrapes.
        scrapes = wait_for("self-metric", lambda: single(prom_port, 'promcxx_http_requests_total{code="200"}'), 10)
        assert scrapes >= 1, scrapes

        # Which format Prometheus parsed shows in its metadata: the OpenMetrics
        # parser names a counter family without "_total", the text parser with it.
        metadata = api(prom_port, "/api/v1/targets/metadata", match_target='{job="promcxx"}')
        names = {m["metric"]: m for m in metadata}
        if expected_format == "openmetrics":
            assert "promcxx_test_jobs" in names, f"expected OpenMetrics metadata, got {sorted(names)}"
            assert names["promcxx_test_jobs"]["type"] == "counter"
        else:
            assert "promcxx_test_jobs_total" in names, f"expected text metadata, got {sorted(names)}"
            assert names["promcxx_test_jobs_total"]["type"] == "counter"
        print(f"OK: Prometheus scraped 127.0.0.1:{target_port} as {expected_format}; "
              f"{int(scrapes)} scrapes counted")
        return 0
    except AssertionError as e:
        print("FAIL:", e, file=sys.stderr)
        prom_log.flush()
        with open(os.path.join(tmp, "prometheus.log")) as f:
            sys.stderr.write(f.read()[-4000:])
        return 1
    finally:
        stop(prom)
        stop(target)
        prom_log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
