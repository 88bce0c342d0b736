#!/usr/bin/python3
"""stack/local/localize.py's TLS handling, as stack/local/run uses it.

1. With the three --secret files, the derived config scrapes mpc-nodes over
   HTTPS with exactly the tls_config keys of stack/prometheus/prometheus.yml,
   pointed at the given files; no other job changes scheme or gains a
   tls_config; promtool check config accepts it with real certificates from
   make-certs.sh.
2. A /run/secrets file without --secret is an error that names the flag to
   fix, and so is a --secret without NAME=PATH.

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
    with open(os.path.join(stack, "prometheus", "prometheus.yml"), encoding="utf-8") as f:
        source = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
    with tempfile.TemporaryDirectory() as tmp:
        certs = os.path.join(tmp, "certs")
        subprocess.run([os.path.join(stack, "multi-host", "make-certs.sh"), certs, "node-1=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        secrets = {"tls_ca": os.path.join(certs, "ca.pem"),
                   "tls_prometheus_cert": os.path.join(certs, "prometheus.pem"),
                   "tls_prometheus_key": os.path.join(certs, "prometheus-key.pem")}
        tls_flags = [f"--secret={k}={v}" for k, v in secrets.items()]

        res = localize(stack, os.path.join(tmp, "ok"), tls_flags)
        if res.returncode != 0:
            errors.append(f"localize.py with the TLS secrets failed:\n{res.stdout}{res.stderr}")
        else:
            path = os.path.join(tmp, "ok", "prometheus", "prometheus.yml")
            with open(path, encoding="utf-8") as f:
                jobs = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
            node = jobs.get("mpc-nodes", {})
            src_tls = source["mpc-nodes"].get("tls_config") or {}
            want = {k: secrets.get(v[len("/run/secrets/"):], v) for k, v in src_tls.items()}
            if node.get("scheme") != "https" or node.get("tls_config") != want or not want:
                errors.append(f"mpc-nodes: want https with {want}, got scheme {node.get('scheme')!r} "
                              f"tls_config {node.get('tls_config')}")
            changed = [n for n, j in jobs.items() if n in source and
                       (j.get("scheme"), bool(j.get("tls_config"))) !=
                       (source[n].get("scheme"), bool(source[n].get("tls_config")))]
            if changed:
                errors.append(f"jobs whose scheme/tls_config changed: {changed}")
            out = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True, timeout=60)
            if out.returncode != 0 or "WARNING" in (out.stdout + out.stderr).upper():
                errors.append(f"promtool check config on the derived config:\n{out.stdout}{out.stderr}")

        bad = [
            ("a /run/secrets file without --secret", tls_flags[1:], "--secret tls_ca=PATH"),
            ("no --secret at all", [], "--secret tls_ca=PATH"),
            ("a --secret without =PATH", ["--secret=tls_ca"] + tls_flags[1:], "--secret expects NAME=PATH"),
        ]
        for i, (what, flags, message) in enumerate(bad):
            res = localize(stack, os.path.join(tmp, f"bad{i}"), flags)
            if res.returncode == 0 or message not in res.stderr:
                errors.append(f"{what}: want an error naming {message!r}, got exit {res.returncode}: "
                              f"{res.stderr.strip()}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("check_localize: mpc-nodes over HTTPS with the given certificates; 3 bad uses refused")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
