#!/usr/bin/python3
"""Prometheus 2.42 with --enable-feature=native-histograms scrapes one target
that exposes the same observations as a native and as a classic histogram
(suite protobuf-live). Checks: the scrape negotiated protobuf and ingested a
native histogram; histogram_count/histogram_sum equal the classic _count/_sum
exactly; histogram_quantile(0.5|0.9|0.99) of rate() over both agree within
schema 3's relative bucket width, and both bracket the exact sample quantile.

usage: native_live.py TARGET_PROGRAM   (PYTHONPATH: tests/support)
"""
import math
import subprocess
import sys

from throwaway_prometheus import ThrowawayPrometheus, installed, wait_for

SCHEMA = 3
REL = 2 ** (2 ** -SCHEMA) - 1  # a schema-3 bucket's upper bound is 9.05 % above its lower


def main():
    if not installed():
        print("SKIP: no /usr/bin/prometheus")
        return 77
    target = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(target.stdout.readline().split()[1])
        scrape = (f"  - job_name: native\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
        with ThrowawayPrometheus(scrape, extra_args=["--enable-feature=native-histograms"]) as prom:
            prom.wait_for_scrapes(jobs=1, timeout=30)
            target.stdin.write("go\n")
            target.stdin.flush()
            done = target.stdout.readline().split()
            count, total = int(done[1]), float(done[2])
            exact = dict(zip((0.5, 0.9, 0.99), map(float, done[3:6])))
            failures = 0

            def check(what, ok, detail=""):
                nonlocal failures
                print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail else ""))
                failures += 0 if ok else 1

            def scalar(q):
                r = prom.query(q)
                return float(r[0]["value"][1]) if r else None

            # Wait until the last observations were scraped into both series.
            wait_for("final counts scraped", lambda: scalar("live_classic_seconds_count") == count and
                     scalar("histogram_count(live_native_seconds)") == count, 30)
            # rate() needs two samples after the last increase: wait for two more scrapes.
            wait_for("two more scrapes", lambda: scalar("count_over_time(live_classic_seconds_count[1m])") >=
                     scalar("count_over_time(live_classic_seconds_count[1m] offset 2s)") + 2, 30)
            target_health = prom.targets()[0]
            check("target healthy", target_health["health"] == "up", target_health.get("lastError", ""))
            native = prom.query("live_native_seconds")
            check("native series is a histogram sample", bool(native) and "histogram" in native[0],
                  str(native)[:200])
            check("no classic _bucket series for the native family",
                  prom.query("live_native_seconds_bucket") == [])
            check("histogram_count == classic _count exactly",
                  scalar("histogram_count(live_native_seconds)") == scalar("live_classic_seconds_count") == count)
            check("histogram_sum == classic _sum exactly",
                  scalar("histogram_sum(live_native_seconds)") == scalar("live_classic_seconds_sum") == total,
                  f"{scalar('histogram_sum(live_native_seconds)')} vs {scalar('live_classic_seconds_sum')} vs {total}")
            for q, want in exact.items():
                n = scalar(f"histogram_quantile({q}, rate(live_native_seconds[1m]))")
                c = scalar(f"histogram_quantile({q}, rate(live_classic_seconds_bucket[1m]))")
                ok = n is not None and c is not None and math.isfinite(n) and math.isfinite(c)
                check(f"q{q}: native {n} vs classic {c} within {REL:.4f}",
                      ok and abs(n - c) <= REL * min(n, c) * 1.0001)
                # Both interpolate inside the bucket holding the exact quantile.
                check(f"q{q}: native {n} within a bucket width of the sample quantile {want}",
                      ok and abs(n - want) <= REL * want * 1.0001)
            return 1 if failures else 0
    finally:
        target.stdin.close()
        try:
            target.wait(timeout=10)
        except subprocess.TimeoutExpired:
            target.kill()


if __name__ == "__main__":
    sys.exit(main())
