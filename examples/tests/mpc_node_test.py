#!/usr/bin/python3
"""Process-level checks of the mpc_node binary.

Starts mpc_node on 127.0.0.1 with port 0 (it prints the port it bound),
scrapes /metrics, and checks: exactly the 15 mpc_* families with their closed
label sets, node_id on every series, process_* and server self-metrics,
`promtool check metrics` finds no problem, the workload moves, each fault flag
shows up in the exposition, bad flags exit 2 naming the flag, SIGTERM and
SIGINT stop it with exit 0. Every process is killed on the way out.

Usage: mpc_node_test.py --mpc-node PATH [--promtool PATH]
"""

import argparse
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

EXPECTED = {
    "mpc_transactions_total": ("counter", {"state": {"pending", "approved", "signed", "broadcast", "confirmed",
                                                     "failed", "rejected"}}),
    "mpc_votes_total": ("counter", {"result": {"approve", "reject", "timeout"}}),
    "mpc_byzantine_violations_total": ("counter", {"type": {"double_vote", "invalid_signature", "timeout",
                                                            "malformed_message"}}),
    "mpc_signatures_total": ("counter", {"protocol": {"cggmp24", "frost"}, "result": {"success", "failure"}}),
    "mpc_network_errors_total": ("counter", {"type": {"connection_refused", "connection_reset", "timeout",
                                                      "message_decode"}}),
    "mpc_tls_handshake_failures_total": ("counter", {}),
    "mpc_active_nodes": ("gauge", {}),
    "mpc_consensus_threshold": ("gauge", {}),
    "mpc_presignature_pool_size": ("gauge", {}),
    "mpc_connected_peers": ("gauge", {}),
    "mpc_transaction_queue_size": ("gauge", {}),
    "mpc_signature_duration_seconds": ("histogram", {"protocol": {"cggmp24", "frost"}}),
    "mpc_dkg_duration_seconds": ("histogram", {}),
    "mpc_vote_processing_duration_seconds": ("histogram", {}),
    "mpc_consensus_round_duration_seconds": ("histogram", {}),
}
PROCESS = ["process_cpu_seconds_total", "process_open_fds", "process_max_fds", "process_virtual_memory_bytes",
           "process_virtual_memory_max_bytes", "process_resident_memory_bytes", "process_start_time_seconds",
           "process_threads"]

failures = []
procs = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


class Node:
    """One mpc_node on 127.0.0.1:<free port>."""

    def __init__(self, exe, *flags, node_id="node-3"):
        self.node_id = node_id
        self.proc = subprocess.Popen([exe, "--listen", "127.0.0.1:0", "--node-id", node_id, "--seed", "7", *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        procs.append(self.proc)
        line = b""
        deadline = time.monotonic() + 10
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        text = line.decode()
        if " listening on 127.0.0.1:" not in text:
            raise RuntimeError(f"mpc_node did not report its address: {text!r}, "
                               f"stderr {self.proc.stderr.read1().decode() if self.proc.poll() is not None else ''}")
        self.port = int(text.rsplit(":", 1)[1])

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as r:
            return r.read().decode()

    def scrape_openmetrics(self):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/metrics",
                                     headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.headers.get("Content-Type", ""), r.read().decode()

    def families(self):
        return {f.name: f for f in text_string_to_metric_families(self.scrape())}

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def value(families, name, **labels):
    """Sum of the samples of family `name` (counters: the _total sample) matching `labels`."""
    fam = families[name[:-6] if name.endswith("_total") else name]
    total = 0.0
    for s in fam.samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            total += s.value
    return total


def test_exposition(exe, promtool):
    node = Node(exe)
    deadline = time.monotonic() + 10  # peers connect within a second or two
    while True:
        time.sleep(0.5)
        text = node.scrape()
        if 'mpc_connected_peers{node_id="node-3"} 4' in text or time.monotonic() > deadline:
            break
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    mpc = {n: f for n, f in fams.items() if n.startswith("mpc_")}
    # The parser strips _total from counter family names.
    names = {n + "_total" if f.type == "counter" else n for n, f in mpc.items()}
    check(names == set(EXPECTED), f"exactly the 15 mpc_* families (extra {names - set(EXPECTED)}, "
                                  f"missing {set(EXPECTED) - names})")
    for name, (kind, label_sets) in EXPECTED.items():
        fam = mpc.get(name[:-6] if kind == "counter" else name)
        if fam is None:
            continue
        check(fam.type == kind, f"{name} is a {kind}")
        for label, values in label_sets.items():
            seen = {s.labels.get(label) for s in fam.samples}
            check(seen == values, f"{name} has {label} = {sorted(values)} from the start (saw {sorted(seen)})")
        extra = {k for s in fam.samples for k in s.labels} - set(label_sets) - {"node_id", "le"}
        check(not extra, f"{name} has no labels beyond {sorted(label_sets)} and node_id ({extra})")
    missing = [f"{s.name}{s.labels}" for f in fams.values() for s in f.samples if s.labels.get("node_id") != "node-3"]
    check(not missing, f"node_id=\"node-3\" on every series ({missing[:3]})")
    check(value(fams, "mpc_consensus_threshold") == 3, "mpc_consensus_threshold is 3")
    check(value(fams, "mpc_connected_peers") == 4, "4 peers connected")
    check(value(fams, "mpc_active_nodes") == 5, "5 active nodes (peers and itself)")
    check(40 <= value(fams, "mpc_presignature_pool_size") <= 200, "presignature pool within its normal range")
    for name in PROCESS:
        check(name.removesuffix("_total") in fams, f"{name} exposed")
    check("promcxx_http_requests" in fams, "promcxx_http_requests_total exposed")
    check("promcxx_collect_errors" not in fams, "no family dropped as invalid or duplicate")
    check("promcxx_series_overflow" not in fams, "no series cap reached")
    check("promcxx_http_scrape_duration_seconds" in fams, "promcxx_http_scrape_duration_seconds exposed")

    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
        out = (r.stdout + r.stderr).decode().strip()
        check(r.returncode == 0 and out == "", f"promtool check metrics reports no problem ({out[:300]})")
    else:
        print("skip promtool check metrics (promtool not found)")

    ctype, om = node.scrape_openmetrics()
    check(ctype.startswith("application/openmetrics-text"), f"OpenMetrics on request ({ctype})")
    try:
        om_names = {f.name for f in openmetrics_families(om)}
        om_error = ""
    except ValueError as e:
        om_names, om_error = set(), str(e)
    check(not om_error, f"the OpenMetrics parser accepts the exposition ({om_error[:200]})")
    check({n.removesuffix("_total") for n in EXPECTED} <= om_names, "the 15 mpc_* families in OpenMetrics")

    before = value(fams, "mpc_transactions_total", state="pending")
    time.sleep(2)
    after = value(node.families(), "mpc_transactions_total", state="pending")
    check(after > before, f"transactions keep arriving ({before} -> {after})")
    check(node.stop(signal.SIGTERM) == 0, "SIGTERM stops mpc_node with exit code 0")


def test_sigint(exe):
    node = Node(exe)
    with urllib.request.urlopen(f"http://127.0.0.1:{node.port}/healthz", timeout=10) as r:
        check(r.status == 200 and r.read().strip() == b"ok", "/healthz answers ok")
    check(node.stop(signal.SIGINT) == 0, "SIGINT stops mpc_node with exit code 0")
    # Its launcher went away: the goodbye line hits a closed pipe, still exit 0.
    node = Node(exe)
    node.proc.stdout.close()
    check(node.stop(signal.SIGTERM) == 0, "SIGTERM with stdout closed: exit code 0")


def test_faults(exe):
    stall = Node(exe, "--stall-presignatures", "--tx-rate", "40")
    drop = Node(exe, "--drop-peers")
    fail = Node(exe, "--signature-failure-rate", "1", "--tx-rate", "20")
    byz = Node(exe, "--byzantine-rate", "1", "--tx-rate", "20")
    series = Node(exe, "--series", "250")
    time.sleep(3.5)
    f = stall.families()
    check(value(f, "mpc_presignature_pool_size") == 0, "--stall-presignatures: the pool drains to 0")
    f = drop.families()
    check(value(f, "mpc_connected_peers") <= 1, "--drop-peers: at most 1 peer connected")
    check(value(f, "mpc_network_errors_total") + value(f, "mpc_tls_handshake_failures_total") >= 2,
          "--drop-peers: connection errors and TLS failures")
    f = fail.families()
    check(value(f, "mpc_signatures_total", result="success") == 0 and
          value(f, "mpc_signatures_total", result="failure") > 10,
          "--signature-failure-rate 1: every signature fails")
    f = byz.families()
    check(value(f, "mpc_byzantine_violations_total") > 20, "--byzantine-rate 1: a violation in every round")
    f = series.families()
    check(len(f["synthetic_series"].samples) == 250 if "synthetic_series" in f else False,
          "--series 250: 250 synthetic series")
    for n in (stall, drop, fail, byz, series):
        check(n.stop() == 0, "fault node stops with exit code 0")


def test_bad_flags(exe):
    cases = [
        (["--frobnicate"], "--frobnicate"),
        (["--threshold"], "--threshold"),
        (["--threshold", "three"], "--threshold"),
        (["--byzantine-rate", "abc"], "--byzantine-rate"),
        (["--byzantine-rate", "1.5"], "--byzantine-rate"),
        (["--signature-failure-rate", "-0.2"], "--signature-failure-rate"),
        (["--total-nodes", "2"], "--total-nodes"),
        (["--listen", "127.0.0.1"], "--listen"),
        (["--listen", "127.0.0.1:99999"], "--listen"),
        (["--listen", "300.1.1.1:8080"], "--listen"),
        (["--node-id", "a b"], "--node-id"),
        (["--series", "many"], "--series"),
        (["--drop-peers=1"], "--drop-peers"),
    ]
    for args, flag in cases:
        r = subprocess.run([exe, *args], capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
        err = r.stderr.decode()
        check(r.returncode == 2 and flag in err.splitlines()[0] and "usage: mpc_node" in err,
              f"{' '.join(args)}: exit 2, names {flag}, prints usage (rc {r.returncode}, {err.splitlines()[:1]})")
    r = subprocess.run([exe, "--help"], capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    check(r.returncode == 0 and b"--byzantine-rate R" in r.stdout, "--help prints usage and exits 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpc-node", required=True)
    ap.add_argument("--promtool")
    args = ap.parse_args()
    try:
        test_bad_flags(args.mpc_node)
        test_exposition(args.mpc_node, args.promtool)
        test_sigint(args.mpc_node)
        test_faults(args.mpc_node)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
