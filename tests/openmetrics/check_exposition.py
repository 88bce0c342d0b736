#!/usr/bin/python3
"""Judges promcxx's exposition with real parsers.

usage: check_exposition.py DUMP_EXE GOLDEN_DIR [--update]

- golden files: byte-exact comparison of both formats (--update rewrites them);
- prometheus_client's strict OpenMetrics parser and its 0.0.4 text parser;
- promtool check metrics (0.0.4 on stdin), which must report nothing;
- both formats must carry the same values (they come from one snapshot).
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


def dump(exe, which, fmt):
    return subprocess.run([exe, which, fmt], check=True, capture_output=True).stdout.decode("utf-8")


def promtool_check(text, what):
    promtool = shutil.which("promtool")
    if promtool is None:
        print("SKIP promtool (not installed):", what)
        return
    r = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"), capture_output=True)
    out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    check(r.returncode == 0 and out == "", f"promtool check metrics on {what}: rc={r.returncode} {out}")


def samples_by_key(families, skip_created=True):
    """(sample name, sorted labels with le normalised) -> value"""
    out = {}
    for f in families:
        for s in f.samples:
            if skip_created and s.name.endswith("_created"):
                continue
            labels = dict(s.labels)
            if "le" in labels:
                labels["le"] = repr(float(labels["le"]))
            out[(s.name, tuple(sorted(labels.items())))] = s.value
    return out


def same_value(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return float(a) == float(b) and math.copysign(1, float(a)) == math.copysign(1, float(b))


def check_golden(exe, golden_dir, update):
    NODE = 'n\u00f6de-1 "q"'
    outputs = {}
    for fmt, name in (("openmetrics", "openmetrics.txt"), ("text", "text-0.0.4.txt")):
        out = dump(exe, "golden", fmt)
        outputs[fmt] = out
        path = f"{golden_dir}/{name}"
        if update:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(out)
        with open(path, encoding="utf-8", newline="") as f:
            golden = f.read()
        check(out == golden, f"{name}: output differs from the golden file (run with --update after review)")

    om = outputs["openmetrics"]
    fams = {f.name: f for f in parse_openmetrics(om)}
    expected_types = {
        "om_requests": "counter", "om_processed_bytes": "counter", "om_jobs": "counter",
        "om_special_value": "gauge", "om_temperature_celsius": "gauge",
        "om_request_duration_seconds": "histogram", "om_payload_bytes": "histogram",
        "om_clock_offset_seconds": "histogram", "om_rpc_duration_seconds": "summary",
        "om_balance_change": "summary", "om_build": "info", "om_node_role": "stateset",
        "om_feature": "stateset", "om_limited": "counter", "om_legacy_value": "unknown",
        "promcxx_series_overflow": "counter", "promcxx_collect_errors": "counter",
    }
    check({n: f.type for n, f in fams.items()} == expected_types,
          f"OpenMetrics families/types: {sorted((n, f.type) for n, f in fams.items())}")
    check(fams["om_processed_bytes"].unit == "bytes", "UNIT bytes on om_processed_bytes")
    check(fams["om_request_duration_seconds"].unit == "seconds", "UNIT seconds")
    check(fams["om_requests"].documentation ==
          'Requests by "code" and path; back\\slash, new\nline, caf\u00e9 \u20ac \U0001F600.', "HELP round trip")

    paths = {s.labels["path"] for s in fams["om_requests"].samples if s.name == "om_requests_total"}
    check(paths == {"/", '/a"b\\c\nd', "caf\u00e9/\u20ac/\U0001F600", ""}, f"label values round trip: {paths}")
    check(all(s.labels.get("node_id") == NODE for f in fams.values() for s in f.samples),
          "const label node_id on every sample")
    created = [s for s in fams["om_requests"].samples if s.name == "om_requests_created"]
    check(len(created) == 4 and all(s.value == 1700000000.5 for s in created), "_created per counter series")

    specials = {s.labels["case"]: s.value for s in fams["om_special_value"].samples}
    want = {"nan": float("nan"), "pos_inf": math.inf, "neg_inf": -math.inf, "neg_zero": 0.0, "tiny": 1e-05,
            "small": 0.0001, "million": 1e+06, "large_int": 100000, "big": 1.7560473e+07, "negative": -2.5,
            "tenth": 0.1, "denormal": 5e-324, "max": 1.7976931348623157e+308}
    check(set(specials) == set(want) and all(same_value(specials[k], v) for k, v in want.items()),
          f"special floats: {specials}")
    # -0 is written as 0 (see without_negative_zero): the parsed value has no sign.
    check(math.copysign(1.0, specials["neg_zero"]) == 1.0, "-0 gauge is exposed as 0")

    # Exemplars: labels round trip, value inside the bucket it sits on.
    exemplars = 0
    for f in fams.values():
        prev = {}
        for s in f.samples:
            if s.exemplar is None:
                continue
            exemplars += 1
            check(sum(len(k) + len(v) for k, v in s.exemplar.labels.items()) <= 128, "exemplar within 128")
            check(s.exemplar.timestamp is not None and float(s.exemplar.timestamp) == 1700000001.25,
                  f"exemplar timestamp {s.exemplar.timestamp}")
            if f.type == "histogram":
                group = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                buckets = [float(b.labels["le"]) for b in f.samples
                           if b.name.endswith("_bucket") and
                           tuple(sorted((k, v) for k, v in b.labels.items() if k != "le")) == group]
                upper = float(s.labels["le"])
                lower = max([b for b in buckets if b < upper], default=-math.inf)
                check(lower < s.exemplar.value <= upper,
                      f"exemplar {s.exemplar.value} outside bucket ({lower}, {upper}]")
    check(exemplars == 5, f"5 exemplars expected, got {exemplars}")
    hostile = [s.exemplar for s in fams["om_jobs"].samples if s.exemplar and s.labels.get("queue") == "hostile"]
    check(len(hostile) == 1 and hostile[0].labels == {"trace_id": 'q"uote\\back\nnl caf\u00e9'},
          f"hostile exemplar labels: {hostile}")

    offset_names = {s.name for s in fams["om_clock_offset_seconds"].samples}
    check("om_clock_offset_seconds_sum" not in offset_names and "om_clock_offset_seconds_count" not in offset_names,
          "negative buckets: no _sum/_count in OpenMetrics")
    check("om_balance_change_sum" not in {s.name for s in fams["om_balance_change"].samples},
          "negative summary sum left out of OpenMetrics")
    check([s.value for s in fams["om_build"].samples] == [1], "info value 1")
    check(fams["om_build"].samples[0].labels["comment"] == 'line1\nline2 "quoted" back\\slash \u2713',
          "info label round trip")
    roles = {s.labels["om_node_role"]: s.value for s in fams["om_node_role"].samples}
    check(roles == {"leader": 0, "follower": 1, "candidate": 0}, f"stateset enum: {roles}")
    overflow = {s.labels["metric"]: s.value for s in fams["promcxx_series_overflow"].samples
                if s.name.endswith("_total")}
    check(overflow == {"om_limited_total": 1}, f"series overflow self-metric: {overflow}")
    check([s.value for s in fams["promcxx_collect_errors"].samples if s.name.endswith("_total")] == [1],
          "collect errors self-metric")

    text = outputs["text"]
    tfams = {f.name: f for f in parse_text(text)}
    check(len(tfams) == len(fams), f"text families: {sorted(tfams)}")
    check(tfams["om_build_info"].type == "gauge" and tfams["om_node_role"].type == "gauge",
          "0.0.4 writes info and stateset as gauges")
    check(tfams["om_legacy_value"].type == "unknown" and "# TYPE om_legacy_value untyped\n" in text,
          "unknown is untyped in 0.0.4")
    om_values = samples_by_key(fams.values())
    text_values = samples_by_key(tfams.values())
    only_text = {k for k in text_values if k not in om_values}
    check(only_text == {k for k in text_values
                        if k[0] in ("om_clock_offset_seconds_sum", "om_clock_offset_seconds_count",
                                    "om_balance_change_sum")},
          f"samples only in 0.0.4: {sorted(only_text)}")
    check(set(om_values) - set(text_values) == set(), f"samples only in OpenMetrics: {set(om_values) - set(text_values)}")
    for k in set(om_values) & set(text_values):
        check(same_value(om_values[k], text_values[k]), f"{k}: {om_values[k]} vs {text_values[k]}")
    promtool_check(text, "golden 0.0.4")


def check_default(exe):
    om = dump(exe, "default", "openmetrics")
    fams = {f.name: f.type for f in parse_openmetrics(om)}
    for name, typ in (("process_cpu_seconds", "counter"), ("process_open_fds", "gauge"),
                      ("process_max_fds", "gauge"), ("process_virtual_memory_bytes", "gauge"),
                      ("process_virtual_memory_max_bytes", "gauge"), ("process_resident_memory_bytes", "gauge"),
                      ("process_start_time_seconds", "gauge"), ("process_threads", "gauge"),
                      ("om_default", "counter")):
        check(fams.get(name) == typ, f"default registry: {name} {fams.get(name)}")
    text = dump(exe, "default", "text")
    tfams = {f.name for f in parse_text(text)}
    check("process_cpu_seconds" in tfams and "process_threads" in tfams, f"default registry text: {tfams}")
    promtool_check(text, "default registry 0.0.4")


def main():
    exe, golden_dir = sys.argv[1], sys.argv[2]
    check_golden(exe, golden_dir, "--update" in sys.argv[3:])
    check_default(exe)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: golden files, prometheus_client OpenMetrics + text parsers, promtool check metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
