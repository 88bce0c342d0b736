#!/usr/bin/python3
"""Compile-time rules: every case compiles with -DPROMCXX_CASE_OK and fails without
it, with the message its `// error:` line names (checked with the given compiler).

usage: compile_fail.py --include DIR --cases DIR -- COMPILER [ARGS...]
"""
import concurrent.futures
import os
import subprocess
import sys


def run_case(compiler, include, path):
    with open(path, encoding="utf-8") as f:
        expected = next((line.split("// error:", 1)[1].strip() for line in f if line.startswith("// error:")), None)
    if expected is None:
        return f"{path}: no '// error:' line"
    base = compiler + ["-fsyntax-only", "-I", include, path]
    ok = subprocess.run(base + ["-DPROMCXX_CASE_OK"], capture_output=True, text=True)
    if ok.returncode != 0:
        return f"{os.path.basename(path)}: the valid variant does not compile:\n{ok.stderr[-2000:]}"
    bad = subprocess.run(base, capture_output=True, text=True)
    if bad.returncode == 0:
        return f"{os.path.basename(path)}: compiled, but must fail with: {expected}"
    # clang quotes the static_assert message with its quotes escaped
    if expected not in bad.stderr and expected.replace('"', '\\"') not in bad.stderr:
        return f"{os.path.basename(path)}: failed without the promised message '{expected}':\n{bad.stderr[-3000:]}"
    return None


def main():
    args = sys.argv[1:]
    split = args.index("--")
    opts, compiler = args[:split], args[split + 1:]
    include = opts[opts.index("--include") + 1]
    cases_dir = opts[opts.index("--cases") + 1]
    cases = sorted(os.path.join(cases_dir, n) for n in os.listdir(cases_dir) if n.endswith(".cpp"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for p in pool.map(lambda c: run_case(compiler, include, c), cases) if p]
    for p in problems:
        print("FAIL:", p)
    print(f"{len(cases) - len(problems)}/{len(cases)} compile-fail cases behave")
    return 1 if problems or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
