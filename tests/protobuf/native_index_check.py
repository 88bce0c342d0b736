#!/usr/bin/python3
"""Judges promcxx's native bucket index against an independent model.

Model A follows client_golang's rules (math.Frexp, a table of 2^(j/2^s - 1)
computed here with 50-digit decimals, exponent arithmetic for schema <= 0,
+-Inf one past MaxFloat64's bucket, |v| <= zero threshold in the zero bucket,
NaN in no bucket). Model B is the definition, ceil(log2|v| * 2^s), in
60-digit decimals; A and B must agree on every finite value too.

usage: native_index_check.py DUMP_PROGRAM
"""
import decimal
import math
import random
import subprocess
import sys
from collections import Counter

decimal.getcontext().prec = 60
D = decimal.Decimal
LN2 = D(2).ln()
MAX = sys.float_info.max


def table(schema):
    n = 1 << schema
    return [float(((D(j) / n - 1) * LN2).exp()) for j in range(n)]


TABLES = {s: table(s) for s in range(1, 9)}


def model_a(v, schema):
    inf = math.isinf(v)
    m = MAX if inf else abs(v)
    frac, exp = math.frexp(m)
    if schema > 0:
        bounds = TABLES[schema]
        i = next((k for k, b in enumerate(bounds) if b >= frac), len(bounds))
        key = i + (exp - 1) * len(bounds)
    else:
        key = exp - (1 if frac == 0.5 else 0)
        key = (key + (1 << -schema) - 1) >> -schema
    return key + (1 if inf else 0)


def model_b(v, schema):
    """ceil(log2|v| * 2^schema) with exact decimals (boundaries 2^(k/2^s) are irrational unless k/2^s is whole)."""
    frac, exp = math.frexp(abs(v))
    if frac == 0.5:  # exact power of two: log2 is the integer exp - 1, no decimals needed
        return -((-(exp - 1) * (1 << schema)) // 1) if schema >= 0 else -(-(exp - 1) // (1 << -schema))
    x = D(abs(v)).ln() / LN2 * (D(2) ** schema)
    return int(x.to_integral_value(rounding=decimal.ROUND_CEILING))


def values_for(schema, rng):
    n = 2.0 ** schema
    vals = [1.0, 2.0, 0.5, 3.0, 1e-9, 1e9, 0.001, 0.1, 5e-324, 1e-310, 2.2250738585072014e-308,
            math.nextafter(2.2250738585072014e-308, 0), MAX, math.nextafter(MAX, 0), 123.456]
    for _ in range(300):  # log-uniform over the whole double range, normal and subnormal
        vals.append(2.0 ** rng.uniform(-1074, 1023.99))
    for k in range(-40, 41):  # around bucket boundaries 2^(k/2^s)
        b = float((D(k) / D(n) * LN2).exp()) if schema > 0 else 2.0 ** (k * 2 ** -schema)
        vals += [b, math.nextafter(b, math.inf), math.nextafter(b, 0)]
    for e in range(-1074, 1024, 37):  # exact powers of two
        vals.append(math.ldexp(1.0, e))
    vals += [-v for v in vals[::3]]
    vals += [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-39, -1e-39, 2.0 ** -128, -(2.0 ** -128),
             math.nextafter(2.0 ** -128, 1)]
    return vals


def main():
    rng = random.Random(20261130)
    threshold = 2.0 ** -128
    lines, cases = [], []
    for schema in range(-4, 9):
        for v in values_for(schema, rng):
            lines.append(f"{schema} {threshold.hex()} {v.hex() if not math.isnan(v) else 'nan'}")
            cases.append((schema, v))
    out = subprocess.run([sys.argv[1]], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    failures = checked = ab_checked = 0
    for (schema, v), got in zip(cases, out[:len(cases)]):
        if v == 0 or math.isnan(v):
            ok = got == "-"
            want = "-"
        else:
            want = model_a(v, schema)
            ok = got == str(want)
            if not math.isinf(v):
                ab_checked += 1
                b = model_b(v, schema)
                # Go compares frac with rounded table bounds: a double equal to a rounded bound
                # above the true boundary stays in the lower bucket. That, and only that, may differ.
                frac = math.frexp(abs(v))[0]
                on_bound = schema > 0 and frac in TABLES[schema]
                if b != want and not (on_bound and want == b - 1):
                    failures += 1
                    print(f"FAIL model A {want} != definition {model_b(v, schema)} for {v!r} schema {schema}")
        checked += 1
        if not ok:
            failures += 1
            print(f"FAIL index of {v!r} ({v.hex()}) at schema {schema}: got {got}, want {want}")
    # Histograms: zero bucket, signs, NaN ignored, count == zero + buckets.
    hist = [line for line in out[len(cases):] if line.startswith("H ")]
    if len(hist) != 13:
        print(f"FAIL expected 13 histograms, got {len(hist)}")
        failures += 1
    for line in hist:
        _, schema, got_schema, count, zero, pos, neg = line.split(" ")
        schema = int(schema)
        vals = [v for s, v in cases if s == schema]
        real = [v for v in vals if not math.isnan(v)]
        want_pos = Counter(model_a(v, schema) for v in real if v > threshold)
        want_neg = Counter(model_a(v, schema) for v in real if v < -threshold)
        want_zero = sum(1 for v in real if -threshold <= v <= threshold)

        def parse(text):
            first, counts = text.split(":")
            return Counter({int(first) + i: int(c) for i, c in enumerate(counts.split(",")[:-1]) if int(c)})
        got = (int(got_schema), int(count), int(zero), parse(pos), parse(neg))
        want = (schema, len(real), want_zero, want_pos, want_neg)
        checked += 1
        if got != want:
            failures += 1
            print(f"FAIL histogram at schema {schema}: got {got[:3]}, want {want[:3]}"
                  f" (positive equal: {got[3] == want[3]}, negative equal: {got[4] == want[4]})")
        if int(count) != int(zero) + sum(got[3].values()) + sum(got[4].values()):
            failures += 1
            print(f"FAIL schema {schema}: count != zero + buckets")
    print(f"{checked} checks ({ab_checked} also against the definition), {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
