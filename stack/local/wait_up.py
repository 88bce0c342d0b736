#!/usr/bin/python3
"""Wait until every scrape target of each Prometheus is up and its rules loaded.

Prints progress while waiting; on timeout names each target that is not up
with its last scrape error and exits 1. Usage:
  wait_up.py --prometheus http://127.0.0.1:19090 [--prometheus URL2 ...] --timeout 120 [--min-rules N]
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)["data"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prometheus", required=True, action="append", help="repeat for each replica")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--min-rules", type=int, default=1)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    last_note = ""
    down = []
    pending = list(args.prometheus)
    while time.monotonic() < deadline:
        base = pending[0]
        try:
            targets = get(base + "/api/v1/targets?state=active")["activeTargets"]
            groups = get(base + "/api/v1/rules")["groups"]
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            note = f"waiting for Prometheus API: {exc}"
        else:
            rules = sum(len(g["rules"]) for g in groups)
            down = [t for t in targets if t["health"] != "up"]
            if targets and not down and rules >= args.min_rules:
                print(f"{base}: all {len(targets)} scrape targets up, {rules} rules loaded", flush=True)
                pending.pop(0)
                if not pending:
                    return 0
                continue
            note = (f"{base}: {len(targets) - len(down)}/{len(targets)} targets up, {rules} rules"
                    + (": waiting for " + ", ".join(
                        f"{t['labels'].get('job')}/{t['labels'].get('instance')}" for t in down)
                       if down else ""))
        if note != last_note and ": 0/0" not in note:  # 0/0: not discovered yet
            print(note, flush=True)
            last_note = note
        time.sleep(1)
    print(f"wait_up: not every target came up within {args.timeout:.0f}s:", file=sys.stderr)
    for t in down:
        print(f"  job={t['labels'].get('job')} instance={t['labels'].get('instance')} "
              f"url={t['scrapeUrl']} health={t['health']} error={t['lastError']!r}",
              file=sys.stderr)
    if not down:
        print(f"  {last_note}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
