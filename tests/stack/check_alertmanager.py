#!/usr/bin/python3
"""Checks stack/alertmanager/alertmanager.yml with the real Alertmanager 0.25.

1. `amtool check-config`.
2. `amtool config routes test --verify.receivers` for every route, including
   the fall-through (continue) route and the default.
3. Inhibition: starts `prometheus-alertmanager` on 127.0.0.1 with the config,
   posts alerts through the v2 API and asserts which ones are inhibited.

usage: check_alertmanager.py ALERTMANAGER_YML
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

# (labels, expected receivers in amtool's order)
ROUTE_CASES = [
    ({"alertname": "Watchdog", "severity": "info"}, "watchdog"),
    ({"alertname": "MPCNodeDown", "severity": "critical"}, "critical"),
    ({"alertname": "MPCDoubleVoteDetected", "severity": "critical"}, "security,critical"),
    ({"alertname": "MPCByzantineViolationsHigh", "severity": "warning"}, "security,warning"),
    ({"alertname": "TLSCertificateExpiringSoon", "severity": "critical"}, "security,critical"),
    ({"alertname": "EtcdMemberDown", "severity": "warning"}, "warning"),
    ({"alertname": "SomethingNew", "severity": "info"}, "info"),
    ({"alertname": "SomethingNew"}, "default"),
]

# (name, labels, expected inhibited?)
INHIBIT_CASES = [
    ("crit", {"alertname": "MPCNetworkErrorRateHigh", "severity": "critical",
              "job": "mpc-nodes", "instance": "node-2:8080"}, False),
    ("warn-same-target", {"alertname": "MPCNetworkErrorRateHigh", "severity": "warning",
                          "job": "mpc-nodes", "instance": "node-2:8080"}, True),
    ("warn-other-target", {"alertname": "MPCNetworkErrorRateHigh", "severity": "warning",
                           "job": "mpc-nodes", "instance": "node-3:8080"}, False),
    ("depleted", {"alertname": "MPCPresignaturePoolDepleted", "severity": "critical",
                  "job": "mpc-nodes", "instance": "node-1:8080"}, False),
    ("low-same-node", {"alertname": "MPCPresignaturePoolLow", "severity": "warning",
                       "job": "mpc-nodes", "instance": "node-1:8080"}, True),
    ("low-other-node", {"alertname": "MPCPresignaturePoolLow", "severity": "warning",
                        "job": "mpc-nodes", "instance": "node-4:8080"}, False),
    ("node-down", {"alertname": "MPCNodeDown", "severity": "critical",
                   "job": "mpc-nodes", "instance": "node-5:8080"}, False),
    ("missing-peers", {"alertname": "MPCNodeMissingPeers", "severity": "warning",
                       "job": "mpc-nodes", "instance": "node-3:8080"}, True),
    ("pg-down", {"alertname": "PostgreSQLDown", "severity": "critical",
                 "job": "postgres", "instance": "postgres-exporter:9187"}, False),
    ("pg-deadlocks", {"alertname": "PostgreSQLDeadlocks", "severity": "warning",
                      "job": "postgres", "instance": "postgres-exporter:9187",
                      "datname": "mpc"}, True),
    ("watchdog", {"alertname": "Watchdog", "severity": "info"}, False),
]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def check_inhibition(config, errors):
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not binary:
        errors.append("prometheus-alertmanager not found (Debian package prometheus-alertmanager)")
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = open(os.path.join(tmp, "am.log"), "w+")
        proc = subprocess.Popen([binary, f"--config.file={config}",
                                 f"--storage.path={tmp}",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 "--cluster.listen-address="],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    api(port, "/api/v2/status")
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        errors.append("alertmanager did not start:\n" + log.read()[-2000:])
                        return
                    time.sleep(0.2)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            api(port, "/api/v2/alerts",
                [{"labels": dict(labels, case=name), "startsAt": now,
                  "annotations": {"summary": "test."}} for name, labels, _ in INHIBIT_CASES])
            # Ingestion and the inhibitor's view of the sources are both
            # asynchronous: poll until every case shows its expected state or
            # the deadline passes, then report what was last seen.
            expected = {name: inhibited for name, _, inhibited in INHIBIT_CASES}
            deadline = time.monotonic() + 15
            while True:
                alerts = api(port, "/api/v2/alerts")
                state = {a["labels"]["case"]: bool(a["status"]["inhibitedBy"]) for a in alerts}
                if state == expected or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            for name, _, inhibited in INHIBIT_CASES:
                if name not in state:
                    errors.append(f"inhibition: alert {name} never reached Alertmanager")
                elif state[name] != inhibited:
                    errors.append(f"inhibition: alert {name} inhibited={state[name]}, "
                                  f"expected {inhibited}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    config = os.path.abspath(argv[1])
    errors = []
    res = run(["amtool", "check-config", config])
    if res.returncode != 0:
        errors.append("amtool check-config failed:\n" + res.stdout + res.stderr)
    for labels, receivers in ROUTE_CASES:
        args = [f"{k}={v}" for k, v in labels.items()]
        res = run(["amtool", "config", "routes", "test", f"--config.file={config}",
                   f"--verify.receivers={receivers}", *args])
        if res.returncode != 0:
            errors.append(f"route {' '.join(args)}: expected {receivers}, got "
                          f"{res.stdout.strip()!r}")
    check_inhibition(config, errors)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_alertmanager: config valid, {len(ROUTE_CASES)} routes and "
          f"{len(INHIBIT_CASES)} inhibition cases as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
