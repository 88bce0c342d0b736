#!/usr/bin/python3
"""stack/local/localize.py's TLS overlay, as stack/local/run uses it.

1. With --tls-overlay multi-host/prometheus.yml --tls-job mpc-nodes and the
   three --secret files, the derived config scrapes mpc-nodes over HTTPS with
   exactly the multi-host tls_config keys, pointed at the given files; no
   other job changes scheme; promtool check config accepts it with real
   certificates from make-certs.sh.
2. A /run/secrets file without --secret, a --tls-job the overlay does not
   scrape over HTTPS, and --tls-job without --tls-overlay are errors that
   name the flag to fix.

usage: check_localize.py STACK_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml


def in_network_targets(stack):
    """Every host:port the stack's Prometheus config names (static and file_sd)."""
    prom = os.path.join(stack, "prometheus")
    with open(os.path.join(prom, "prometheus.yml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    addrs = set()
    for am in (cfg.get("alerting") or {}).get("alertmanagers") or []:
        for sc in am.get("static_configs") or []:
            addrs.update(sc.get("targets") or [])
    for job in cfg.get("scrape_configs") or []:
        for sc in job.get("static_configs") or []:
            addrs.update(sc.get("targets") or [])
        for sd in job.get("file_sd_configs") or []:
            for name in sd.get("files") or []:
                with open(os.path.join(prom, name), encoding="utf-8") as f:
                    for group in json.load(f):
                        addrs.update(group.get("targets") or [])
        for rc in job.get("relabel_configs") or []:
            addrs.update(re.findall(r"[\w.-]+:\d+", str(rc.get("replacement", ""))))
    for rw in cfg.get("remote_write") or []:
        addrs.update(re.findall(r"//([\w.-]+:\d+)", rw["url"]))
    return sorted(addrs)


def localize(stack, out, extra):
    maps = [f"--map={a}=127.0.0.1:{20000 + i}" for i, a in enumerate(in_network_targets(stack))]
    return subprocess.run(["/usr/bin/python3", os.path.join(stack, "local", "localize.py"), "--stack", stack,
                           "--out", out, "--sink-url", "http://127.0.0.1:1", *maps, *extra],
                          capture_output=True, text=True, timeout=60)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack = os.path.abspath(argv[1])
    errors = []
    overlay = os.path.join(stack, "multi-host", "prometheus.yml")
    with tempfile.TemporaryDirectory() as tmp:
        certs = os.path.join(tmp, "certs")
        subprocess.run([os.path.join(stack, "multi-host", "make-certs.sh"), certs, "node-1=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        secrets = {"tls_ca": os.path.join(certs, "ca.pem"),
                   "tls_prometheus_cert": os.path.join(certs, "prometheus.pem"),
                   "tls_prometheus_key": os.path.join(certs, "prometheus-key.pem")}
        tls_flags = ["--tls-overlay", overlay, "--tls-job", "mpc-nodes",
                     *(f"--secret={k}={v}" for k, v in secrets.items())]

        res = localize(stack, os.path.join(tmp, "ok"), tls_flags)
        if res.returncode != 0:
            errors.append(f"localize.py with the TLS overlay failed:\n{res.stdout}{res.stderr}")
        else:
            path = os.path.join(tmp, "ok", "prometheus", "prometheus.yml")
            with open(path, encoding="utf-8") as f:
                jobs = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
            with open(overlay, encoding="utf-8") as f:
                mh = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
            node = jobs.get("mpc-nodes", {})
            want = {k: secrets[v[len("/run/secrets/"):]] for k, v in mh["mpc-nodes"]["tls_config"].items()}
            if node.get("scheme") != "https" or node.get("tls_config") != want:
                errors.append(f"mpc-nodes: want https with {want}, got scheme {node.get('scheme')!r} "
                              f"tls_config {node.get('tls_config')}")
            others = [n for n, j in jobs.items() if n != "mpc-nodes" and (j.get("scheme") or j.get("tls_config"))]
            if others:
                errors.append(f"jobs other than mpc-nodes changed scheme/tls_config: {others}")
            out = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True, timeout=60)
            if out.returncode != 0 or "WARNING" in (out.stdout + out.stderr).upper():
                errors.append(f"promtool check config on the derived config:\n{out.stdout}{out.stderr}")

        bad = [
            ("a /run/secrets file without --secret", tls_flags[:4] + tls_flags[5:],
             "--secret tls_ca=PATH"),
            ("a job the overlay does not scrape over HTTPS", ["--tls-overlay", overlay, "--tls-job", "etcd"],
             "no https job 'etcd'"),
            ("--tls-job without --tls-overlay", ["--tls-job", "mpc-nodes"], "--tls-job needs --tls-overlay"),
        ]
        for i, (what, flags, message) in enumerate(bad):
            res = localize(stack, os.path.join(tmp, f"bad{i}"), flags)
            if res.returncode == 0 or message not in res.stderr:
                errors.append(f"{what}: want an error naming {message!r}, got exit {res.returncode}: "
                              f"{res.stderr.strip()}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("check_localize: mpc-nodes over HTTPS from the multi-host overlay; 3 bad uses refused")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
