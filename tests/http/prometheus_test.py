#!/usr/bin/python3
"""A real Prometheus 2.42 scrapes a promcxx process; checks go through its HTTP API.

usage: prometheus_test.py PROM_TARGET_BINARY
Exit 77 (meson: skipped) when /usr/bin/prometheus is not installed.
Everything binds to 127.0.0.1, every wait is bounded, both processes are always killed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from throwaway_prometheus import ThrowawayPrometheus, die_with_parent, exit_cleanly_on_sigterm, installed, stop, \
    wait_for  # tests/support, on PYTHONPATH


def instant(prom, query):
    """Values of an instant query as {labels-json: float}."""
    result = prom.query(query)
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in result}


def single(prom, query):
    values = instant(prom, query)
    if len(values) != 1:
        return None
    return next(iter(values.values()))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not installed():
        print("SKIP: /usr/bin/prometheus not installed (Debian package 'prometheus')")
        return 77
    exit_cleanly_on_sigterm()
    target_bin = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="promcxx-prom-test-")
    target = prom = None
    try:
        port_file = os.path.join(tmp, "port")
        target = subprocess.Popen([target_bin, port_file], preexec_fn=die_with_parent)
        wait_for("the target's port file", lambda: os.path.exists(port_file), 10)
        with open(port_file) as f:
            port_text, expected_format = f.read().split()
        target_port = int(port_text)

        prom = ThrowawayPrometheus(f"""  - job_name: promcxx
    static_configs:
      - targets: ['127.0.0.1:{target_port}']
""").start()

        def target_up():
            active = prom.targets()
            health = [t for t in active if t["labels"].get("job") == "promcxx"]
            if health and health[0]["health"] == "down":
                print("scrape error so far:", health[0].get("lastError"))
            return health and health[0]["health"] == "up"
        wait_for("the target to be up", target_up, 30)
        assert wait_for("up == 1", lambda: single(prom, 'up{job="promcxx"}') == 1.0, 15)

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
            got = wait_for(query, lambda q=query: single(prom, q), 10)
            assert got == want, f"{query}: Prometheus has {got}, expected {want}"
        # The responder's own counter arrives too and counts Prometheus's scrapes.
        scrapes = wait_for("self-metric", lambda: single(prom, 'promcxx_http_requests_total{code="200"}'), 10)
        assert scrapes >= 1, scrapes

        # Which format Prometheus parsed shows in its metadata: the OpenMetrics
        # parser names a counter family without "_total", the text parser with it.
        metadata = prom.api("/api/v1/targets/metadata", match_target='{job="promcxx"}')
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
        if prom is not None:
            sys.stderr.write(prom.log_tail())
        return 1
    finally:
        if prom is not None:
            prom.close()
        stop(target)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
