#!/usr/bin/python3
"""Multi-host layout live, on loopback: mutual TLS from the central Prometheus
to an MPC node and a node_exporter, with the stack's own files.

multi-host/make-certs.sh makes a CA, a server certificate for 127.0.0.1 and
Prometheus' client certificate; node_exporter runs with
multi-host/node-exporter-web.yml, mpc_node with --tls-cert/--tls-key/
--tls-client-ca; Prometheus 2.42 runs the mpc-nodes and node-exporter jobs of
multi-host/prometheus.yml (targets and certificate paths pointed at these).
Both targets must be up over HTTPS; a client without a certificate, or with
one from another CA, must be refused by both.

usage: check_multi_host_tls.py STACK_DIR MPC_NODE
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def https_status(port, ca, cert=None, key=None):
    """HTTP status of GET /metrics, or the TLS/connection error as a string."""
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/metrics", context=ctx, timeout=5) as r:
            r.read()
            return r.status
    except Exception as exc:  # noqa: BLE001 -- any refusal is the expected outcome
        return f"{type(exc).__name__}: {exc}"


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    stack, mpc_node = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    errors, procs = [], []
    tmp = tempfile.mkdtemp(prefix="multi-host-tls-")
    try:
        certs, other = os.path.join(tmp, "certs"), os.path.join(tmp, "other-ca")
        for d in (certs, other):
            subprocess.run([os.path.join(stack, "multi-host", "make-certs.sh"), d, "127.0.0.1"],
                           check=True, capture_output=True, timeout=60)
        ca = os.path.join(certs, "ca.pem")
        srv, srv_key = os.path.join(certs, "127.0.0.1.pem"), os.path.join(certs, "127.0.0.1-key.pem")
        cli, cli_key = os.path.join(certs, "prometheus.pem"), os.path.join(certs, "prometheus-key.pem")

        # node_exporter with the agent's web config, paths pointed at the certificates.
        agent_tls = os.path.join(tmp, "agent-tls")
        os.mkdir(agent_tls)
        for src, dst in ((ca, "ca.pem"), (srv, "server.pem"), (srv_key, "server-key.pem")):
            shutil.copy(src, os.path.join(agent_tls, dst))
        with open(os.path.join(stack, "multi-host", "node-exporter-web.yml")) as f:
            web = f.read().replace("/etc/node-exporter/tls", agent_tls)
        with open(os.path.join(tmp, "web.yml"), "w") as f:
            f.write(web)
        ne_port, node_port, prom_port = free_port(), free_port(), free_port()
        ne = shutil.which("prometheus-node-exporter") or "node_exporter"
        procs.append(subprocess.Popen([ne, f"--web.listen-address=127.0.0.1:{ne_port}",
                                       f"--web.config.file={tmp}/web.yml"],
                                      stdout=open(f"{tmp}/ne.log", "w"), stderr=subprocess.STDOUT))
        node = subprocess.Popen([mpc_node, "--listen", f"127.0.0.1:{node_port}", "--node-id", "node-1",
                                 "--tls-cert", srv, "--tls-key", srv_key, "--tls-client-ca", ca],
                                stdout=open(f"{tmp}/node.log", "w"), stderr=subprocess.STDOUT)
        procs.append(node)
        time.sleep(1)
        if node.poll() == 2 and "without OpenSSL" in open(f"{tmp}/node.log").read():
            print("skipped: mpc_node was built without OpenSSL 3 (no TLS)")
            return 77

        # Prometheus with the multi-host scrape config of the two TLS jobs.
        with open(os.path.join(stack, "multi-host", "prometheus.yml")) as f:
            cfg = yaml.safe_load(f)
        jobs = [j for j in cfg["scrape_configs"] if j["job_name"] in ("mpc-nodes", "node-exporter")]
        for j in jobs:
            j.pop("file_sd_configs", None)
            port = node_port if j["job_name"] == "mpc-nodes" else ne_port
            j["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
            j["scrape_interval"], j["scrape_timeout"] = "1s", "1s"
            j["tls_config"] = {"ca_file": ca, "cert_file": cli, "key_file": cli_key}
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}, f)
        procs.append(subprocess.Popen(["prometheus", f"--config.file={tmp}/prometheus.yml",
                                       f"--storage.tsdb.path={tmp}/data",
                                       f"--web.listen-address=127.0.0.1:{prom_port}"],
                                      stdout=open(f"{tmp}/prom.log", "w"), stderr=subprocess.STDOUT))
        health = {}
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/targets", timeout=2) as r:
                    targets = json.load(r)["data"]["activeTargets"]
                health = {t["labels"]["job"]: (t["health"], t["scrapeUrl"], t["lastError"]) for t in targets}
                if len(health) == 2 and all(h[0] == "up" for h in health.values()):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        for job in ("mpc-nodes", "node-exporter"):
            h = health.get(job)
            if not h or h[0] != "up" or not h[1].startswith("https://"):
                errors.append(f"job {job} is not up over HTTPS with the client certificate: {h}")

        for name, port in (("mpc_node", node_port), ("node_exporter", ne_port)):
            if https_status(port, ca, cli, cli_key) != 200:
                errors.append(f"{name}: the monitoring client certificate must be served: "
                              f"{https_status(port, ca, cli, cli_key)}")
            got = https_status(port, ca)
            if got == 200:
                errors.append(f"{name}: served a client without a certificate")
            got = https_status(port, ca, os.path.join(other, "prometheus.pem"),
                               os.path.join(other, "prometheus-key.pem"))
            if got == 200:
                errors.append(f"{name}: served a client certificate from another CA")
    except subprocess.CalledProcessError as exc:
        errors.append(f"{exc.cmd[0]} failed: {exc.stderr.decode(errors='replace')}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if errors:
            for log in ("ne.log", "node.log", "prom.log"):
                path = os.path.join(tmp, log)
                if os.path.exists(path):
                    errors.append(f"--- {log}:\n" + open(path).read()[-1500:])
        shutil.rmtree(tmp, ignore_errors=True)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("check_multi_host_tls: MPC node and node_exporter scraped over mutual TLS with the stack's "
          "certificates and config; clients without the CA's certificate refused")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
