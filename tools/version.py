#!/usr/bin/env python3
"""Prints the version defined in include/promcxx/version.hpp (the one source of truth)."""
import pathlib
import re
import sys

header = pathlib.Path(__file__).resolve().parent.parent / "include" / "promcxx" / "version.hpp"
match = re.search(r'#define PROMCXX_VERSION_STRING "([0-9.]+)"', header.read_text())
if not match:
    sys.exit(f"PROMCXX_VERSION_STRING not found in {header}")
print(match.group(1))
