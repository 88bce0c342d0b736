#!/usr/bin/python3
"""Checks the Prometheus side of the stack with the real tools.

1. `promtool check config` finds the rule file and exactly as many rules as
   alerts.yml holds (a glob matching nothing would pass with 0), with no
   warnings (a missing file_sd file only warns);
2. `promtool check rules`, with at least 40 alerts;
3. the file_sd targets: 5 MPC nodes on port 8080, 3 etcd members on 2379;
4. blackbox_exporter accepts blackbox.yml (`--config.check`).

usage: check_prometheus.py STACK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

import yaml


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return res.returncode, res.stdout + res.stderr


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack = os.path.abspath(argv[1])
    prom_dir = os.path.join(stack, "prometheus")
    errors = []

    with open(os.path.join(prom_dir, "alerts.yml")) as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    alerts = {r["alert"] for r in rules if "alert" in r}
    if len(alerts) < 40:
        errors.append(f"only {len(alerts)} distinct alerts, the seed promises 40+")

    rc, out = run(["promtool", "check", "config", os.path.join(prom_dir, "prometheus.yml")])
    found = [int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", out)]
    if rc != 0:
        errors.append(f"promtool check config failed:\n{out}")
    elif found != [len(rules)]:
        errors.append(f"promtool check config saw rule counts {found}, alerts.yml has {len(rules)}:\n{out}")
    if "WARNING" in out.upper():
        errors.append(f"promtool check config warns:\n{out}")

    rc, out = run(["promtool", "check", "rules", os.path.join(prom_dir, "alerts.yml")])
    if rc != 0 or f"SUCCESS: {len(rules)} rules found" not in out:
        errors.append(f"promtool check rules failed:\n{out}")

    def targets(name):
        with open(os.path.join(prom_dir, "targets", name)) as f:
            return [t for group in json.load(f) for t in group["targets"]]
    nodes = targets("nodes.json")
    if sorted(nodes) != [f"node-{i}:8080" for i in range(1, 6)]:
        errors.append(f"nodes.json must list node-1..node-5:8080, has {nodes}")
    etcd = targets("infrastructure.json")
    if sorted(etcd) != [f"etcd-{i}:2379" for i in range(1, 4)]:
        errors.append(f"infrastructure.json must list etcd-1..etcd-3:2379, has {etcd}")
    targets("tls.json")  # must at least be valid JSON

    with open(os.path.join(prom_dir, "prometheus.yml")) as f:
        cfg = yaml.safe_load(f)
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    for job in ("mpc-nodes", "etcd", "postgres", "cadvisor", "node-exporter", "alertmanager", "prometheus"):
        if job not in jobs:
            errors.append(f"prometheus.yml: missing job {job}")
    if cfg["global"].get("scrape_interval") != "15s" or jobs.get("mpc-nodes", {}).get("scrape_interval") != "10s":
        errors.append("prometheus.yml: global scrape interval must be 15s, mpc-nodes 10s")
    if [w.get("url") for w in cfg.get("remote_write", [])] != ["http://victoriametrics:8428/api/v1/write"]:
        errors.append("prometheus.yml: remote_write must target http://victoriametrics:8428/api/v1/write")

    bb = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if not bb:
        errors.append("prometheus-blackbox-exporter not installed (Debian package prometheus-blackbox-exporter)")
    else:
        rc, out = run([bb, "--config.check", f"--config.file={os.path.join(stack, 'blackbox', 'blackbox.yml')}"])
        if rc != 0:
            errors.append(f"blackbox.yml rejected:\n{out}")

    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_prometheus: config and {len(rules)} rules ({len(alerts)} alerts) valid, targets as deployed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
