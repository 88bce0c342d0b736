#!/usr/bin/python3
"""Compiles every ```cpp block of stack/INTEGRATION_GUIDE.md.

Each block is a complete translation unit; it is compiled with
`CXX -std=c++20 -I<include> $(pkg-config --cflags fmt) -fsyntax-only` and
must produce no error (warnings at -Wall -Wextra -Wpedantic fail too, as in
the library's own build). A block defining `void test_*()` is also linked
with a main that calls it and run: the guide's test example must pass.

usage: check_integration_guide.py --guide FILE --include DIR [--cxx c++]
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guide", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--cxx", default="c++")
    args = ap.parse_args()

    with open(args.guide, encoding="utf-8") as f:
        text = f.read()
    blocks = []
    for m in re.finditer(r"^```cpp[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        line = text.count("\n", 0, m.start()) + 1
        blocks.append((line, m.group(1)))
    if not blocks:
        print(f"{args.guide}: no ```cpp blocks found", file=sys.stderr)
        return 1
    if not os.path.isfile(os.path.join(args.include, "promcxx.hpp")):
        print(f"{args.include}/promcxx.hpp not found", file=sys.stderr)
        return 1
    fmt = subprocess.run(["pkg-config", "--cflags", "fmt"], capture_output=True, text=True)
    fmt_libs = subprocess.run(["pkg-config", "--libs", "fmt"], capture_output=True, text=True)
    if fmt.returncode != 0:
        print("pkg-config cannot find fmt (libfmt-dev)", file=sys.stderr)
        return 1

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (line, code) in enumerate(blocks):
            src = os.path.join(tmp, f"block_{i}.cpp")
            with open(src, "w", encoding="utf-8") as f:
                f.write(f'#line {line + 1} "{os.path.basename(args.guide)}"\n{code}')
            cmd = [args.cxx, "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                   f"-I{args.include}", *shlex.split(fmt.stdout), src]
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
            if res.returncode != 0:
                failures += 1
                print(f"block at {args.guide}:{line} does not compile:\n{res.stderr}", file=sys.stderr)
                continue
            tests = re.findall(r"^void (test_\w+)\(\)", code, flags=re.M)
            if not tests:
                continue
            with open(src, "a", encoding="utf-8") as f:
                f.write("\n#include <cstdio>\n#include <exception>\nint main() {\n  try {\n")
                f.write("".join(f"    {t}();\n" for t in tests))
                f.write('  } catch (const std::exception& e) {\n    std::fprintf(stderr, "%s\\n", e.what());\n'
                        "    return 1;\n  }\n}\n")
            exe = os.path.join(tmp, f"block_{i}")
            link = [c for c in cmd if c != "-fsyntax-only"] + ["-o", exe, "-pthread",
                                                               *shlex.split(fmt_libs.stdout)]
            res = subprocess.run(link, capture_output=True, text=True, timeout=240)
            if res.returncode == 0:
                res = subprocess.run([exe], capture_output=True, text=True, timeout=60)
            if res.returncode != 0:
                failures += 1
                print(f"block at {args.guide}:{line}: {', '.join(tests)} failed:\n{res.stdout}{res.stderr}",
                      file=sys.stderr)
    if failures:
        print(f"check_integration_guide: {failures} of {len(blocks)} blocks fail", file=sys.stderr)
        return 1
    print(f"check_integration_guide: {len(blocks)} cpp blocks compile with {args.cxx}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
