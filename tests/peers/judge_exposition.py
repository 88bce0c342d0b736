#!/usr/bin/python3
"""Judges the peers features' exposition with real parsers.

usage: judge_exposition.py DUMP_EXE [PROMTOOL]

- prometheus_client's strict OpenMetrics parser and its 0.0.4 text parser;
- promtool check metrics on the 0.0.4 text (must report nothing);
- the values parsed are the ones peers_dump.cpp put in, in both formats.
Quantile and gauge histogram samples are checked when the library exposes
them (the dump shows whether it does).
"""
import math
import shutil
import subprocess
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def dump(exe, fmt):
    return subprocess.run([exe, fmt], check=True, capture_output=True).stdout.decode("utf-8")


def samples(families):
    out = {}
    types = {}
    for f in families:
        types[f.name] = f.type
        for s in f.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out, types


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


def main():
    exe = sys.argv[1]
    promtool = sys.argv[2] if len(sys.argv) > 2 else shutil.which("promtool")
    text = dump(exe, "text")
    om = dump(exe, "openmetrics")
    om_samples, om_types = samples(parse_openmetrics(om))
    text_samples, text_types = samples(parse_text(text))

    for fmt, got in (("openmetrics", om_samples), ("text", text_samples)):
        def expect(k, value):
            v = got.get(k)
            ok = v is not None and (math.isnan(value) and math.isnan(v) or v == value)
            check(ok, f"{fmt}: {k} = {v}, expected {value}")
        expect(key("peers_queue_depth"), 17)
        expect(key("peers_pool_acquired_total", pool="a"), 10)
        expect(key("peers_pool_acquired_total", pool='b "quoted"'), 2.5)
        expect(key("peers_runtime_temperature_celsius", sensor="outlet"), -3)
        expect(key("peers_rpc_duration_seconds_count", method="get"), 1000)
        expect(key("peers_rpc_duration_seconds_sum", method="get"), sum(i / 1000.0 for i in range(1, 1001)))
        expect(key("peers_rpc_duration_seconds_count", method="idle"), 0)
        expect(key("peers_batch_seconds_count"), 3)
        if "quantile=" in text:
            for q, err in (("0.5", 0.05), ("0.9", 0.01), ("0.99", 0.001)):
                v = got.get(key("peers_rpc_duration_seconds", method="get", quantile=q))
                check(v is not None and abs(v - float(q)) <= err + 0.001, f"{fmt}: quantile {q} = {v}")
                v = got.get(key("peers_rpc_duration_seconds", method="idle", quantile=q))
                check(v is not None and math.isnan(v), f"{fmt}: idle quantile {q} = {v} (expected NaN)")
            expect(key("peers_batch_seconds", quantile="0.5"), 3)
        else:
            print("NOTE: no quantile lines exposed (collect_sink hook missing)")
        if "peers_queue_item_age_seconds_bucket" in text:
            for le, c in (("1.0", 1), ("10.0", 3), ("60.0", 3), ("+Inf", 4)):
                expect(key("peers_queue_item_age_seconds_bucket", queue="high", le=le if fmt == "openmetrics" else le.replace(".0", "") if le != "+Inf" else le), c)
            expect(key("peers_queue_item_age_seconds_gcount", queue="high"), 4)
            expect(key("peers_queue_item_age_seconds_gsum", queue="high"), 0.5 + 10 + 100)
            expect(key("peers_queue_item_age_seconds_gcount", queue="low"), 1)
            expect(key("peers_inflight_size_bytes_gcount"), 1)
            expect(key("peers_inflight_size_bytes_gsum"), 2000)
            check(om_types.get("peers_queue_item_age_seconds") == "gaugehistogram",
                  f"openmetrics type {om_types.get('peers_queue_item_age_seconds')}")
        else:
            print("NOTE: no gauge histogram exposed (collect_sink hook missing)")

    check(om_types.get("peers_pool_acquired") == "counter", f"om counter type {om_types.get('peers_pool_acquired')}")
    check(text_types.get("peers_rpc_duration_seconds") == "summary", "text summary type")

    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
        out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
        check(r.returncode == 0 and out == "", f"promtool check metrics: rc={r.returncode} {out}")
    else:
        print("SKIP promtool (not installed)")

    if failures:
        print(text)
        print(om)
        print(f"0 passed, {len(failures)} failed")
        return 1
    print("judge_exposition: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
