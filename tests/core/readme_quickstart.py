#!/usr/bin/env python3
"""README's quick start must compile as written and print what README says it prints.

usage: readme_quickstart.py README INCLUDE_DIR WORK_DIR COMPILER [ARGS...]
Compiles the first ```cpp block of README.md with fmt, runs it and checks the
lines README lists in the ```text block that follows it.
"""
import pathlib
import re
import subprocess
import sys


def main() -> int:
    readme, include_dir, work_dir, *compiler = sys.argv[1:]
    text = pathlib.Path(readme).read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S)
    code_index = next((i for i, (lang, _) in enumerate(blocks) if lang == "cpp"), None)
    if code_index is None:
        print("README.md has no ```cpp block")
        return 1
    code = blocks[code_index][1]
    expected = next((body for lang, body in blocks[code_index + 1:] if lang == "text"), None)
    if expected is None:
        print("README.md: the quick start needs a ```text block after it with the output it promises")
        return 1
    work = pathlib.Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    source = work / "quickstart.cpp"
    source.write_text(code, encoding="utf-8")
    binary = work / "quickstart"
    fmt = subprocess.run(["pkg-config", "--cflags", "--libs", "fmt"], capture_output=True, text=True).stdout.split()
    build = subprocess.run([*compiler, "-std=c++20", "-Wall", "-Wextra", "-Werror", "-I", include_dir, str(source),
                            "-o", str(binary), *fmt, "-pthread"], capture_output=True, text=True)
    if build.returncode != 0:
        print(f"README quick start does not compile:\n{build.stderr}")
        return 1
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        print(f"README quick start exited with {run.returncode}:\n{run.stderr}")
        return 1
    missing = [line for line in expected.splitlines() if line.strip() and line not in run.stdout.splitlines()]
    if missing:
        print("README quick start output lacks the lines README promises:")
        for line in missing:
            print(f"  {line}")
        print(f"actual output:\n{run.stdout}")
        return 1
    # Every other C++ block must compile too (not run: they may serve forever).
    for number, (lang, body) in enumerate(blocks):
        if lang != "cpp" or number == code_index:
            continue
        snippet = work / f"snippet_{number}.cpp"
        snippet.write_text(body, encoding="utf-8")
        check = subprocess.run([*compiler, "-std=c++20", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", include_dir,
                                str(snippet)], capture_output=True, text=True)
        if check.returncode != 0:
            print(f"README C++ block {number} does not compile:\n{body}\n{check.stderr}")
            return 1
    print("README quick start compiles, runs and prints what README shows; every other C++ block compiles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
