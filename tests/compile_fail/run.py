#!/usr/bin/env python3
"""The one compile-fail runner. Each rule is a file CASE.cpp whose first line is
`// expect: <message>`; meson registers it as a pair of tests (as fmt's
compile-error-test does):

  CASE        the file compiles as written
  CASE-error  it fails with -DPROMCXX_EXPECT_ERROR, and the compiler prints <message>

usage: run.py compiles|fails CASE.cpp INCLUDE_DIR -- COMPILER [ARGS...]
       run.py coverage INCLUDE_DIR CASES_DIR
The coverage mode lists every distinct static_assert message under INCLUDE_DIR
(including the entries of PROMCXX_*_RULES tables, which are expanded into
static_asserts; `promcxx::registry:` rules only break at run time) and fails if
one has no case whose expect line is that message.
"""
import pathlib
import re
import subprocess
import sys

PREFIX = "// expect: "


def expected_message(source):
    first_line = pathlib.Path(source).read_text(encoding="utf-8").splitlines()[0]
    if not first_line.startswith(PREFIX):
        raise SystemExit(f"{source}: first line must be '{PREFIX}<message>'")
    return first_line[len(PREFIX):]


def compile_case(mode, source, include_dir, compiler):
    expected = expected_message(source)
    base = [*compiler, "-std=c++20", "-fsyntax-only", "-I", include_dir, source]
    if mode == "compiles":
        result = subprocess.run(base, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"{source}: must compile as written (without PROMCXX_EXPECT_ERROR), but:\n{result.stderr[-4000:]}")
            return 1
        print(f"{source}: compiles")
        return 0
    result = subprocess.run([*base, "-DPROMCXX_EXPECT_ERROR"], capture_output=True, text=True)
    if result.returncode == 0:
        print(f"{source}: compiled with -DPROMCXX_EXPECT_ERROR; expected the error: {expected}")
        return 1
    # clang prints a static_assert message with its quotes escaped; gcc prints it as written.
    if expected not in result.stderr and expected.replace('"', '\\"') not in result.stderr:
        print(f"{source}: failed to compile, but without the promised message\n  expected: {expected}\n"
              f"  compiler said:\n{result.stderr[:4000]}")
        return 1
    print(f"{source}: fails with: {expected}")
    return 0


def static_assert_messages(include_dir):
    """{message: [file:line, ...]} of every static_assert under include_dir (string literals unescaped)."""
    found = {}
    for path in sorted(pathlib.Path(include_dir).rglob("*.hpp")):
        text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
        for match in re.finditer(r"\bstatic_assert\s*\(", text):
            depth, i, in_string = 1, match.end(), False
            while depth and i < len(text):  # to the closing parenthesis, skipping string literals
                c = text[i]
                if in_string:
                    if c == "\\":
                        i += 1
                    elif c == '"':
                        in_string = False
                elif c == '"':
                    in_string = True
                elif c in "([{":
                    depth += 1
                elif c in ")]}":
                    depth -= 1
                i += 1
            body = text[match.end():i - 1].strip()
            tail = re.search(r',\s*((?:"(?:[^"\\]|\\.)*"\s*)+)$', body)
            if not tail:
                continue  # static_assert without a message: nothing promised
            literals = re.findall(r'"((?:[^"\\]|\\.)*)"', tail.group(1))
            message = re.sub(r"\\(.)", r"\1", "".join(literals))
            line = text[:match.start()].count("\n") + 1
            found.setdefault(message, []).append(f"{path}:{line}")
        # Rule tables, `#define PROMCXX_..._RULES(X) X(id, "message") ...`, expanded into one
        # static_assert per entry elsewhere; rules of the registry only break at registration (run time).
        for table in re.finditer(r"#define (PROMCXX_\w*RULES)\(X\)((?:[^\n]*\\\n)*[^\n]*)", text):
            for entry in re.finditer(r'X\(\s*\w+\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*\\?\s*)+)\)', table.group(2)):
                literals = re.findall(r'"((?:[^"\\]|\\.)*)"', entry.group(1))
                message = re.sub(r"\\(.)", r"\1", "".join(literals))
                if not message.startswith("promcxx::registry:"):
                    line = text[:table.start() + entry.start()].count("\n") + 1
                    found.setdefault(message, []).append(f"{path}:{line} ({table.group(1)})")
    return found


def coverage(include_dir, cases_dir):
    messages = static_assert_messages(include_dir)
    covered = {expected_message(p) for p in pathlib.Path(cases_dir).glob("*.cpp")}
    missing = {m: where for m, where in messages.items() if m not in covered}
    for message, where in sorted(missing.items()):
        print(f"no compile-fail case for: {message}\n  at {', '.join(where)}")
    print(f"{len(messages) - len(missing)}/{len(messages)} static_assert messages have a compile-fail case")
    return 1 if missing or not messages else 0


def main():
    args = sys.argv[1:]
    if len(args) >= 5 and args[0] in ("compiles", "fails") and args[3] == "--":
        return compile_case(args[0], args[1], args[2], args[4:])
    if len(args) == 3 and args[0] == "coverage":
        return coverage(args[1], args[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
