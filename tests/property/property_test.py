#!/usr/bin/python3
"""Differential property test of the exposition (issue 18 item 2).

Random registries: every metric type from a fixed pool of compile-time
descriptors (property_driver.cpp) plus collector families with random names
that may clash (with the pool or each other) and series they may emit twice,
random label values (escapes, UTF-8, invalid UTF-8, NUL, empty, 1 MiB), random
values (NaN, +-Inf, -0, subnormals, 2^53+k, counter increments up to 2^64 and
beyond). This script writes each random program, computes what it must expose
(the model, independent of the C++ code), runs the driver, and checks both
renderings: promtool check metrics and prometheus_client's text parser judge
the text format, prometheus_client's strict OpenMetrics parser the OpenMetrics
one, every parsed sample must equal the model's, and promcxx_collect_errors_total
must equal what the model says the collector got wrong.

usage: property_test.py --driver EXE [--promtool EXE] [--seconds N] [--seed S]
                        [--case I] [--open all|CLASS,...] [--keep DIR]
Environment (used when the flag is absent): PROMCXX_PROPERTY_SECONDS,
PROMCXX_PROPERTY_SEED, PROMCXX_PROPERTY_OPEN.

Known-open classes (bugs being fixed; generated only when --open names them,
so CI stays green; each failure is printed with a reproducer): see --help.
"""
import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

# Bad data that once aborted the process is dropped and counted now: always generated.
FIXED_CLASSES = {
    "invalid_utf8": "label values that are not valid UTF-8 (dropped and counted)",
    "observe_nan": "observe(NaN) on histograms and summaries (dropped and counted)",
    "counter_non_finite": "counter inc(NaN) / inc(+Inf) (NaN dropped and counted)",
    "name_clash": "families whose exposed names clash (pool: refused at registration; collector: the later "
                  "family is dropped and counted)",
    "collector_duplicate": "a collector emitting the same series twice (the repeat is dropped and counted)",
    "big_increment": "counter increments from 2^53 to 2^64 and beyond, then whole and fractional ones "
                     "(client_golang's sum: whole increments below 2^64 in an integer, the others in a float)",
}
OPEN_CLASSES = {}
DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
# Mirrors the pool in property_driver.cpp: index -> (kind, declared name, label names, buckets or states).
POOL = {
    0: ("counter", "prop_requests_total", ["path", "code"], None),
    1: ("counter", "prop_events_total", [], None),
    2: ("gauge", "prop_temperature_celsius", ["sensor"], None),
    3: ("gauge", "prop_level", [], None),
    4: ("histogram", "prop_latency_seconds", ["op"], DEFAULT_BUCKETS),
    5: ("histogram", "prop_size_bytes", [], [1, 10, 100, 1000]),
    6: ("summary", "prop_rpc_seconds", ["svc"], None),
    7: ("info", "prop_build", ["version"], None),
    8: ("stateset", "prop_role", ["peer"], ["leader", "follower"]),
    9: ("gauge", "prop_build_info", [], None),
    10: ("gauge", "prop_events_created", [], None),
    11: ("histogram", "prop_offset_seconds", [], [-1, 0, 1]),
}
CLASH_ONLY = {9, 10}  # clash with 7 and 1: registered only in the name_clash class
OP_CODE = {"counter": "C", "gauge": "G", "histogram": "H", "summary": "S"}


# ---- random data ---------------------------------------------------------------

def label_value(rng, open_classes):
    choices = ["a", "node-1", "", 'q"uote', "back\\slash", "new\nline", "tab\there", "caf\u00e9 \u20ac",
               "\U0001F600", "{}=,", "x" * 300, "# EOF", "NaN", " lead and trail "]
    if rng.random() < 0.01:
        return "y" * (1 << 20)  # 1 MiB
    if "invalid_utf8" in open_classes and rng.random() < 0.15:
        return rng.choice([b"\xff", b"ab\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"])
    if rng.random() < 0.03:
        return "nul\x00byte"  # valid UTF-8: every parser and promtool accept it
    return rng.choice(choices)


def to_bytes(s):
    return s if isinstance(s, bytes) else s.encode("utf-8")


def hexs(s):
    b = to_bytes(s)
    return b.hex() if b else "-"


def gauge_value(rng):
    return rng.choice([0.0, 1.0, -1.0, 0.5, -0.0, 5e-324, 2.2250738585072014e-308 / 3, 1e-300, 1e308, -1e308,
                       math.inf, -math.inf, math.nan, float(2 ** 53 + rng.randint(-2, 3)),
                       rng.uniform(-1e6, 1e6), float(rng.randint(0, 2 ** 64))])


def observation(rng, open_classes):
    if "observe_nan" in open_classes and rng.random() < 0.1:
        return math.nan
    return rng.choice([0.0, -0.0, 5e-324, 0.001, 0.005, 0.1, 1.0, 2.5, 10.0, 11.0, 1e6, 1e300, -0.5, -1.0,
                       math.inf, -math.inf, rng.uniform(0, 12), rng.uniform(-2, 2)])


def counter_increments(rng, open_classes):
    """Non-negative increments: integers below 2^53 or small dyadic fractions (big_increment: from 2^53 up)."""
    n = rng.randint(1, 5)
    if "counter_non_finite" in open_classes and rng.random() < 0.2:
        return [rng.choice([1.0, math.inf, math.nan]) for _ in range(n)]
    if "big_increment" in open_classes and rng.random() < 0.3:
        # The integer part may pass 2^53 by an odd amount (2^53 + 1.0), where float(integer) rounds before the
        # fraction is added; 2^64 - 2048 is the largest whole double below 2^64, 2^64 goes to the float part.
        big = rng.choice([2 ** 53, 2 ** 53 + 2, 2 ** 53 + 4, 2 ** 60, 2 ** 63, 2 ** 64 - 2048, 2 ** 64, 1e300])
        return [float(big)] + [rng.choice([0.5, 0.25, 1.0, 2.0, 3.0]) for _ in range(n)]
    if rng.random() < 0.5:
        return [float(rng.choice([0, 1, 2, 1000, 2 ** 40, 2 ** 52 + rng.randint(-2, 3)])) for _ in range(n)]
    return [rng.choice([0.5, 0.25, 0.125, 1.5, 3.75, 5e-324, 0.0]) for _ in range(n)]


def counter_total(increments):
    """A counter's value as client_golang keeps it (and promcxx, storage.hpp): whole increments below 2^64 add up
    exactly in an unsigned 64-bit integer, the others in a float, in order; the value is float(integer) + float
    part. NaN is dropped (and counted). Not the exact sum: with an integer part above 2^53 that a double cannot
    hold, float(integer) rounds first (2^53 + 1.0 + 0.5 gives 2^53, the exact sum rounds to 2^53 + 2)."""
    whole, part = 0, 0.0
    for x in increments:
        if math.isnan(x):
            continue
        if x < 2 ** 64 and x == int(x):
            whole += int(x)
        else:
            part += x
    return float(whole % 2 ** 64) + part


class FloatSum:
    """The sum of observations as storage may add them up in any order (storage.hpp splits a histogram's sum over
    lanes picked by bucket, then adds the lanes): within the rounding-error bound of the exact sum, n * 2^-53 *
    sum(|x|); infinite terms decide it alone. NaN observations are dropped (and counted)."""

    def __init__(self, terms):
        self.terms = [x for x in terms if not math.isnan(x)]
        self.pos_inf, self.neg_inf = math.inf in self.terms, -math.inf in self.terms
        finite = [Fraction(x) for x in self.terms if math.isfinite(x)]
        self.exact = sum(finite, Fraction(0))
        self.bound = len(finite) * Fraction(1, 2 ** 53) * sum((abs(x) for x in finite), Fraction(0))

    def matches(self, got):
        if self.pos_inf and self.neg_inf:
            return math.isnan(got)
        if self.pos_inf or self.neg_inf:
            return got == (math.inf if self.pos_inf else -math.inf)
        return math.isfinite(got) and abs(Fraction(got) - self.exact) <= self.bound

    def at_least_zero(self):
        if self.pos_inf or self.neg_inf:
            return self.pos_inf and not self.neg_inf
        return self.exact >= 0

    def sign_unsure(self):
        return not (self.pos_inf or self.neg_inf) and self.bound > 0 and abs(self.exact) <= self.bound

    def __repr__(self):
        return f"FloatSum(~{float(self.exact)!r} +- {float(self.bound)!r})"


# ---- names and clashes ---------------------------------------------------------

def exposed(kind, name):
    """(sample names, family names) a family exposes in either format."""
    if kind == "counter":
        base = name[:-len("_total")]
        return {name, base + "_created"}, {base, name}
    if kind == "histogram":
        return {name + s for s in ("_bucket", "_count", "_sum", "_created")}, {name}
    if kind == "summary":
        return {name, name + "_count", name + "_sum", name + "_created"}, {name}
    if kind == "info":
        return {name + "_info"}, {name, name + "_info"}
    return {name}, {name}


def clashes_with(families, entry):
    """True when `entry` exposes a sample or family name that one of `families` exposes too."""
    names = set().union(*exposed(*entry))
    return any(names & set().union(*exposed(*f)) for f in families)


def is_metric_name(n):
    return bool(n) and (n[0].isascii() and (n[0].isalpha() or n[0] in "_:")) and \
        all(c.isascii() and (c.isalnum() or c in "_:") for c in n)


def is_label_name(n):
    return bool(n) and n[0].isascii() and (n[0].isalpha() or n[0] == "_") and \
        all(c.isascii() and (c.isalnum() or c == "_") for c in n)


def valid_utf8(s):
    try:
        to_bytes(s).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def collector_family_valid(kind, name, help_text):
    # A counter's OpenMetrics family name is its name without _total: it must stay a name.
    return (is_metric_name(name) and help_text != "" and valid_utf8(help_text) and
            (kind != "counter" or is_metric_name(name[:-len("_total")])) and
            (kind == "unknown" or (kind == "counter") == name.endswith("_total")) and
            not any(name.endswith(s) for s in ("_bucket", "_count", "_sum")))


def collector_series_valid(labels):
    names = [n for n, _ in labels]
    return (len(set(names)) == len(names) and
            all(is_label_name(n) and not n.startswith("__") and valid_utf8(v) for n, v in labels))


# ---- one case: program and model -----------------------------------------------

class Case:
    def __init__(self, seed, open_classes):
        self.rng = random.Random(seed)
        self.open = open_classes
        self.lines = []
        self.tags = set()  # open classes this case actually exercises
        self.model = {}    # (sample name, frozenset(labels)) -> value, in OpenMetrics naming
        self.text_model = {}
        # Open classes whose fixed behaviour is not decided yet (drop, refuse or record):
        # their series may be absent, have any value, or come back with changed labels.
        self.loose = set()        # model keys that may be absent or differ
        self.loose_names = set()  # sample names under which unexpected series are tolerated
        self.may_refuse = set()   # program line numbers the library may refuse with an exception
        self.must_refuse = set()  # ... and those it must refuse (a clash known at registration)
        self.current = None       # keys of the series being generated
        self.collect_errors = 0   # what each scrape adds to promcxx_collect_errors_total
        self.generate()

    def note_labels(self, values):
        for v in values:
            if isinstance(v, bytes):
                self.tags.add("invalid_utf8")

    def generate(self):
        rng = self.rng
        candidates = [i for i in POOL if i not in CLASH_ONLY or "name_clash" in self.open]
        chosen = sorted(rng.sample(candidates, rng.randint(0, len(candidates))))
        # Registration refuses a pool family that clashes with one registered before it.
        registered, refused = [], set()
        for index in chosen:
            entry = (POOL[index][0], POOL[index][1])
            if clashes_with(registered, entry):
                refused.add(index)
            else:
                registered.append(entry)
        families = list(registered)  # every registered family holds its names, with or without series
        collector = []
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(["counter", "gauge", "unknown"])
            if "name_clash" in self.open and families and rng.random() < 0.4:
                other_kind, other = rng.choice(families)
                name = rng.choice(sorted(exposed(other_kind, other)[0] | exposed(other_kind, other)[1]))
            elif rng.random() < 0.1:
                name = rng.choice(["9lives", "bad-name", "", "caf\u00e9", "prop_x_bucket", "prop_x_count"])
            else:
                name = "prop_c_" + "".join(rng.choice("abcxyz_") for _ in range(rng.randint(1, 6)))
            if kind == "counter" and not name.endswith("_total") and rng.random() < 0.8:
                name += "_total"
            help_text = rng.choice(["Collected.", "", "Help with \\ and \n newline.", "caf\u00e9"])
            valid = collector_family_valid(kind, name, help_text)
            samples = self.collector_sample_data(kind if valid else None)
            # A collector family with no accepted sample is not exposed and holds no names.
            exposed_now = valid and any(kept for *_, kept in samples)
            if exposed_now and clashes_with(families, (kind, name)):
                if "name_clash" not in self.open:
                    continue
                self.tags.add("name_clash")
                valid = False  # dropped (and counted) at collection: an earlier family holds the name
            elif exposed_now:
                families.append((kind, name))
            collector.append((kind if valid else None, name, help_text, kind, samples))
        if refused:
            self.tags.add("name_clash")

        for index in chosen:
            self.lines.append(f"R {index}")
            if index in refused:
                # Both names are known at registration: the library should refuse the second one.
                self.may_refuse.add(len(self.lines))
                self.must_refuse.add(len(self.lines))
                continue
            self.pool_ops(index)
        for valid_kind, name, help_text, kind, samples in collector:
            # promcxx_collect_errors_total, per scrape: an invalid family (the driver sends it no sample),
            # an invalid or repeated sample, a family dropped for a clash.
            if not collector_family_valid(kind, name, help_text):
                self.collect_errors += 1
            else:
                self.collect_errors += sum(1 for *_, kept in samples if not kept)
                self.collect_errors += 1 if valid_kind is None and any(kept for *_, kept in samples) else 0
            self.lines.append(f"F {kind} {hexs(name)} {hexs(help_text)}")
            for names, values, value, kept in samples:
                if valid_kind is not None and kept:
                    self.add(self.key(name, names, values), value)
                self.lines.append(f"X {value.hex()} " + " ".join(f"{hexs(n)} {hexs(v)}" for n, v in zip(names, values)))

    def series_labels(self, names):
        values = [label_value(self.rng, self.open) for _ in names]
        self.note_labels(values)
        return values

    def key(self, sample, names, values, extra=()):
        labels = {n: v for n, v in zip(names, values)}
        labels.update(extra)
        return (sample, frozenset(labels.items()))

    def pool_ops(self, index):
        rng = self.rng
        kind, name, label_names, extra = POOL[index]
        label_sets = [self.series_labels(label_names) for _ in range(rng.randint(1, 3))]
        if kind == "info":
            values = rng.choice(label_sets)
            self.current, first_line = [], len(self.lines) + 1
            self.lines.append(f"I {index} " + " ".join(hexs(v) for v in values))
            self.add(self.key(name + "_info", label_names, values), 1.0)
            self.end_series(values, False, first_line)
            return
        state = {}
        for values in label_sets:
            tvalues = tuple(to_bytes(v) for v in values)
            if tvalues in state:
                continue
            self.current, first_line, special = [], len(self.lines) + 1, False
            if kind == "counter":
                incs = counter_increments(rng, self.open)
                if any(not math.isfinite(x) for x in incs):
                    self.tags.add("counter_non_finite")
                    special = True
                if any(x >= 2 ** 53 for x in incs if math.isfinite(x)):
                    self.tags.add("big_increment")
                ops = incs
                total = counter_total(incs)
                state[tvalues] = total
                self.add(self.key(name, label_names, values), total)
            elif kind == "gauge":
                ops = [gauge_value(rng) for _ in range(rng.randint(1, 3))]
                self.add(self.key(name, label_names, values), ops[-1])
                state[tvalues] = ops[-1]
            elif kind in ("histogram", "summary"):
                ops = [observation(rng, self.open) for _ in range(rng.randint(1, 6))]
                if any(math.isnan(x) for x in ops):
                    self.tags.add("observe_nan")
                    special = True
                total = FloatSum(ops)
                state[tvalues] = True
                count_key, sum_key = self.key(name + "_count", label_names, values), self.key(name + "_sum",
                                                                                             label_names, values)
                if total.sign_unsure():  # whether OpenMetrics shows the sum depends on rounding
                    self.loose.update((count_key, sum_key))
                if kind == "histogram":
                    for bound in extra + [math.inf]:
                        self.add(self.key(name + "_bucket", label_names, values, [("le", bound)]),
                                 float(sum(1 for x in ops if x <= bound)))
                    # OpenMetrics: _count and _sum together, only without negative bounds and with a sum >= 0.
                    if min(extra) >= 0 and total.at_least_zero():
                        self.om_add(count_key, float(len(ops)))
                        self.om_add(sum_key, total)
                else:
                    # OpenMetrics: a summary's _sum is a counter, left out when negative or NaN.
                    self.om_add(count_key, float(len(ops)))
                    if total.at_least_zero():
                        self.om_add(sum_key, total)
                self.text_add(count_key, float(len(ops)))
                self.text_add(sum_key, total)
            elif kind == "stateset":
                state[tvalues] = True
                flags = {s: 0.0 for s in extra}
                ops = []
                for _ in range(rng.randint(1, 4)):
                    s, on = rng.choice(extra), rng.random() < 0.5
                    ops.append((s, on))
                    flags[s] = 1.0 if on else 0.0
                for s, v in flags.items():
                    self.add(self.key(name, label_names, values, [(name, s)]), v)
                for s, on in ops:
                    self.lines.append(f"T {index} {hexs(s)} {int(on)} " + " ".join(hexs(v) for v in values))
                self.end_series(values, special, first_line)
                continue
            for x in ops:
                self.lines.append(f"{OP_CODE[kind]} {index} {x.hex()} " + " ".join(hexs(v) for v in values))
            self.end_series(values, special, first_line)

    def end_series(self, values, special, first_line):
        """Series with data of an open class: absent, any value, changed labels or refused are all possible."""
        if special or any(isinstance(v, bytes) for v in values):
            self.loose.update(self.current)
            self.loose_names.update(k[0] for k in self.current)
            self.may_refuse.update(range(first_line, len(self.lines) + 1))
        self.current = None

    def collector_sample_data(self, valid_kind):
        """Samples of one collector family: (names, values, value, kept). A sample is kept when valid and not a
        repeat of an earlier label set (in any label order): the first one stays."""
        rng = self.rng
        seen = set()
        samples = []
        for _ in range(rng.randint(0, 4)):
            names = rng.sample(["a", "b", "node", "__reserved", "9x", "le"], rng.randint(0, 2))
            if rng.random() < 0.05 and names:
                names.append(names[0])  # duplicate label name
            if rng.random() < 0.05 and len(names) == 2:
                names.reverse()
            values = self.series_labels(names)
            if seen and rng.random() < 0.15:  # repeat an accepted label set, in any label order
                pairs = sorted(rng.choice(sorted(seen, key=lambda k: sorted(k, key=repr))), key=repr)
                rng.shuffle(pairs)
                names, values = [n for n, _ in pairs], [v for _, v in pairs]
            labels = list(zip(names, values))
            kind = valid_kind or "gauge"
            value = abs(gauge_value(rng)) if kind == "counter" else gauge_value(rng)
            if kind == "counter" and math.isnan(value):
                value = 1.0
            key_bytes = frozenset((n, to_bytes(v)) for n, v in labels)
            kept = valid_kind is not None and collector_series_valid(labels)
            if kept and key_bytes in seen:
                if "collector_duplicate" not in self.open:
                    continue
                self.tags.add("collector_duplicate")
                kept = False
            if kept:
                seen.add(key_bytes)
            samples.append((names, values, value, kept))
        return samples

    def add(self, key, value):
        self.om_add(key, value)
        self.text_add(key, value)

    def om_add(self, key, value):
        self.model[key] = value
        if self.current is not None:
            self.current.append(key)

    def text_add(self, key, value):
        self.text_model[key] = value
        if self.current is not None:
            self.current.append(key)


# ---- checks ----------------------------------------------------------------------

def normalise(sample_name, labels):
    items = []
    for k, v in labels.items():
        if k == "le" and sample_name.endswith("_bucket"):
            v = float(v)  # "1" (text) and "1.0" (OpenMetrics) are the same bound
        items.append((k, v))
    return (sample_name, frozenset(items))


def model_key(key):
    name, labels = key
    return (name, frozenset((k, float(v) if isinstance(v, (int, float)) else
                             (v.decode("utf-8", "replace") if isinstance(v, bytes) else v)) for k, v in labels))


def same(a, b):
    if isinstance(b, FloatSum):
        return b.matches(a)
    return (math.isnan(a) and math.isnan(b)) or a == b


def compare(parsed, model, what, problems, case):
    expected = {model_key(k): v for k, v in model.items()}
    loose = {model_key(k) for k in case.loose}
    for k, v in expected.items():
        if k in loose:
            continue
        if k not in parsed:
            problems.append(f"{what}: missing {k[0]}{dict(k[1])!r:.200} (model {v!r})")
        elif not same(parsed[k], v):
            problems.append(f"{what}: {k[0]}{dict(k[1])!r:.200} = {parsed[k]!r}, model {v!r}")
    for k in parsed:
        if k not in expected and k[0] not in case.loose_names:
            problems.append(f"{what}: unexpected {k[0]}{dict(k[1])!r:.200} = {parsed[k]!r}")


def collect(families, problems, what, text_format, self_metrics=None):
    out = {}
    for family in families:
        if family.name.startswith("promcxx_"):
            if self_metrics is not None:
                self_metrics.update({s.name: s.value for s in family.samples if not s.labels})
            continue  # self-metrics (collect errors, overflow): not part of the program
        for s in family.samples:
            if s.name.endswith("_created") and family.type in ("counter", "histogram", "summary"):
                continue  # creation time: not modelled
            key = normalise(s.name, s.labels)
            if key in out:
                problems.append(f"{what}: series {s.name}{s.labels!r:.200} appears twice")
            out[key] = s.value
    return out


def check_case(driver, promtool, case, workdir):
    program = "\n".join(case.lines) + "\n"
    text_path, om_path = os.path.join(workdir, "out.txt"), os.path.join(workdir, "out.om")
    for p in (text_path, om_path):
        if os.path.exists(p):
            os.remove(p)
    run = subprocess.run([driver, text_path, om_path], input=program.encode(), capture_output=True, timeout=60)
    problems = []
    if run.returncode != 0:
        return ["crash", f"driver exit status {run.returncode}: {run.stderr.decode(errors='replace')[-1500:]}"], program
    refused = set()
    for line in run.stderr.decode(errors="replace").splitlines():
        words = line.split(" ", 2)
        if len(words) < 2 or words[0] != "refused" or int(words[1]) not in case.may_refuse:
            problems.append(f"refused an operation the model expects to succeed: {line[:500]}")
        else:
            refused.add(int(words[1]))
    for number in sorted(case.must_refuse - refused):
        problems.append(f"registered a family whose exposed names clash with an earlier one (line {number})")
    raw_text, raw_om = open(text_path, "rb").read(), open(om_path, "rb").read()
    try:
        text, om = raw_text.decode("utf-8"), raw_om.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["not_utf8", f"output is not UTF-8: {e}"], program
    if promtool:
        lint = subprocess.run([promtool, "check", "metrics"], input=raw_text, capture_output=True, timeout=60)
        said = (lint.stdout + lint.stderr).decode(errors="replace")
        # Exit 3 with lint-only findings (style such as "no help text") is an accepted exposition.
        if lint.returncode not in (0, 3) or "error while linting" in said or "parsing error" in said:
            problems.append(f"promtool rejects the text format (exit {lint.returncode}): {said[:1500]}")
    try:
        self_text = {}
        parsed_text = collect(parse_text(text), problems, "text", True, self_text)
        compare(parsed_text, case.text_model, "text", problems, case)
        # The driver renders text first, then OpenMetrics: the errors of one scrape, then of two.
        errors = self_text.get("promcxx_collect_errors_total", 0)
        if errors != case.collect_errors:
            problems.append(f"text: promcxx_collect_errors_total = {errors}, model {case.collect_errors}")
    except Exception as e:  # the parser raises ValueError and friends on invalid input
        problems.append(f"prometheus_client text parser rejects the text format: {type(e).__name__}: {e}"[:1500])
    try:
        self_om = {}
        parsed_om = collect(parse_openmetrics(om), problems, "openmetrics", False, self_om)
        compare(parsed_om, case.model, "openmetrics", problems, case)
        errors = self_om.get("promcxx_collect_errors_total", 0)
        if errors != 2 * case.collect_errors:
            problems.append(f"openmetrics: promcxx_collect_errors_total = {errors}, model {2 * case.collect_errors}")
    except Exception as e:
        problems.append(f"strict OpenMetrics parser rejects the output: {type(e).__name__}: {e}"[:1500])
    return problems, program


def classify(problems):
    first = problems[0]
    for prefix, name in (("crash", "crash"), ("not_utf8", "not_utf8"), ("refused", "refused"),
                         ("registered a family", "clash_registered"), ("promtool", "promtool_reject"),
                         ("prometheus_client text parser", "text_parser_reject"),
                         ("strict OpenMetrics", "openmetrics_parser_reject"),
                         ("text:", "text_value_mismatch"), ("openmetrics:", "openmetrics_value_mismatch")):
        if any(p.startswith(prefix) for p in problems):
            return name
    return first[:40]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="known-open classes:\n" +
                                 "\n".join(f"  {k:20} {v}" for k, v in OPEN_CLASSES.items()))
    ap.add_argument("--driver", required=True)
    ap.add_argument("--promtool", default="/usr/bin/promtool")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("PROMCXX_PROPERTY_SECONDS", "60")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("PROMCXX_PROPERTY_SEED", "0")) or None)
    ap.add_argument("--case", type=int, help="run only this case of the seed (reproducer)")
    ap.add_argument("--open", default=os.environ.get("PROMCXX_PROPERTY_OPEN", ""),
                    help="known-open classes to generate too: all or a comma-separated list")
    ap.add_argument("--keep", help="write each failing program (driver input) here")
    ap.add_argument("--max-failures", type=int, default=20)
    args = ap.parse_args()
    open_classes = set(OPEN_CLASSES) if args.open == "all" else {c for c in args.open.split(",") if c}
    unknown = open_classes - set(OPEN_CLASSES) - set(FIXED_CLASSES)
    if unknown:
        ap.error(f"unknown classes {sorted(unknown)}; known: {sorted(OPEN_CLASSES)}")
    promtool = args.promtool if os.access(args.promtool, os.X_OK) else None
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2 ** 32)
    open_classes |= set(FIXED_CLASSES)
    open_flag = f" --open {','.join(sorted(open_classes))}" if open_classes else ""
    print(f"property: seed {seed}, {args.seconds:g} s, open classes: {sorted(open_classes) or 'none'}"
          f"{'' if promtool else ' (promtool not found: skipped)'}", flush=True)
    failures = {}
    deadline = time.monotonic() + args.seconds
    cases = 0
    with tempfile.TemporaryDirectory(prefix="promcxx-property-") as workdir:
        indices = [args.case] if args.case is not None else range(10 ** 9)
        for i in indices:
            if args.case is None and time.monotonic() > deadline:
                break
            case = Case(seed * 1_000_003 + i, open_classes)
            problems, program = check_case(args.driver, promtool, case, workdir)
            cases += 1
            if not problems:
                continue
            cls = classify(problems)
            tags = ",".join(sorted(case.tags)) or "none"
            key = (cls, tags)
            failures.setdefault(key, []).append(i)
            if len(failures[key]) == 1:
                print(f"\nFAIL case {i} ({cls}; open classes exercised: {tags})")
                print(f"  reproduce: {sys.argv[0]} --driver {args.driver} --seed {seed} --case {i}{open_flag}")
                for p in problems[:8]:
                    print("  " + p.replace("\n", "\\n")[:600])
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    with open(os.path.join(args.keep, f"case-{seed}-{i}.program"), "w") as f:
                        f.write(program)
            if sum(len(v) for v in failures.values()) >= args.max_failures:
                break
    print(f"\nproperty: {cases} cases, seed {seed}: "
          f"{sum(len(v) for v in failures.values())} failed")
    for (cls, tags), ids in sorted(failures.items()):
        print(f"  {cls} (open classes: {tags}): {len(ids)} case(s), e.g. --seed {seed} --case {ids[0]}")
    return 1 if failures or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
