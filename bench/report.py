#!/usr/bin/python3
"""Turns one bench/run into the report: ratio table with targets, JSON, a
Markdown page and a gnuplot chart.

    bench/report.py --dir RAW_DIR --out-prefix bench/results/latest [--smoke]

RAW_DIR holds micro.json (Google Benchmark), memory.json, compile.json,
http.json and machine.json as bench/run writes them. Every ratio compares
medians measured in the same run, CPU time per operation per thread.
"""
import argparse
import json
import os
import subprocess
import sys


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def medians(micro):
    """{(case/impl, threads): entry} from the median aggregates (or single runs in smoke mode)."""
    out = {}
    have_aggregates = any(b.get("run_type") == "aggregate" for b in micro["benchmarks"])
    for b in micro["benchmarks"]:
        if have_aggregates and b.get("aggregate_name") != "median":
            continue
        if not have_aggregates and b.get("run_type") != "iteration":
            continue
        name = b["run_name"].rsplit("/threads:", 1)[0]
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        entry = dict(b)
        entry["cpu_ns"] = b["cpu_time"] * scale
        entry["real_ns"] = b["real_time"] * scale
        out[(name, b["threads"])] = entry
    return out


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.2f} ns"


class Report:
    def __init__(self, raw, smoke):
        self.smoke = smoke
        self.micro = load(os.path.join(raw, "micro.json"))
        if self.micro is None:
            sys.exit("report.py: no micro.json in " + raw)
        self.m = medians(self.micro)
        self.memory = load(os.path.join(raw, "memory.json"), {})
        self.compile = load(os.path.join(raw, "compile.json"), {})
        self.http = load(os.path.join(raw, "http.json"), {})
        self.machine = load(os.path.join(raw, "machine.json"), {})
        self.scaling = []
        scaling_path = os.path.join(raw, "scaling.jsonl")
        if os.path.exists(scaling_path):
            with open(scaling_path) as f:
                self.scaling = [json.loads(line) for line in f if line.strip()]
        self.targets = []

    def ns(self, name, threads):
        e = self.m.get((name, threads))
        return e["cpu_ns"] if e else None

    def target(self, what, value, op, limit, unit="x", note=""):
        if value is None:
            self.targets.append({"target": what, "measured": None, "limit": f"{op} {limit}{unit}", "met": None,
                                 "note": "not measured"})
            return
        if op is None:  # reported for context, no target
            self.targets.append({"target": what, "measured": round(value, 2), "unit": unit, "limit": "report",
                                 "met": None, "note": note})
            return
        met = value <= limit if op == "<=" else value >= limit
        self.targets.append({"target": what, "measured": round(value, 2), "unit": unit,
                             "limit": f"{op} {limit}{unit}", "met": met, "note": note})

    def ratio(self, a, ta, b, tb):
        x, y = self.ns(a, ta), self.ns(b, tb)
        return x / y if x and y else None

    def build_targets(self):
        floor, ours, handle = "counter_inc/floor_thread_local", "counter_inc/promcxx", "counter_inc/promcxx_labelled_handle"
        cas = "counter_inc/cas_atomic_double"
        self.target("counter inc (unlabelled) / floor, 1 thread", self.ratio(ours, 1, floor, 1), "<=", 3)
        self.target("counter inc (cached labelled handle) / floor, 1 thread", self.ratio(handle, 1, floor, 1), "<=", 3)
        self.target("counter inc per-thread cost, 2 threads / 1 thread", self.ratio(ours, 2, ours, 1), "<=", 1.5)
        self.target("counter inc (handle) per-thread cost, 2 threads / 1 thread", self.ratio(handle, 2, handle, 1), "<=", 1.5)
        self.target("CAS atomic<double> / counter inc, 1 thread (speed-up)", self.ratio(cas, 1, ours, 1), ">=", 5)
        self.target("CAS atomic<double> / counter inc, 2 threads (speed-up)", self.ratio(cas, 2, ours, 2), ">=", 10)
        go = "counter_inc/go_atomic_fetch_add"
        self.target("atomic fetch_add (Go design) / counter inc, 1 thread", self.ratio(go, 1, ours, 1), None, 0)
        self.target("atomic fetch_add (Go design) / counter inc, 2 threads", self.ratio(go, 2, ours, 2), None, 0)
        hist, mutex = "histogram_observe/promcxx", "histogram_observe/mutex_lower_bound"
        # Issue 17 item 4: 10x (the first benchmark issue asked for 8x).
        self.target("mutex histogram / histogram observe, 1 thread (speed-up)", self.ratio(mutex, 1, hist, 1), ">=", 10)
        self.target("histogram observe per-thread cost, 2 threads / 1 thread", self.ratio(hist, 2, hist, 1), "<=", 1.5)
        self.target("mutex histogram / histogram observe, 2 threads", self.ratio(mutex, 2, hist, 2), None, 0)
        self.target("gauge set / floor, 1 thread", self.ratio("gauge_set/promcxx", 1, floor, 1), "<=", 2)
        # Issue 17 target 2: gauge inc on per-thread cells against prometheus-cpp's CAS gauge.
        gauge, gauge_cas = "gauge_inc/promcxx", "gauge_inc/cas_atomic_double"
        self.target("CAS atomic<double> / gauge inc, 2 threads (speed-up)", self.ratio(gauge_cas, 2, gauge, 2), ">=", 5)
        self.target("CAS atomic<double> / gauge inc (cached labelled handle), 2 threads (speed-up)",
                    self.ratio(gauge_cas, 2, "gauge_inc/promcxx_labelled_handle", 2), ">=", 5)
        self.target("CAS atomic<double> / gauge inc, 1 thread (speed-up)", self.ratio(gauge_cas, 1, gauge, 1), None, 0)
        self.target("CAS atomic<double> / gauge inc+dec pair, 2 threads (speed-up)",
                    self.ratio("gauge_inc_dec/cas_atomic_double", 2, "gauge_inc_dec/promcxx", 2), None, 0)
        self.target("CAS atomic<double> / gauge add(0.25), 2 threads (speed-up)",
                    self.ratio("gauge_add_fraction/cas_atomic_double", 2, "gauge_add_fraction/promcxx", 2), None, 0)
        self.target("gauge set on a gauge that took adds / floor, 1 thread",
                    self.ratio("gauge_set/promcxx_after_adds", 1, floor, 1), None, 0)
        lookup = "label_lookup/promcxx"
        self.target("map family lookup (prebuilt key) / label lookup, 1 thread (speed-up)",
                    self.ratio("label_lookup/map_prebuilt_key", 1, lookup, 1), ">=", 5)
        self.target("map family lookup (key built per call) / label lookup, 1 thread (speed-up)",
                    self.ratio("label_lookup/map_key_per_call", 1, lookup, 1), ">=", 5)
        self.target("with<...>() + inc / floor, 1 thread", self.ratio("label_lookup_inc/promcxx_with", 1, floor, 1),
                    None, 0)
        # Core 2.0: a runtime-defined family runs on the same core as a compile-time one.
        self.target("label lookup + inc, runtime-defined family / compile-time family, 1 thread",
                    self.ratio("label_lookup_inc/promcxx_runtime_family", 1, "label_lookup_inc/promcxx", 1), "<=", 1.2)
        cases = self.compile.get("cases", {})
        cpu = {name: c.get("cpu_seconds") for name, c in cases.items()}
        # The issue-11 target compares with <fmt/format.h> as installed, which is fmt's compiled-library
        # mode (its bodies are in libfmt): promcxx's compiled mode (PROMCXX_SEPARATE_COMPILATION) is the
        # like of it. Header-only is reported against fmt's own header-only mode (FMT_HEADER_ONLY).
        if cpu.get("promcxx_core_15_metrics_compiled") and cpu.get("fmt_format_h"):
            self.target("compile, compiled mode: core.hpp + 15 metrics / <fmt/format.h> alone (CPU)",
                        cpu["promcxx_core_15_metrics_compiled"] / cpu["fmt_format_h"], "<=", 1.5)
        if cpu.get("promcxx_core_115_metrics_compiled") and cpu.get("promcxx_core_15_metrics_compiled"):
            self.target("compile, compiled mode: marginal cost of a metric (115 vs 15 metrics, CPU)",
                        (cpu["promcxx_core_115_metrics_compiled"] - cpu["promcxx_core_15_metrics_compiled"]) * 1000 / 100,
                        "<=", 10, unit=" ms")
        if cpu.get("promcxx_core_15_metrics") and cpu.get("fmt_format_h_header_only"):
            self.target("compile, header-only: core.hpp + 15 metrics / <fmt/format.h> header-only (FMT_HEADER_ONLY) (CPU)",
                        cpu["promcxx_core_15_metrics"] / cpu["fmt_format_h_header_only"], None, 0)
        if cpu.get("promcxx_core_15_metrics") and cpu.get("fmt_format_h"):
            self.target("compile, header-only: core.hpp + 15 metrics / <fmt/format.h> alone (CPU)",
                        cpu["promcxx_core_15_metrics"] / cpu["fmt_format_h"], None, 0)
        if cpu.get("promcxx_core_115_metrics") and cpu.get("promcxx_core_15_metrics"):
            self.target("compile, header-only: marginal cost of a metric (115 vs 15 metrics, CPU)",
                        (cpu["promcxx_core_115_metrics"] - cpu["promcxx_core_15_metrics"]) * 1000 / 100, "<=", 10,
                        unit=" ms")
        allocs = max((self.m[(lookup, t)].get("allocs_per_op", 0) for t in (1, 2) if (lookup, t) in self.m), default=None)
        self.target("allocations per label lookup (1 and 2 threads)", allocs, "<=", 0, unit="")
        for kind, limit1, limit64 in (("counter", 128, 1024),):
            per = self.memory.get(kind, {}).get("bytes_per_series", {})
            self.target(f"memory per {kind} series, 1 writer thread", per.get("1"), "<=", limit1, unit=" B")
            self.target(f"memory per {kind} series, 64 writer threads", per.get("64"), "<=", limit64, unit=" B")
            frac = self.memory.get(kind, {}).get("bytes_per_series_with_fractions", {})
            self.target(f"memory per {kind} series that also takes fractional increments, 1 writer thread",
                        frac.get("1"), "<=", limit1, unit=" B")
            self.target(f"memory per {kind} series that also takes fractional increments, 64 writer threads",
                        frac.get("64"), "<=", limit64, unit=" B")
        self.scaling_targets()
        series = self.ns("render_counters_10k/text_0_0_4", 1)
        self.target("render 10k counter series, text 0.0.4, ns per series (aim)",
                    series / 1e4 if series else None, "<=", 150, unit=" ns")
        series = self.ns("render_counters_10k/openmetrics_1_0_0", 1)
        self.target("render 10k counter series, OpenMetrics, ns per series (aim)",
                    series / 1e4 if series else None, "<=", 150, unit=" ns")
        # Issue 17 item 3: OpenMetrics within 1.2x of text on the 10k-counter registry, and
        # histogram series (11 bounds) under 500 ns each in both formats; same-run medians.
        om_c, text_c = "render_counters_10k/openmetrics_1_0_0", "render_counters_10k/text_0_0_4"
        self.target("render 10k counter series, OpenMetrics / text 0.0.4, 1 thread", self.ratio(om_c, 1, text_c, 1),
                    "<=", 1.2)
        self.target("render 10k counter series, OpenMetrics / text 0.0.4, 2 threads", self.ratio(om_c, 2, text_c, 2),
                    "<=", 1.2)
        self.target("encode only (no collect) 10k counter series, OpenMetrics / text 0.0.4, 1 thread",
                    self.ratio("encode_only_counters_10k/openmetrics_1_0_0", 1, "encode_only_counters_10k/text_0_0_4", 1),
                    None, 0)
        self.target("collect share of the text render, 10k counter series, 1 thread",
                    self.ratio("collect_only_counters_10k", 1, text_c, 1), None, 0)
        for fmt, label in (("text_0_0_4", "text 0.0.4"), ("openmetrics_1_0_0", "OpenMetrics")):
            h = self.ns(f"render_histograms_1k/{fmt}", 1)
            self.target(f"render 1k histogram series (11 bounds), {label}, ns per series",
                        h / 1e3 if h else None, "<=", 500, unit=" ns")

    def scale_point(self, impl, threads, series=11000):
        for p in self.scaling:
            if p["impl"] == impl and p["threads"] == threads and p["series"] == series:
                return p
        return None

    def scaling_targets(self):
        """Issue 17 item 1: scrape cost and resident memory independent of the writer threads."""
        one, t256, t1024 = (self.scale_point("promcxx", t) for t in (1, 256, 1024))
        base1024 = self.scale_point("baseline", 1024)
        ratio = lambda a, b: a["render_ms"] / b["render_ms"] if a and b else None
        self.target("render 11k series with 1,024 live writer threads / with 1 writer thread", ratio(t1024, one), "<=", 3)
        self.target("render 11k series with 256 live writer threads / with 1 writer thread", ratio(t256, one), "<=", 2)
        self.target("resident memory (kernel VmRSS), whole process, 1,024 writer threads x 3 families",
                    t1024["rss_mib"] if t1024 else None, "<=", 32, unit=" MiB")
        self.target("resident memory, 1,024 writer threads, prometheus-cpp storage design (same threads)",
                    base1024["rss_mib"] if base1024 else None, None, 0, unit=" MiB")
        self.target("virtual size per writer thread beyond the baseline's (was 128 MiB)",
                    (t1024["vm_mib"] - base1024["vm_mib"]) / 1024 if t1024 and base1024 else None, None, 0,
                    unit=" MiB")

    def hot_rows(self):
        rows = []
        seen = []
        for (name, _threads) in self.ordered_keys():
            if name not in seen and not name.startswith(("render_", "encode_only_", "collect_only_")):
                seen.append(name)
        for name in seen:
            case, impl = name.split("/", 1)
            t1, t2 = self.ns(name, 1), self.ns(name, 2)
            allocs = self.m.get((name, 1), {}).get("allocs_per_op")
            rows.append({"case": case, "implementation": impl, "ours": impl.startswith("promcxx"),
                         "cpu_ns_1_thread": t1, "cpu_ns_2_threads": t2,
                         "two_over_one": t2 / t1 if t1 and t2 else None, "allocs_per_op": allocs,
                         "cpu_share_1_thread": self.cpu_share(name, 1), "cpu_share_2_threads": self.cpu_share(name, 2)})
        return rows

    def ordered_keys(self):
        """Keys in registration order (random interleaving shuffles the JSON)."""
        return sorted(self.m, key=lambda k: (self.m[k].get("family_index", 0),
                                             self.m[k].get("per_family_instance_index", 0)))

    def cpu_share(self, name, threads):
        """CPU time / wall time of each thread: below 1 when the shared machine took the CPU away.

        Google Benchmark divides CPU time summed over threads by all threads' iterations, but
        wall time averaged over threads by the same count, hence the division by `threads`."""
        e = self.m.get((name, threads))
        return e["cpu_ns"] / (e["real_ns"] * threads) if e and e["real_ns"] else None

    def encode_rows(self):
        rows = []
        for (name, threads) in self.ordered_keys():
            e = self.m[(name, threads)]
            if not name.startswith(("render_", "encode_only_", "collect_only_")):
                continue
            series = e.get("series", 0)
            rows.append({"case": name, "threads": threads, "cpu_ns_per_scrape": e["cpu_ns"],
                         "ns_per_series": e["cpu_ns"] / series if series else None,
                         "bytes": e.get("bytes_per_op"),
                         "mb_per_cpu_second": e.get("bytes_per_op", 0) / e["cpu_ns"] * 1e3 if e["cpu_ns"] else None})
        return rows

    def to_json(self):
        return {"smoke": self.smoke, "machine": self.machine, "targets": self.targets,
                "hot_path": self.hot_rows(), "encoding": self.encode_rows(), "memory": self.memory,
                "compile_time": self.compile, "http": self.http, "scaling": self.scaling,
                "benchmark_context": self.micro.get("context", {})}

    def markdown(self):
        md = []
        mc = self.machine
        md.append("# promcxx benchmark results\n")
        if self.smoke:
            md.append("**Smoke run: minimal times, one repetition; the numbers are not meaningful.**\n")
        md.append(f"- Date: {mc.get('date', '?')}")
        md.append(f"- Machine: {mc.get('nproc', '?')} CPUs (`nproc`), {mc.get('cpu_model', '?')}, "
                  f"kernel {mc.get('kernel', '?')}; load average at start {mc.get('load_start', '?')}, "
                  f"at end {mc.get('load_end', '?')}")
        md.append(f"- Compiler: {mc.get('compiler', '?')}; build: meson `-Dbuildtype=release -Db_ndebug=if-release`")
        md.append(f"- Command: `bench/run`; Google Benchmark {mc.get('benchmark_version', '?')}, "
                  f"{mc.get('repetitions', '?')} repetitions, random interleaving, medians; CPU time per "
                  "operation per thread; in 2-thread cases both threads update the same metric, each pinned "
                  "to its own CPU.")
        md.append("- The machine is shared: compare ratios within this run, not absolute times across runs.\n")

        md.append("## Targets\n")
        md.append("| Target | Measured | Limit | Met |")
        md.append("|---|---|---|---|")
        for t in self.targets:
            measured = "n/a" if t["measured"] is None else f"{t['measured']}{t.get('unit', '')}"
            met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
            md.append(f"| {t['target']} | {measured} | {t['limit']} | {met} |")
        md.append("")

        md.append("## Hot path (median CPU time per operation per thread)\n")
        md.append("| Case | Implementation | 1 thread | 2 threads | 2T / 1T | allocs/op | CPU share 1T / 2T |")
        md.append("|---|---|---|---|---|---|---|")
        for r in self.hot_rows():
            impl = f"**{r['implementation']}**" if r["ours"] else r["implementation"]
            t1 = fmt_ns(r["cpu_ns_1_thread"]) if r["cpu_ns_1_thread"] else "n/a"
            t2 = fmt_ns(r["cpu_ns_2_threads"]) if r["cpu_ns_2_threads"] else "n/a"
            ratio = f"{r['two_over_one']:.2f}" if r["two_over_one"] else "n/a"
            allocs = "" if r["allocs_per_op"] is None else f"{r['allocs_per_op']:.2f}"
            share = "/".join(f"{x:.0%}" if x else "n/a" for x in (r["cpu_share_1_thread"], r["cpu_share_2_threads"]))
            md.append(f"| {r['case']} | {impl} | {t1} | {t2} | {ratio} | {allocs} | {share} |")
        md.append("\nBaselines (bench/baselines.hpp): `floor_thread_local` is a plain `thread_local uint64_t` "
                  "increment; `go_atomic_fetch_add` one shared `std::atomic<uint64_t>` with relaxed `fetch_add` "
                  "(the Go client's counter); `cas_atomic_double` a `std::atomic<double>` CAS loop "
                  "(prometheus-cpp's counter and gauge); `mutex_lower_bound` a mutex, `std::lower_bound`, double "
                  "bucket counters and a CAS sum (prometheus-cpp's histogram); `map_*` an `unordered_map` keyed by "
                  "`std::map<std::string, std::string>` under a mutex (prometheus-cpp's `Family::Add`), with the "
                  "key built beforehand or per call.\n")
        md.append("CPU share is CPU time over wall time per thread: well below 100% means other processes on this "
                  "shared machine held the CPUs, and in 2-thread cases that the two threads often did not run at "
                  "the same time, which hides contention in the shared-memory baselines.\n")

        md.append("## Exposition (render = collect + encode; median CPU time, 1 and 2 threads rendering)\n")
        md.append("| Case | Threads | Per scrape | ns per series | Bytes | MB per CPU second |")
        md.append("|---|---|---|---|---|---|")
        for r in self.encode_rows():
            md.append(f"| {r['case']} | {r['threads']} | {fmt_ns(r['cpu_ns_per_scrape'])} | "
                      f"{r['ns_per_series']:.0f} | {int(r['bytes'] or 0):,} | {r['mb_per_cpu_second']:.0f} |")
        md.append("")

        md.append("## Memory per series (bench/memory_model.hpp, checked by the `bench` test suite)\n")
        md.append("Series slot, index entries and the metric's fixed part (sizeof the metric / 1024 series), "
                  "heap for two label values of 13 bytes, and 8 bytes per cell per writer thread that writes it (pages per "
                  "thread). Counters keep whole increments in those per-thread integer cells; a counter that also "
                  "gets fractional increments uses one more 8-byte cell shared by all threads.\n")
        md.append("| Metric | In metric | Label heap | Cells | 1 thread | 2 threads | 16 threads | 64 threads |")
        md.append("|---|---|---|---|---|---|---|---|")
        for kind in ("counter", "histogram"):
            m = self.memory.get(kind)
            if not m:
                continue
            b = m["bytes_per_series"]
            md.append(f"| {kind} | {m['in_metric_bytes']:.0f} B | {m['label_bytes']:.0f} B | {m['cells']} | "
                      f"{b['1']:.1f} B | {b['2']:.1f} B | {b['16']:.1f} B | {b['64']:.1f} B |")
            f = m.get("bytes_per_series_with_fractions")
            if f and m.get("shared_bytes"):
                md.append(f"| {kind}, also fractional increments | {m['in_metric_bytes']:.0f} B "
                          f"+ {m['shared_bytes']} B shared | {m['label_bytes']:.0f} B | {m['cells']} | "
                          f"{f['1']:.1f} B | {f['2']:.1f} B | {f['16']:.1f} B | {f['64']:.1f} B |")
        md.append("")

        if self.scaling:
            md.append("## Scaling: scrape time and resident memory (bench/scaling_bench.cpp, one process per row)\n")
            md.append("Render = text 0.0.4 of the whole registry, CPU time of the rendering thread, median of the "
                      "renders, writer threads alive and parked. Against threads: the 11k-series registry (100 counter families x 100, 10 "
                      "histogram families x 100, 11 bounds); each thread wrote ten series in each of three families. "
                      "Against series: N counter series, one writer. RSS and VM from /proc/self/status after the "
                      "writes. Baseline: prometheus-cpp's storage design (label map and heap-allocated "
                      "`atomic<double>` per series, CAS adds, a mutex per histogram), same encoder.\n")
            md.append("| Writer threads | Series | promcxx render | baseline render | promcxx RSS | baseline RSS | "
                      "promcxx VM | baseline VM |")
            md.append("|---|---|---|---|---|---|---|---|")
            keys = sorted({(p["threads"], p["series"]) for p in self.scaling}, key=lambda k: (k[1] != 11000, k[1], k[0]))
            for threads, series in keys:
                ours, base = self.scale_point("promcxx", threads, series), self.scale_point("baseline", threads, series)
                cell = lambda p, key, f: f.format(p[key]) if p else "n/a"
                md.append(f"| {threads} | {series:,} | {cell(ours, 'render_ms', '{:.2f} ms')} | "
                          f"{cell(base, 'render_ms', '{:.2f} ms')} | {cell(ours, 'rss_mib', '{:.1f} MiB')} | "
                          f"{cell(base, 'rss_mib', '{:.1f} MiB')} | {cell(ours, 'vm_mib', '{:.0f} MiB')} | "
                          f"{cell(base, 'vm_mib', '{:.0f} MiB')} |")
            md.append("\nVirtual size is mostly thread stacks (8 MiB reserved each) and glibc's per-thread malloc "
                      "arenas, in both columns; promcxx reserves nothing per thread beyond the pages it writes.\n")

        if self.compile.get("cases"):
            md.append(f"## Compile time ({self.compile.get('compiler')}, `{self.compile.get('flags')}`, "
                      f"median of {self.compile.get('repetitions')})\n")
            md.append("| Translation unit | CPU seconds | Wall seconds | CPU vs `<fmt/format.h>` |")
            md.append("|---|---|---|---|")
            fmt_cpu = self.compile["cases"].get("fmt_format_h", {}).get("cpu_seconds")
            labels = {"empty": "empty", "fmt_format_h": "`#include <fmt/format.h>`",
                      "fmt_format_h_header_only": "`#include <fmt/format.h>` with `FMT_HEADER_ONLY`",
                      "promcxx_core_15_metrics": "`<promcxx/core.hpp>` + 15 metrics",
                      "promcxx_core_115_metrics": "`<promcxx/core.hpp>` + 115 metrics",
                      "promcxx_hpp_15_metrics": "`<promcxx.hpp>` + 15 metrics",
                      "promcxx_core_15_metrics_compiled": "`<promcxx/core.hpp>` + 15 metrics, compiled mode",
                      "promcxx_core_115_metrics_compiled": "`<promcxx/core.hpp>` + 115 metrics, compiled mode",
                      "promcxx_hpp_15_metrics_compiled": "`<promcxx.hpp>` + 15 metrics, compiled mode"}
            for name, c in self.compile["cases"].items():
                rel = f"{c['cpu_seconds'] / fmt_cpu:.1f}x" if fmt_cpu else "n/a"
                md.append(f"| {labels.get(name, name)} | {c['cpu_seconds']:.2f} | {c['wall_seconds']:.2f} | {rel} |")
            md.append("")

        if self.http.get("pages"):
            md.append(f"## HTTP (wrk `{self.http.get('wrk')}`, 127.0.0.1, server and wrk share the machine)\n")
            md.append("| Page | Encoding | Sample lines | Body bytes | Requests/s | p99 |")
            md.append("|---|---|---|---|---|---|")
            for p in self.http["pages"]:
                if "skipped" in p:
                    md.append(f"| {p['page']} | skipped: {p['skipped']} | | | | |")
                else:
                    md.append(f"| {p['page']} | {p['encoding']} | {p['sample_lines']} | {p['body_bytes']:,} | "
                              f"{p['requests_per_second']:.0f} | {p['p99']} |")
            md.append("\nBench-server pages carry the server's own metrics too (about 18 sample lines).\n")
        return "\n".join(md) + "\n"

    def scaling_chart(self, png):
        """Four panels: render time and RSS against writer threads and against series."""
        if not self.scaling:
            return
        paths = []
        for impl in ("promcxx", "baseline"):
            for axis in ("threads", "series"):
                path = f"{png[:-4]}-{impl}-{axis}.dat"
                points = [p for p in self.scaling if p["impl"] == impl and
                          (p["series"] == 11000 if axis == "threads" else p["threads"] == 1 and p["series"] != 11000)]
                points.sort(key=lambda p: p[axis])
                with open(path, "w") as f:
                    for p in points:
                        f.write(f"{p[axis]} {p['render_ms']:.4f} {p['rss_mib']:.2f}\n")
                paths.append(path)
        stem = png[:-4]
        title = " [SMOKE RUN: not meaningful]" if self.smoke else ""
        script = f"""
set terminal pngcairo size 1500,1000 font ",10" noenhanced
set output "{png}"
set multiplot layout 2,2 margins 0.07, 0.98, 0.08, 0.93 spacing 0.08, 0.12
set grid
set key top left
set logscale x 2
set xlabel "writer threads (alive during the scrape)"
set ylabel "render ms (11k series)"
set yrange [0:*]
set title "Scrape time against writer threads{title}"
plot "{stem}-promcxx-threads.dat" using 1:2 with linespoints lw 2 title "promcxx", \\
     "{stem}-baseline-threads.dat" using 1:2 with linespoints lw 2 title "prometheus-cpp design"
set ylabel "resident MiB (whole process)"
set title "Resident memory against writer threads (3 families each)"
plot "{stem}-promcxx-threads.dat" using 1:3 with linespoints lw 2 title "promcxx", \\
     "{stem}-baseline-threads.dat" using 1:3 with linespoints lw 2 title "prometheus-cpp design"
set logscale x 10
set logscale y 10
set yrange [*:*]
set xlabel "counter series (1 writer thread)"
set ylabel "render ms"
set title "Scrape time against series"
plot "{stem}-promcxx-series.dat" using 1:2 with linespoints lw 2 title "promcxx", \\
     "{stem}-baseline-series.dat" using 1:2 with linespoints lw 2 title "prometheus-cpp design"
set ylabel "resident MiB (whole process)"
set title "Resident memory against series"
plot "{stem}-promcxx-series.dat" using 1:3 with linespoints lw 2 title "promcxx", \\
     "{stem}-baseline-series.dat" using 1:3 with linespoints lw 2 title "prometheus-cpp design"
unset multiplot
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"report.py: scaling chart not written ({e})", file=sys.stderr)
        finally:
            for p in paths:
                os.remove(p)

    def chart(self, png):
        """Grouped bars: ns/op per case, 1 and 2 threads, ours next to the baselines."""
        rows = self.hot_rows()
        data_path = png[:-4] + ".dat"
        x, ticks, lines = 0, [], []
        previous_case = None
        for r in rows:
            if previous_case is not None and r["case"] != previous_case:
                x += 1  # gap between cases
            previous_case = r["case"]
            for threads, key in ((1, "cpu_ns_1_thread"), (2, "cpu_ns_2_threads")):
                value = r[key]
                color = (0 if r["ours"] else 2) + (threads - 1)
                if value:
                    lines.append(f"{x} {value:.4f} {color}")
                x += 1
            ticks.append((x - 1.5, f"{r['case']}: {r['implementation']}"))
            x += 0.5
        with open(data_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        enc = [r for r in self.encode_rows() if r["ns_per_series"]]
        enc_path = png[:-4] + "-encoding.dat"
        with open(enc_path, "w") as f:
            for i, r in enumerate(enc):
                f.write(f"{i} {r['ns_per_series']:.2f} {r['threads'] - 1} \"{r['case']} ({r['threads']}T)\"\n")
        tics = ", ".join(f"\"{label}\" {pos}" for pos, label in ticks)
        title = "promcxx vs baselines, median CPU ns per op per thread (dark: 1 thread, light: 2 threads)"
        if self.smoke:
            title += " [SMOKE RUN: not meaningful]"
        script = f"""
set terminal pngcairo size 1800,1300 font ",10" noenhanced
set output "{png}"
set multiplot layout 2,1 margins 0.09, 0.98, 0.12, 0.95 spacing 0, 0.16
set title "{title}"
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y
set ylabel "ns per operation (log)"
set grid ytics
set xtics rotate by 40 right ({tics}) font ",9"
set palette defined (0 "#1f4e9c", 1 "#7fa7e0", 2 "#c05a00", 3 "#f2b27a")
set cbrange [0:3]
unset colorbox
set key off
set label 1 "blue: promcxx   orange: baselines" at graph 0.01, graph 0.95
plot "{data_path}" using 1:2:3 with boxes lc palette
unset label 1
unset logscale y
set title "Exposition: CPU ns per series (render = collect + encode)"
set ylabel "ns per series"
unset xtics
set xtics rotate by 25 right font ",9"
set yrange [0:*]
set palette defined (0 "#1f4e9c", 1 "#7fa7e0")
set cbrange [0:1]
plot "{enc_path}" using 1:2:3:xtic(4) with boxes lc palette
unset multiplot
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"report.py: chart not written ({e})", file=sys.stderr)
        finally:
            for p in (data_path, enc_path):
                os.remove(p)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--out-prefix", required=True)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    r = Report(args.dir, args.smoke)
    r.build_targets()
    with open(args.out_prefix + ".json", "w") as f:
        json.dump(r.to_json(), f, indent=1)
        f.write("\n")
    md = r.markdown()
    with open(args.out_prefix + ".md", "w") as f:
        f.write(md)
    r.chart(args.out_prefix + ".png")
    r.scaling_chart(args.out_prefix + "-scaling.png")
    print(md)
    missed = [t["target"] for t in r.targets if t["met"] is False]
    if missed and not args.smoke:
        print(f"{len(missed)} target(s) missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
