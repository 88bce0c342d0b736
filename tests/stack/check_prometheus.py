#!/usr/bin/python3
"""Checks the Prometheus side of the stack with the real tools.

1. `promtool check config` finds the rule file and exactly as many rules as
   alerts.yml holds (a glob matching nothing would pass with 0), with no
   warnings (a missing file_sd file only warns); the MPC nodes are scraped
   over HTTPS with a client certificate (compose secrets tls_*; promtool
   loads them, so they point at make-certs.sh output for the check);
2. `promtool check rules`, with at least 40 alerts;
3. the file_sd targets: 5 MPC nodes on port 8080, 3 etcd members on 2379,
   and no target label overwrites an external label (defect 6: etcd's
   `cluster: mpc-etcd` replaced `cluster=mpc-wallet` on every etcd series);
4. HA: external labels replica (from the environment) and runbooks, alerts
   sent without the replica label to all three Alertmanagers;
5. blackbox_exporter accepts blackbox.yml (`--config.check`).

usage: check_prometheus.py STACK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

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

    with open(os.path.join(prom_dir, "prometheus.yml")) as f:
        cfg = yaml.safe_load(f)
    rule_files = cfg.get("rule_files") or []
    per_file = {}
    for name in rule_files:
        with open(os.path.join(prom_dir, name)) as f:
            per_file[name] = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    rules = [r for v in per_file.values() for r in v]
    alerts = {r["alert"] for r in rules if "alert" in r}
    if len(alerts) < 40:
        errors.append(f"only {len(alerts)} distinct alerts, the seed promises 40+")

    # promtool opens the tls_config files: a copy points the compose secrets at
    # real certificates from the stack's own make-certs.sh.
    tmp_certs = tempfile.TemporaryDirectory()
    certs = os.path.join(tmp_certs.name, "certs")
    rc, out = run([os.path.join(stack, "multi-host", "make-certs.sh"), certs, "node-1"])
    if rc != 0:
        errors.append(f"multi-host/make-certs.sh failed:\n{out}")

    def with_certs(text):
        for secret, name in (("tls_ca", "ca.pem"), ("tls_prometheus_cert", "prometheus.pem"),
                             ("tls_prometheus_key", "prometheus-key.pem")):
            text = text.replace(f"/run/secrets/{secret}", os.path.join(certs, name))
        return text

    checked = os.path.join(tmp_certs.name, "prometheus")
    shutil.copytree(prom_dir, checked)
    with open(os.path.join(prom_dir, "prometheus.yml")) as f:
        text = f.read()
    with open(os.path.join(checked, "prometheus.yml"), "w") as f:
        f.write(with_certs(text))
    rc, out = run(["promtool", "check", "config", os.path.join(checked, "prometheus.yml")])
    found = [int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", out)]
    if rc != 0:
        errors.append(f"promtool check config failed:\n{out}")
    elif found != [len(v) for v in per_file.values()]:
        errors.append(f"promtool check config saw rule counts {found}, the rule files have "
                      f"{[len(v) for v in per_file.values()]}:\n{out}")
    if "WARNING" in out.upper():
        errors.append(f"promtool check config warns:\n{out}")

    for name, file_rules in per_file.items():
        rc, out = run(["promtool", "check", "rules", os.path.join(prom_dir, name)])
        if rc != 0 or f"SUCCESS: {len(file_rules)} rules found" not in out:
            errors.append(f"promtool check rules {name} failed:\n{out}")

    external = cfg["global"].get("external_labels") or {}

    def targets(name):
        with open(os.path.join(prom_dir, "targets", name)) as f:
            groups = json.load(f)
        for group in groups:
            clash = set(group.get("labels") or {}) & set(external)
            if clash:
                errors.append(f"targets/{name}: target label(s) {sorted(clash)} overwrite the external "
                              f"label(s) of the same name on every series of {group['targets']}")
        return [t for group in groups for t in group["targets"]]
    nodes = targets("nodes.json")
    if sorted(nodes) != [f"node-{i}:8080" for i in range(1, 6)]:
        errors.append(f"nodes.json must list node-1..node-5:8080, has {nodes}")
    etcd = targets("infrastructure.json")
    if sorted(etcd) != [f"etcd-{i}:2379" for i in range(1, 4)]:
        errors.append(f"infrastructure.json must list etcd-1..etcd-3:2379, has {etcd}")
    targets("tls.json")  # must at least be valid JSON

    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    for job in cfg["scrape_configs"]:
        for group in job.get("static_configs") or []:
            clash = set(group.get("labels") or {}) & set(external)
            if clash:
                errors.append(f"job {job['job_name']}: target labels {sorted(clash)} overwrite external labels")
    if external.get("replica") != "${PROMETHEUS_REPLICA}":
        errors.append("prometheus.yml: external label replica must come from ${PROMETHEUS_REPLICA} (HA)")
    if external.get("runbooks") != "${RUNBOOK_BASE_URL}":
        errors.append("prometheus.yml: external label runbooks must come from ${RUNBOOK_BASE_URL} (defect 8)")
    alerting = cfg.get("alerting") or {}
    drops = [r for r in alerting.get("alert_relabel_configs") or []
             if r.get("action") == "labeldrop" and re.fullmatch(r.get("regex", ""), "replica")]
    if not drops:
        errors.append("prometheus.yml: alert_relabel_configs must drop the replica label, or the "
                      "Alertmanager cluster notifies once per replica")
    ams = [t for a in alerting.get("alertmanagers") or [] for sc in a.get("static_configs") or []
           for t in sc.get("targets") or []]
    if sorted(ams) != [f"alertmanager-{i}:9093" for i in (1, 2, 3)]:
        errors.append(f"prometheus.yml: alerts must go to all three Alertmanagers, got {ams}")
    for job in ("mpc-nodes", "etcd", "postgres", "cadvisor", "node-exporter", "alertmanager", "prometheus",
                "victoriametrics"):
        if job not in jobs:
            errors.append(f"prometheus.yml: missing job {job}")
    if cfg["global"].get("scrape_interval") != "15s" or jobs.get("mpc-nodes", {}).get("scrape_interval") != "10s":
        errors.append("prometheus.yml: global scrape interval must be 15s, mpc-nodes 10s")
    if [w.get("url") for w in cfg.get("remote_write", [])] != ["http://victoriametrics:8428/api/v1/write"]:
        errors.append("prometheus.yml: remote_write must target http://victoriametrics:8428/api/v1/write")
    # Issue 16: the MPC nodes' metrics cross the network only over mutual TLS.
    node_job = jobs.get("mpc-nodes", {})
    want_tls = {"ca_file": "/run/secrets/tls_ca", "cert_file": "/run/secrets/tls_prometheus_cert",
                "key_file": "/run/secrets/tls_prometheus_key"}
    node_tls = node_job.get("tls_config") or {}
    if node_job.get("scheme") != "https" or {k: node_tls.get(k) for k in want_tls} != want_tls:
        errors.append(f"prometheus.yml: job mpc-nodes must scrape over https with tls_config {want_tls} "
                      f"(the compose secrets), got scheme {node_job.get('scheme')!r} tls_config {node_tls}")
    if node_tls.get("insecure_skip_verify"):
        errors.append("prometheus.yml: job mpc-nodes must verify the nodes' certificates")

    # Multi-host: multi-host/prometheus.yml is this file plus HTTPS with client
    # certificates for the node_exporters, nothing else.
    mh_targets = os.path.join(stack, "multi-host", "targets")
    with open(os.path.join(stack, "multi-host", "prometheus.yml")) as f:
        mh_cfg = yaml.safe_load(f)
    tls_jobs = {"node-exporter"}
    stripped = {**mh_cfg, "scrape_configs": [
        {k: v for k, v in j.items() if not (j["job_name"] in tls_jobs and k in ("scheme", "tls_config"))}
        for j in mh_cfg.get("scrape_configs") or []]}
    if stripped != cfg:
        errors.append("multi-host/prometheus.yml drifted from prometheus/prometheus.yml (they may differ "
                      f"only in scheme/tls_config of {sorted(tls_jobs)})")
    for j in mh_cfg.get("scrape_configs") or []:
        if j["job_name"] in tls_jobs | {"mpc-nodes"}:
            tls = j.get("tls_config") or {}
            if j.get("scheme") != "https" or not all(tls.get(k) for k in ("ca_file", "cert_file", "key_file")):
                errors.append(f"multi-host/prometheus.yml: job {j['job_name']} needs https and a client certificate")
    # ... and loads (targets and certificates in place) without warnings.
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(prom_dir, os.path.join(tmp, "prometheus"), ignore=shutil.ignore_patterns("targets"))
        shutil.copytree(mh_targets, os.path.join(tmp, "prometheus", "targets"))
        with open(os.path.join(stack, "multi-host", "prometheus.yml")) as f:
            text = f.read()
        with open(os.path.join(tmp, "prometheus", "prometheus.yml"), "w") as f:
            f.write(with_certs(text))
        rc, out = run(["promtool", "check", "config", os.path.join(tmp, "prometheus", "prometheus.yml")])
        if rc != 0 or "WARNING" in out.upper():
            errors.append(f"multi-host: promtool check config fails or warns:\n{out}")
    for name in sorted(os.listdir(os.path.join(prom_dir, "targets"))):
        if not os.path.exists(os.path.join(mh_targets, name)):
            errors.append(f"multi-host/targets/{name} missing: Prometheus would lose those targets")
    with open(os.path.join(mh_targets, "node-exporter.json")) as f:
        hosts = {t.split(":")[0] for g in json.load(f) for t in g["targets"]}
    with open(os.path.join(mh_targets, "cadvisor.json")) as f:
        cadv = {t.split(":")[0] for g in json.load(f) for t in g["targets"]}
    with open(os.path.join(mh_targets, "nodes.json")) as f:
        node_hosts = {t.split(":")[0] for g in json.load(f) for t in g["targets"]}
    if not (hosts == cadv and node_hosts <= hosts and len(node_hosts) == 5):
        errors.append(f"multi-host targets: every MPC node host needs node-exporter and cAdvisor targets "
                      f"(nodes {sorted(node_hosts)}, node-exporter {sorted(hosts)}, cAdvisor {sorted(cadv)})")

    bb = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if not bb:
        errors.append("prometheus-blackbox-exporter not installed (Debian package prometheus-blackbox-exporter)")
    else:
        rc, out = run([bb, "--config.check", f"--config.file={os.path.join(stack, 'blackbox', 'blackbox.yml')}"])
        if rc != 0:
            errors.append(f"blackbox.yml rejected:\n{out}")

    tmp_certs.cleanup()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_prometheus: config and {len(rules)} rules ({len(alerts)} alerts) valid, targets as deployed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
