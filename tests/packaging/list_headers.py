#!/usr/bin/env python3
"""Lists the headers under include/ (one per line, relative, sorted).

  list_headers.py INCLUDE_DIR                   print the list (read at configure time)
  list_headers.py INCLUDE_DIR --expect H...     fail unless the tree holds exactly H...

Meson does not glob, so the per-header translation units come from the list
printed at configure time; --expect (a test) catches a header added or removed
since then, whose TU would otherwise silently not exist.
"""
import pathlib
import sys


def headers(include_dir: pathlib.Path) -> list[str]:
    return sorted(p.relative_to(include_dir).as_posix()
                  for p in include_dir.rglob("*") if p.suffix in {".hpp", ".h"} and p.is_file())


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.exit(__doc__)
    include_dir = pathlib.Path(argv[1])
    found = headers(include_dir)
    if not found:
        sys.exit(f"no headers under {include_dir}")
    if len(argv) == 2:
        print("\n".join(found))
        return 0
    if argv[2] != "--expect":
        sys.exit(__doc__)
    expected = sorted(argv[3:])
    added = sorted(set(found) - set(expected))
    removed = sorted(set(expected) - set(found))
    for header in added:
        print(f"header without a stand-alone compile check: {header}")
    for header in removed:
        print(f"header checked at configure time but gone: {header}")
    if added or removed:
        print("run `meson setup --reconfigure <builddir>` so tests/packaging regenerates its list")
        return 1
    print(f"{len(found)} headers, each compiled in its own translation unit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
