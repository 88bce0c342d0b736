#!/usr/bin/python3
"""Seconds to compile small translation units: an empty one, one including
only <fmt/format.h>, and ones including promcxx and declaring 15 metrics.

    bench/compile_time.py [--repetitions N] [--cxx g++] [--out FILE]

Reports the median of N compiles, wall-clock and CPU (user + sys of the
compiler, which this shared machine disturbs less), as JSON, and the ratios of
the issue-11 targets: core + 15 metrics over the fmt-only TU (<= 1.5), and the
cost of each metric past 15 (115 - 15 metrics, / 100; <= 10 ms).

Each promcxx case runs twice: header-only (the default) and compiled mode
(-DPROMCXX_SEPARATE_COMPILATION: the slow paths live in src/promcxx.cpp, the
`_compiled` cases). <fmt/format.h> as installed (Debian's libfmt-dev) is fmt's
compiled-library mode too (no FMT_HEADER_ONLY: its bodies are in libfmt), so
compiled mode against it compares like with like; fmt's own header-only mode
(-DFMT_HEADER_ONLY) is measured too, the like of promcxx header-only.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMPILED = ["-DPROMCXX_SEPARATE_COMPILATION=1"]
CASES = [  # name, source, extra flags
    ("empty", "empty.cpp", []),
    ("fmt_format_h", "fmt_only.cpp", []),
    ("fmt_format_h_header_only", "fmt_only.cpp", ["-DFMT_HEADER_ONLY"]),
    ("promcxx_core_15_metrics", "core_15_metrics.cpp", []),
    ("promcxx_core_115_metrics", "core_115_metrics.cpp", []),
    ("promcxx_hpp_15_metrics", "promcxx_15_metrics.cpp", []),
    ("promcxx_core_15_metrics_compiled", "core_15_metrics.cpp", COMPILED),
    ("promcxx_core_115_metrics_compiled", "core_115_metrics.cpp", COMPILED),
    ("promcxx_hpp_15_metrics_compiled", "promcxx_15_metrics.cpp", COMPILED),
]


def compile_once(cxx, flags, source):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run([cxx, *flags, "-c", source, "-o", os.devnull],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"compile_time.py: {cxx} failed on {source}:\n{result.stdout}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    parser.add_argument("--out")
    args = parser.parse_args()

    flags = ["-std=c++20", "-O2", "-I" + os.path.join(ROOT, "include")]
    version = subprocess.run([args.cxx, "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    report = {"compiler": version, "flags": " ".join(flags[:2]), "repetitions": args.repetitions, "cases": {}}
    # Interleave the cases so drift of the machine's load hits all of them alike.
    samples = {name: ([], []) for name, _, _ in CASES}
    for _ in range(args.repetitions):
        for name, source, extra in CASES:
            wall, cpu = compile_once(args.cxx, flags + extra, os.path.join(HERE, "compile_time", source))
            samples[name][0].append(wall)
            samples[name][1].append(cpu)
    for name, (walls, cpus) in samples.items():
        report["cases"][name] = {"wall_seconds": round(statistics.median(walls), 3),
                                 "cpu_seconds": round(statistics.median(cpus), 3)}
    cpu = {name: case["cpu_seconds"] for name, case in report["cases"].items()}
    report["targets"] = {}
    for mode, suffix in (("header_only", ""), ("compiled", "_compiled")):
        report["targets"][mode] = {
            "core_15_over_fmt": round(cpu["promcxx_core_15_metrics" + suffix] / cpu["fmt_format_h"], 2),
            "ms_per_metric": round((cpu["promcxx_core_115_metrics" + suffix] - cpu["promcxx_core_15_metrics" + suffix]) * 10, 1),
        }
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
