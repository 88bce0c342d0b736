#!/usr/bin/python3
"""Decodes promcxx's protobuf exposition with the official client_model schema
(Debian golang-github-prometheus-client-model-dev, compiled by protoc for
python3-protobuf into a temp dir) and compares every field with the registry's
snapshot as the dump program wrote it in JSON.

usage: check_protobuf.py DUMP_PROGRAM
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

PROTO = "/usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client/metrics.proto"


def load_schema(tmp):
    if not os.path.exists(PROTO) or shutil.which("protoc") is None:
        print("SKIP: needs golang-github-prometheus-client-model-dev and protobuf-compiler")
        sys.exit(77)
    src = os.path.join(tmp, "src")
    os.mkdir(src)
    # Copied to a flat path: the module name io.* would clash with Python's io.
    shutil.copy(PROTO, os.path.join(src, "metrics.proto"))
    subprocess.run(["protoc", "--proto_path=" + src, "--proto_path=/usr/include", "--python_out=" + tmp,
                    os.path.join(src, "metrics.proto")], check=True)
    sys.path.insert(0, tmp)
    import metrics_pb2  # noqa: E402  (generated just now)
    return metrics_pb2


def read_varint(data, pos):
    shift = value = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if a == 0 and b == 0 and isinstance(a, float) and isinstance(b, float):
        return math.copysign(1, a) == math.copysign(1, b)  # -0.0 must stay -0.0
    return a == b


class Checker:
    def __init__(self):
        self.failures = 0
        self.checks = 0

    def eq(self, what, got, want):
        self.checks += 1
        if not same(got, want):
            self.failures += 1
            print(f"FAIL {what}: got {got!r}, want {want!r}")


def labels_of(msg_labels):
    return [[l.name, l.value] for l in msg_labels]


def check_exemplar(c, where, ex_msg, has, want):
    if want is None:
        c.eq(where + " has no exemplar", has, False)
        return
    c.eq(where + " has exemplar", has, True)
    c.eq(where + " exemplar labels", labels_of(ex_msg.label), want["labels"])
    c.eq(where + " exemplar value", ex_msg.value, want["value"])
    if want["timestamp"] is None:
        c.eq(where + " exemplar has no timestamp", ex_msg.HasField("timestamp"), False)
    else:
        got = ex_msg.timestamp.seconds + ex_msg.timestamp.nanos / 1e9
        c.eq(where + " exemplar timestamp (us)", round(got * 1e6), round(want["timestamp"] * 1e6))
        c.eq(where + " exemplar nanos in range", 0 <= ex_msg.timestamp.nanos < 10**9, True)


def expand(spans, deltas):
    """Absolute counts by bucket index from spans and deltas."""
    counts, index, total, i = {}, 0, 0, 0
    for n, span in enumerate(spans):
        index = span.offset if n == 0 else index + span.offset
        for _ in range(span.length):
            total += deltas[i]
            counts[index] = total
            index += 1
            i += 1
    assert i == len(deltas), "deltas and spans disagree"
    return counts


def expand_json(spans, counts):
    out, index, i = {}, 0, 0
    for n, (offset, length) in enumerate(spans):
        index = offset if n == 0 else index + offset
        for _ in range(length):
            out[index] = counts[i]
            index += 1
            i += 1
    return out


def check_histogram(c, where, h, fam, s):
    bounds = fam["bounds"]
    values = s["values"]
    count = int(values[len(bounds)])
    c.eq(where + " sample_count", h.HasField("sample_count") and h.sample_count, count)
    c.eq(where + " sample_sum", h.sample_sum, values[len(bounds) + 1])
    if bounds:
        c.eq(where + " bucket count (incl +Inf)", len(h.bucket), len(bounds) + 1)
        for b, bucket in enumerate(h.bucket):
            ub = bounds[b] if b < len(bounds) else math.inf
            c.eq(f"{where} bucket {b} upper_bound", bucket.upper_bound, ub)
            c.eq(f"{where} bucket {b} cumulative_count", bucket.cumulative_count, int(values[b]))
            check_exemplar(c, f"{where} bucket {b}", bucket.exemplar, bucket.HasField("exemplar"), s["exemplars"][b])
    else:
        c.eq(where + " native-only has no classic buckets", len(h.bucket), 0)
    native = s["native"]
    if native is None:
        c.eq(where + " classic has no schema", h.HasField("schema"), False)
        c.eq(where + " classic has no spans", len(h.positive_span) + len(h.negative_span), 0)
        return
    c.eq(where + " schema", h.HasField("schema") and h.schema, native["schema"])
    c.eq(where + " zero_threshold", h.zero_threshold, native["zero_threshold"])
    c.eq(where + " zero_count", h.zero_count, native["zero_count"])
    c.eq(where + " no float counts", (h.sample_count_float, h.zero_count_float, len(h.positive_count),
                                      len(h.negative_count)), (0.0, 0.0, 0, 0))
    # An empty histogram without zero bucket width carries client_golang's no-op span {0, 0}.
    no_op = native["zero_threshold"] == 0 and not native["positive_spans"] and not native["negative_spans"]
    for side in ("positive", "negative"):
        spans = getattr(h, side + "_span")
        deltas = getattr(h, side + "_delta")
        want_spans = [[0, 0]] if no_op and side == "positive" else native[side + "_spans"]
        c.eq(f"{where} {side} spans", [[sp.offset, sp.length] for sp in spans], want_spans)
        c.eq(f"{where} {side} absolute counts", expand(spans, deltas),
             expand_json(native[side + "_spans"], native[side + "_counts"]))
    total = h.zero_count + sum(expand(h.positive_span, h.positive_delta).values()) + \
        sum(expand(h.negative_span, h.negative_delta).values())
    c.eq(where + " count == zero + buckets", total, h.sample_count)


PB_TYPES = {"counter": 0, "gauge": 1, "summary": 2, "unknown": 3, "histogram": 4, "info": 1, "stateset": 1}


def main():
    dump = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="promcxx-pb-") as tmp:
        pb2 = load_schema(tmp)
        pb_path, json_path = os.path.join(tmp, "out.pb"), os.path.join(tmp, "out.json")
        subprocess.run([dump, pb_path, json_path], check=True)
        data = open(pb_path, "rb").read()
        with open(json_path, encoding="utf-8") as f:
            families = json.load(f)

    c = Checker()
    decoded, pos = [], 0
    while pos < len(data):
        size, pos = read_varint(data, pos)
        raw = data[pos:pos + size]
        c.eq("message within stream", pos + size <= len(data), True)
        pos += size
        mf = pb2.MetricFamily()
        mf.ParseFromString(raw)
        # Same bytes as protoc's serializer: field order, packing and lengths are canonical.
        c.eq(f"{mf.name} re-serializes to identical bytes", mf.SerializeToString(deterministic=True), raw)
        decoded.append(mf)

    c.eq("family count", len(decoded), len(families))
    kinds = set()
    for mf, fam in zip(decoded, families):
        t = fam["type"]
        kinds.add(t)
        name = fam["name"] + ("_info" if t == "info" else "")
        where = name
        c.eq(where + " name", mf.name, name)
        c.eq(where + " help", mf.help, fam["help"])
        c.eq(where + " type", mf.type, PB_TYPES[t])
        want_metrics = len(fam["series"]) * (len(fam["states"]) if t == "stateset" else 1)
        c.eq(where + " metric count", len(mf.metric), want_metrics)
        metrics = iter(mf.metric)
        for si, s in enumerate(fam["series"]):
            w = f"{where}[{si}]"
            if t == "stateset":
                for st, state in enumerate(fam["states"]):
                    m = next(metrics)
                    c.eq(w + " state labels", labels_of(m.label), s["labels"] + [[fam["name"], state]])
                    c.eq(w + " state value", m.gauge.value, s["values"][st])
                continue
            m = next(metrics)
            c.eq(w + " labels", labels_of(m.label), s["labels"])
            c.eq(w + " no timestamp", m.HasField("timestamp_ms"), False)
            if t == "counter":
                c.eq(w + " counter value", m.HasField("counter") and m.counter.value, s["values"][0])
                check_exemplar(c, w, m.counter.exemplar, m.counter.HasField("exemplar"), s["exemplars"][0])
            elif t == "gauge":
                c.eq(w + " gauge value", m.HasField("gauge") and m.gauge.value, s["values"][0])
            elif t == "info":
                c.eq(w + " info value", m.HasField("gauge") and m.gauge.value, 1.0)
            elif t == "unknown":
                c.eq(w + " untyped value", m.HasField("untyped") and m.untyped.value, s["values"][0])
            elif t == "summary":
                c.eq(w + " summary count", m.summary.sample_count, int(s["values"][1]))
                c.eq(w + " summary sum", m.summary.sample_sum, s["values"][0])
                c.eq(w + " summary has no quantiles", len(m.summary.quantile), 0)
            elif t == "histogram":
                c.eq(w + " is histogram", m.HasField("histogram"), True)
                check_histogram(c, w, m.histogram, fam, s)
            fields = [f.name for f, _ in m.ListFields()]
            c.eq(w + " exactly one value message", len([f for f in fields if f != "label"]), 1)

    # The dump must cover every type the snapshot knows, native and classic histograms.
    c.eq("types covered", sorted(kinds), sorted(PB_TYPES))
    natives = sum(1 for f in families for s in f["series"] if s["native"] is not None)
    c.eq("native series covered", natives >= 3, True)
    print(f"{c.checks} checks, {c.failures} failures, {len(decoded)} families, {len(data)} bytes")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
