#!/usr/bin/python3
"""Checks stack/alertmanager/alertmanager.yml with the real Alertmanager 0.25.

1. `amtool check-config`.
2. `amtool config routes test --verify.receivers` for every route, including
   the fall-through (continue) route and the default.
3. Inhibition: starts `prometheus-alertmanager` on 127.0.0.1 with the config,
   posts alerts through the v2 API and asserts which ones are inhibited.
4. Receivers reach people (issue 15, defect 1): every receiver has an
   integration; no secret is written in the file (only `*_file` fields under
   /run/secrets/, each mounted into every Alertmanager by the compose file);
   a webhook goes to an https service or to a host the compose file runs; the
   Watchdog has a dead-man's-switch receiver of its own with a short repeat.

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
    ({"alertname": "Watchdog", "severity": "info"}, "deadmans-switch"),
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


# Keys that would hold a secret in the file itself (0.25 has a *_file twin for
# each, or credentials_file for http_config authorization).
SECRET_KEYS = {"api_url", "slack_api_url", "routing_key", "service_key", "auth_password",
               "smtp_auth_password", "credentials", "password", "bearer_token", "api_key",
               "opsgenie_api_key", "victorops_api_key", "wechat_api_secret", "telegram_api_url", "token"}


def walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + "/" + str(k), k, v
            yield from walk(v, path + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def check_receivers(config, errors):
    import re
    import yaml
    with open(config) as f:
        cfg = yaml.safe_load(f)
    compose_path = os.path.join(os.path.dirname(os.path.dirname(config)), "docker-compose.monitoring.yml")
    with open(compose_path) as f:
        compose = yaml.safe_load(f)
    services = compose.get("services") or {}
    ams = {n: s for n, s in services.items() if "alertmanager" in str(s.get("image", ""))}
    if not ams:
        errors.append(f"{compose_path}: no Alertmanager service")
    for where, key, value in walk(cfg):
        if key in SECRET_KEYS and value:
            errors.append(f"{where}: a secret written in the file; use {key}_file / credentials_file")
        if str(key).endswith("_file"):
            if not str(value).startswith("/run/secrets/"):
                errors.append(f"{where}: {value} must be a compose secret under /run/secrets/")
                continue
            name = str(value)[len("/run/secrets/"):]
            for n, svc in ams.items():
                mounted = {x if isinstance(x, str) else x.get("source") for x in svc.get("secrets") or []}
                if name not in mounted:
                    errors.append(f"{where}: secret {name} is not mounted into service {n}")
    receivers = {r["name"]: r for r in cfg.get("receivers") or []}
    for name, rcv in receivers.items():
        if not any(k.endswith("_configs") and v for k, v in rcv.items()):
            errors.append(f"receiver {name}: no integration, its alerts reach nobody")
        for hook in rcv.get("webhook_configs") or []:
            m = re.match(r"(https?)://([^:/]+)", hook.get("url", ""))
            if not m:
                errors.append(f"receiver {name}: webhook url {hook.get('url')!r} is not http(s)")
            elif m.group(1) != "https" and m.group(2) not in services:
                errors.append(f"receiver {name}: webhook to {m.group(2)}, which no compose service "
                              "provides (and it is not https)")
    watchdog = [r for r in cfg["route"].get("routes") or []
                if any(re.fullmatch(r"alertname\s*=\s*\"?Watchdog\"?", m) for m in r.get("matchers") or [])]
    if len(watchdog) != 1:
        errors.append("the Watchdog needs exactly one route of its own (dead man's switch)")
    else:
        route = watchdog[0]
        others = [r for r in cfg["route"].get("routes") or [] if r is not route]
        if route["receiver"] == cfg["route"]["receiver"] or any(r.get("receiver") == route["receiver"]
                                                                for r in others):
            errors.append("the Watchdog's receiver must serve nothing else (a dead man's switch)")
        if route.get("continue"):
            errors.append("the Watchdog route must not continue to people")
        rep = str(route.get("repeat_interval", cfg["route"].get("repeat_interval", "4h")))
        if not re.fullmatch(r"[1-5]m|\d+s", rep):
            errors.append(f"the Watchdog must repeat within 5 minutes (heartbeat), repeat_interval={rep}")


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
    check_receivers(config, errors)
    check_inhibition(config, errors)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_alertmanager: config valid, {len(ROUTE_CASES)} routes and "
          f"{len(INHIBIT_CASES)} inhibition cases as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
