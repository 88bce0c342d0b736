#!/usr/bin/python3
"""mpc_node against the real alert rules, evaluated by a real Prometheus.

Starts five mpc_nodes on 127.0.0.1 (two healthy, one per fault flag group) and
a Prometheus scraping them every 2 s with stack/prometheus/alerts.yml loaded.
After a full 5-minute rate window it evaluates the expression of every alert in
the mpc-* rule groups (ignoring `for:`) and checks, per node, that exactly the
expected (alert, severity) pairs are over threshold: none for healthy nodes,
the documented set for each fault. Takes about 5.5 minutes.

Usage: alerts_live.py --mpc-node PATH --rules stack/prometheus/alerts.yml [--prometheus PATH]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

WINDOW = 320  # seconds: one 5m rate window plus a few scrapes

BYZANTINE = {("MPCByzantineViolationsHigh", "warning"), ("MPCByzantineViolationsHigh", "critical"),
             ("MPCDoubleVoteDetected", "critical"), ("MPCInvalidSignatureViolations", "warning"),
             ("MPCInvalidSignatureViolations", "critical"),
             ("MPCTimeoutViolationsHigh", "warning"), ("MPCMalformedMessagesHigh", "warning")}
SIGNING = {("MPCSignatureFailureRateHigh", "warning"), ("MPCSignatureFailureRateHigh", "critical"),
           ("MPCPresignaturePoolLow", "warning"), ("MPCPresignaturePoolDepleted", "critical"),
           # consequence: failed signatures fail their transactions
           ("MPCTransactionFailureRateHigh", "warning"), ("MPCTransactionFailureRateHigh", "critical")}
ISOLATED = {("MPCNodeIsolated", "critical"), ("MPCNodeMissingPeers", "warning"),
            ("MPCConsensusThresholdNotReached", "critical"),
            ("MPCNetworkErrorRateHigh", "warning"), ("MPCNetworkErrorRateHigh", "critical"),
            ("MPCTLSHandshakeFailuresHigh", "warning"), ("MPCTLSHandshakeFailuresHigh", "critical"),
            # consequences: without quorum rounds time out and transactions fail
            ("MPCVoteTimeoutsHigh", "warning"), ("MPCConsensusRoundsSlow", "warning"),
            ("MPCTransactionFailureRateHigh", "warning"), ("MPCTransactionFailureRateHigh", "critical"),
            ("MPCNoTransactionsConfirmed", "critical")}
NODES = [
    ("node-1", [], set()),
    ("node-2", [], set()),
    ("node-3", ["--byzantine-rate", "0.5"], BYZANTINE),
    ("node-4", ["--signature-failure-rate", "0.5", "--stall-presignatures"], SIGNING),
    ("node-5", ["--drop-peers"], ISOLATED),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpc-node", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--prometheus", default=shutil.which("prometheus"))
    args = ap.parse_args()
    rules = yaml.safe_load(open(args.rules))
    tmp = tempfile.mkdtemp(prefix="mpc-alerts-live-")
    procs = []
    try:
        instances = {}
        for node, flags, _ in NODES:
            p = subprocess.Popen([args.mpc_node, "--listen", "127.0.0.1:0", "--node-id", node, *flags],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            procs.append(p)
            line = p.stdout.readline().decode()  # "mpc_node node-1 listening on 127.0.0.1:PORT"
            if " listening on " not in line:
                raise RuntimeError(f"{node} did not start: {line!r}")
            instances[line.rsplit(" ", 1)[1].strip()] = node
        port = free_port()
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            yaml.safe_dump({
                "global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
                "rule_files": [os.path.abspath(args.rules)],
                "scrape_configs": [{"job_name": "mpc-nodes", "static_configs": [{"targets": list(instances)}]}],
            }, f)
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        procs.append(subprocess.Popen(
            [args.prometheus, "--config.file", os.path.join(tmp, "prometheus.yml"),
             "--storage.tsdb.path", os.path.join(tmp, "data"), "--web.listen-address", f"127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

        def query(expr):
            url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
            if body.get("status") != "success":
                raise RuntimeError(f"query failed: {expr}: {body}")
            return body["data"]["result"]

        start = time.monotonic()
        while True:
            try:
                if len([r for r in query('up{job="mpc-nodes"} == 1')]) == len(NODES):
                    break
            except OSError:
                pass
            if time.monotonic() - start > 60:
                raise RuntimeError("Prometheus did not scrape every node within 60 s")
            time.sleep(1)
        print(f"all {len(NODES)} nodes scraped; waiting {WINDOW} s for a full rate window", flush=True)
        time.sleep(WINDOW)

        over = {node: set() for node, _, _ in NODES}
        for group in rules["groups"]:
            if not group["name"].startswith("mpc-"):
                continue
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                for r in query(rule["expr"]):
                    m = r["metric"]
                    node = m.get("node_id") or instances.get(m.get("instance"))
                    if node in over:
                        over[node].add((rule["alert"], rule["labels"]["severity"]))
        failures = 0
        for node, flags, expected in NODES:
            ok = over[node] == expected
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {node} {' '.join(flags) or '(healthy)'}")
            for pair in sorted(over[node] - expected):
                print(f"       unexpected: {pair}")
            for pair in sorted(expected - over[node]):
                print(f"       missing:    {pair}")
        return 1 if failures else 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
