#!/usr/bin/python3
"""A real Prometheus 2.42 scrapes promcxx over HTTPS with client certificates and
bcrypt basic auth; badly configured jobs are refused while the good one stays up;
the server certificate is rotated live under Prometheus' scrapes.

usage: prometheus_tls_test.py TLS_TARGET_BINARY
Exit 77 (meson: skipped) without /usr/bin/prometheus or the openssl command line.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import certs  # noqa: E402
from tlslib import die_with_parent, free_port, target, wait_for  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
PASSWORD = "scrape-secret"


def api(prom_port, path, **params):
    url = f"http://127.0.0.1:{prom_port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.load(r)
    if doc.get("status") != "success":
        raise AssertionError(f"{path}: {doc}")
    return doc["data"]


def values(prom_port, query):
    result = api(prom_port, "/api/v1/query", query=query)["result"]
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in result}


def single(prom_port, query):
    v = values(prom_port, query)
    return next(iter(v.values())) if len(v) == 1 else None


def targets(prom_port):
    return {t["labels"]["job"]: t for t in api(prom_port, "/api/v1/targets")["activeTargets"]}


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not os.access(PROMETHEUS, os.X_OK) or not shutil.which("openssl"):
        print("SKIP: needs /usr/bin/prometheus (Debian 'prometheus') and openssl")
        return 77
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="promcxx-tls-prom-")
    t = prom = None
    prom_log = open(os.path.join(tmp, "prometheus.log"), "w")
    try:
        ca = certs.make_ca(tmp, "ca")
        other_ca = certs.make_ca(tmp, "other-ca")
        server = certs.make_cert(tmp, "server", ca, "localhost", "server")
        server2 = certs.make_cert(tmp, "server2", ca, "localhost", "server", days=90)
        client = certs.make_cert(tmp, "prometheus", ca, "prometheus", "client")
        foreign = certs.make_cert(tmp, "foreign", other_ca, "prometheus", "client")
        expired = certs.make_cert(tmp, "expired", ca, "prometheus", "client", days=-1)
        live_crt, live_key = os.path.join(tmp, "live.crt"), os.path.join(tmp, "live.key")
        certs.install(server[0], live_crt)
        certs.install(server[1], live_key)
        hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 8))
        password_file = os.path.join(tmp, "password")
        with open(password_file, "w") as f:
            f.write(PASSWORD)

        t = target(binary, tmp, "--cert", live_crt, "--key", live_key, "--ca", ca[0], "--allow", "prometheus",
                   "--user", "prometheus", "--hash", hashed, "--reload-ms", "500")
        addr = f"127.0.0.1:{t.port}"

        def job(name, scheme="https", cert=None, ca_file=ca[0], password=password_file):
            tls = f"    tls_config:\n      ca_file: {ca_file}\n"
            if cert:
                tls += f"      cert_file: {cert[0]}\n      key_file: {cert[1]}\n"
            auth = f"    basic_auth:\n      username: prometheus\n      password_file: {password}\n"
            return (f"  - job_name: {name}\n    scheme: {scheme}\n" + (tls if scheme == "https" else "") + auth +
                    f"    static_configs:\n      - targets: ['{addr}']\n")

        wrong_password = os.path.join(tmp, "wrong-password")
        with open(wrong_password, "w") as f:
            f.write("not-it")
        prom_port = free_port()
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
            f.write(job("good", cert=client))
            f.write(job("no_client_cert"))
            f.write(job("foreign_client_cert", cert=foreign))
            f.write(job("expired_client_cert", cert=expired))
            f.write(job("wrong_server_ca", cert=client, ca_file=other_ca[0]))
            f.write(job("wrong_password", cert=client, password=wrong_password))
            f.write(job("plain_http", scheme="http"))
        prom = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            stdout=prom_log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

        def ready():
            with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=2) as r:
                return r.status == 200
        wait_for("Prometheus to be ready", ready, 30)

        bad_jobs = ["no_client_cert", "foreign_client_cert", "expired_client_cert", "wrong_server_ca",
                    "wrong_password", "plain_http"]

        def all_scraped():
            ts = targets(prom_port)
            return len(ts) == 7 and all(ts[j]["health"] != "unknown" for j in ts) and ts
        wait_for("every job to be scraped once", all_scraped, 30)
        wait_for("the good job to be up", lambda: targets(prom_port)["good"]["health"] == "up", 20)
        wait_for("every bad job to be down", lambda: all(targets(prom_port)[j]["health"] == "down" for j in bad_jobs), 20)
        ts = targets(prom_port)
        errors = {j: ts[j]["lastError"] for j in bad_jobs}
        print("refused as expected:", json.dumps(errors, indent=1))
        assert "certificate" in errors["wrong_server_ca"], errors
        assert "401" in errors["wrong_password"], errors
        assert "400" in errors["plain_http"], errors

        assert wait_for("up{job=good} == 1", lambda: single(prom_port, 'up{job="good"}') == 1.0)
        assert single(prom_port, 'tls_test_jobs_total{job="good",queue="a"}') == 7.0
        assert single(prom_port, 'tls_test_temperature_celsius{job="good"}') == 42.5
        for reason in ["no_client_cert", "client_cert_untrusted", "client_cert_expired", "peer_alert", "not_tls"]:
            q = f'promcxx_tls_handshake_failures_total{{job="good",reason="{reason}"}}'
            wait_for(f"{reason} failures seen by Prometheus", lambda q=q: (single(prom_port, q) or 0) > 0, 20)
        q = 'promcxx_tls_certificate_expiry_timestamp_seconds{job="good"}'
        assert wait_for("the expiry gauge", lambda: single(prom_port, q)) == certs.not_after(server[0])
        # 401s for the wrong password, from the server's own request counter
        wait_for("401 responses counted",
                 lambda: (single(prom_port, 'promcxx_http_requests_total{job="good",code="401"}') or 0) > 0, 20)

        # live rotation under the scrapes: a new certificate from the same CA
        certs.install(server2[1], live_key)
        certs.install(server2[0], live_crt)
        wait_for("Prometheus to see the rotated certificate's expiry",
                 lambda: single(prom_port, q) == certs.not_after(server2[0]), 30)
        wait_for("the last reload to be successful",
                 lambda: single(prom_port, 'promcxx_tls_last_reload_successful{job="good"}') == 1.0, 20)
        # the good job never went down: no sample of up{job="good"} is 0 since it came up
        def up_samples():
            return [float(v) for _, v in
                    api(prom_port, "/api/v1/query", query='up{job="good"}[5m]')["result"][0]["values"]]
        after_rotation = len(up_samples())
        wait_for("three more scrapes after the rotation", lambda: len(up_samples()) >= after_rotation + 3, 20)
        ups = up_samples()
        assert ups and ups[-1] == 1.0 and 0.0 not in ups[ups.index(1.0):], ups
        print(f"ok: {len(ups)} scrapes of the good job, all up after the first success, across the rotation")
        return 0
    finally:
        if prom and prom.poll() is None:
            prom.terminate()
            try:
                prom.wait(timeout=10)
            except subprocess.TimeoutExpired:
                prom.kill()
        if t:
            t.stop()
        prom_log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
