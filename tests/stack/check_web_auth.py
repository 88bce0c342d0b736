#!/usr/bin/python3
"""Defect 3 live: what sits on the application network requires the
monitoring credentials.

Runs stack/start-monitoring.sh (fake docker, as check_start_script.py) so it
writes secrets/web-config.yml from a monitoring password, then starts the
real Prometheus 2.42 (lifecycle and admin API on, as in the compose file) and
blackbox_exporter with that file on 127.0.0.1 and asserts: without
credentials, /-/quit, /api/v1/admin/tsdb/snapshot and /probe answer 401 and
Prometheus keeps running; with them, they work.

usage: check_web_auth.py STACK_DIR
"""
import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_start_script import SECRET_FILES, Case  # noqa: E402

PASSWORD = "s3cret with 'quotes' and $dollar"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, method="GET", auth=None):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_up(url, auth, proc, log):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: server exited:\n{open(log).read()[-2000:]}")
        try:
            if request(url, auth=auth) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url}: not up within 30 s:\n{open(log).read()[-2000:]}")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    errors = []
    c = Case(os.path.abspath(argv[1]))
    procs = []
    try:
        c.write_env()
        for name in SECRET_FILES:
            with open(os.path.join(c.dir, "secrets", name), "w") as f:
                f.write(PASSWORD + "\n" if name == "monitoring_password" else "x")
        c.make_certs()
        rc, out, _ = c.run("--no-wait")
        if rc != 0:
            raise SystemExit(f"start-monitoring.sh failed: {out}")
        web = os.path.join(c.dir, "secrets", "web-config.yml")
        good = "monitor:" + PASSWORD
        bad = "monitor:wrong"

        prom_port, bb_port = free_port(), free_port()
        data = os.path.join(c.tmp, "prom-data")
        with open(os.path.join(c.tmp, "prom.yml"), "w") as f:
            f.write("global: {scrape_interval: 1m}\n")
        plog, blog = os.path.join(c.tmp, "prom.log"), os.path.join(c.tmp, "bb.log")
        prom = subprocess.Popen(["prometheus", f"--config.file={c.tmp}/prom.yml", f"--storage.tsdb.path={data}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}", f"--web.config.file={web}",
                                 "--web.enable-lifecycle", "--web.enable-admin-api"],
                                stdout=open(plog, "w"), stderr=subprocess.STDOUT)
        procs.append(prom)
        bb_bin = shutil.which("prometheus-blackbox-exporter") or "blackbox_exporter"
        bb = subprocess.Popen([bb_bin, f"--config.file={c.dir}/blackbox/blackbox.yml",
                               f"--web.listen-address=127.0.0.1:{bb_port}", f"--web.config.file={web}"],
                              stdout=open(blog, "w"), stderr=subprocess.STDOUT)
        procs.append(bb)
        P, B = f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{bb_port}"
        wait_up(P + "/-/ready", good, prom, plog)
        wait_up(B + "/-/healthy", good, bb, blog)

        for auth, want in ((None, 401), (bad, 401)):
            who = "no credentials" if auth is None else "a wrong password"
            for url, method in ((P + "/-/quit", "POST"), (P + "/-/reload", "POST"),
                                (P + "/api/v1/admin/tsdb/snapshot", "POST"), (P + "/api/v1/targets", "GET"),
                                (B + "/probe?target=127.0.0.1:22&module=tls_connect", "GET"),
                                (B + "/metrics", "GET")):
                got = request(url, method, auth)
                if got != want:
                    errors.append(f"{method} {url} with {who}: HTTP {got}, expected {want}")
        time.sleep(0.5)
        if prom.poll() is not None:
            errors.append("Prometheus quit on an unauthenticated POST /-/quit")
        got = request(P + "/api/v1/admin/tsdb/snapshot", "POST", good)
        if got != 200:
            errors.append(f"admin snapshot with the monitoring credentials: HTTP {got}, expected 200 (backups)")
        if request(B + "/metrics", auth=good) != 200:
            errors.append("blackbox /metrics with the monitoring credentials must answer 200")
        if request(P + "/-/quit", "POST", good) != 200:
            errors.append("POST /-/quit with credentials must work (lifecycle API stays usable)")
    except SystemExit as e:
        errors.append(str(e))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        c.close()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("check_web_auth: lifecycle, admin API, targets, /probe and /metrics require the monitoring credentials")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
