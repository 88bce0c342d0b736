#!/usr/bin/env python3
"""Compile-fail check for one rule: the file must compile as written, and must
fail with -DPROMCXX_EXPECT_ERROR, printing the message its `// expect:` line promises.

usage: run.py SOURCE INCLUDE_DIR COMPILER [COMPILER ARGS...]
"""
import pathlib
import subprocess
import sys


def main() -> int:
    source, include_dir, *compiler = sys.argv[1:]
    first_line = pathlib.Path(source).read_text(encoding="utf-8").splitlines()[0]
    prefix = "// expect: "
    if not first_line.startswith(prefix):
        print(f"{source}: first line must be '{prefix}<message>'")
        return 1
    expected = first_line[len(prefix):]
    base = [*compiler, "-std=c++20", "-fsyntax-only", "-I", include_dir, source]

    good = subprocess.run(base, capture_output=True, text=True)
    if good.returncode != 0:
        print(f"{source}: the valid variant must compile, but:\n{good.stderr}")
        return 1
    bad = subprocess.run([*base, "-DPROMCXX_EXPECT_ERROR"], capture_output=True, text=True)
    if bad.returncode == 0:
        print(f"{source}: the -DPROMCXX_EXPECT_ERROR variant compiled; expected: {expected}")
        return 1
    # clang prints the message with its quotes escaped; gcc prints it as written.
    if expected not in bad.stderr and expected.replace('"', '\\"') not in bad.stderr:
        print(f"{source}: failed to compile, but without the promised message\n  expected: {expected}\n"
              f"  compiler said:\n{bad.stderr[:4000]}")
        return 1
    print(f"{source}: compiles; the error variant fails with: {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
