#!/usr/bin/env bash
# promtool check metrics must report zero problems on the fixture's 0.0.4 output.
set -euo pipefail
dump=$1
promtool=$2
output=$("$dump" text | "$promtool" check metrics 2>&1) || status=$?
if [[ ${status:-0} -ne 0 || -n "$output" ]]; then
  echo "promtool check metrics found problems (exit ${status:-0}):"
  echo "$output"
  exit 1
fi
echo "promtool check metrics: no problems"
