#!/usr/bin/python3
"""Checks stack/postgres-exporter-queries.yaml.

Static: every namespace starts with `mpcdb_` (never colliding with the
exporter's built-ins such as pg_database), has a query and metrics with a
valid usage and a description, each metric column appears in the query, and
no extension view (pg_stat_statements) is used.

Live (when PostgreSQL 15 and postgres_exporter are installed and we may run
PostgreSQL as the `postgres` user, i.e. as root): initdb a throw-away
cluster on 127.0.0.1 plus a streaming standby (pg_basebackup -R, so
mpcdb_standby has a row), create a table, run postgres_exporter 0.11 with the
file, and require every namespace to produce metrics with no query error.
Otherwise the live part is skipped (the static part still runs).

usage: check_pg_queries.py QUERIES_YAML
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

USAGES = {"LABEL", "COUNTER", "GAUGE", "MAPPEDMETRIC", "DURATION", "DISCARD"}
PGBIN = "/usr/lib/postgresql/15/bin"


def static_checks(doc, errors):
    for ns, spec in doc.items():
        if not re.fullmatch(r"mpcdb_[a-z_]+", ns):
            errors.append(f"{ns}: namespace must match mpcdb_[a-z_]+ (built-ins use pg_*)")
        query = spec.get("query", "")
        if not query.strip():
            errors.append(f"{ns}: no query")
        if "pg_stat_statements" in query:
            errors.append(f"{ns}: needs the pg_stat_statements extension")
        metrics = spec.get("metrics") or []
        if not any(next(iter(m.values())).get("usage") != "LABEL" for m in metrics):
            errors.append(f"{ns}: no metric column")
        for m in metrics:
            ((column, meta),) = m.items()
            if meta.get("usage") not in USAGES:
                errors.append(f"{ns}.{column}: usage {meta.get('usage')!r} not in {sorted(USAGES)}")
            if not meta.get("description"):
                errors.append(f"{ns}.{column}: no description")
            if not re.search(rf"\b{column}\b", query):
                errors.append(f"{ns}.{column}: column not produced by the query")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def live_checks(path, doc, errors):
    exporter = shutil.which("prometheus-postgres-exporter") or shutil.which("postgres_exporter")
    if not (exporter and os.path.exists(f"{PGBIN}/initdb") and os.geteuid() == 0):
        return "skipped the live run (needs root, postgresql-15, prometheus-postgres-exporter)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "skipped the live run (no postgres user)"
    tmp = tempfile.mkdtemp(prefix="pgq-")
    os.chmod(tmp, 0o755)
    data = os.path.join(tmp, "data")
    standby = os.path.join(tmp, "standby")
    pg_port, exp_port, sb_port = free_port(), free_port(), free_port()
    sb_started = False
    as_pg = ["runuser", "-u", "postgres", "--"]
    exp = None
    started = False
    try:
        os.mkdir(data)
        shutil.chown(data, "postgres")
        subprocess.run(as_pg + [f"{PGBIN}/initdb", "-D", data, "-A", "trust"], check=True,
                       capture_output=True, timeout=120)
        subprocess.run(as_pg + [f"{PGBIN}/pg_ctl", "-D", data, "-l", os.path.join(data, "log"), "-w",
                                "-o", f"-p {pg_port} -k {data} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True, timeout=60)
        started = True
        subprocess.run(as_pg + ["psql", "-q", "-h", "127.0.0.1", "-p", str(pg_port), "-c",
                                "CREATE TABLE wallet_tx (id serial PRIMARY KEY, v int);"
                                " INSERT INTO wallet_tx (v) SELECT generate_series(1, 10);"],
                       check=True, capture_output=True, timeout=60)
        os.mkdir(standby, 0o700)
        shutil.chown(standby, "postgres")
        subprocess.run(as_pg + [f"{PGBIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(pg_port), "-D", standby,
                                "-R", "-X", "stream", "-c", "fast", "-d",
                                f"host=127.0.0.1 port={pg_port} application_name=standby-1"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(as_pg + [f"{PGBIN}/pg_ctl", "-D", standby, "-l", os.path.join(standby, "log"), "-w",
                                "-o", f"-p {sb_port} -k {standby} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True, timeout=60)
        sb_started = True
        env = dict(os.environ,
                   DATA_SOURCE_NAME=f"postgresql://postgres@127.0.0.1:{pg_port}/postgres?sslmode=disable")
        log = open(os.path.join(tmp, "exporter.log"), "w+")
        exp = subprocess.Popen([exporter, f"--web.listen-address=127.0.0.1:{exp_port}",
                                f"--extend.query-path={path}"], env=env, stdout=log, stderr=subprocess.STDOUT)
        text = ""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{exp_port}/metrics", timeout=5) as r:
                    text = r.read().decode()
                if "pg_up 1" in text and "mpcdb_standby_replay_lag_seconds{" in text:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        if "pg_up 1" not in text:
            errors.append("postgres_exporter did not reach PostgreSQL (pg_up 1 missing)")
        for ns in doc:
            if not re.search(rf"^{ns}_\w+", text, flags=re.M):
                errors.append(f"{ns}: no metrics from the live run")
        if not re.search(r"^pg_exporter_user_queries_load_error\{.*\} 0$", text, flags=re.M):
            errors.append("pg_exporter_user_queries_load_error is not 0")
        if not re.search(r"^pg_exporter_last_scrape_error 0$", text, flags=re.M):
            errors.append("pg_exporter_last_scrape_error is not 0")
        log.seek(0)
        for line in log:
            if "error" in line.lower() and "mpcdb_" in line:
                errors.append(f"exporter log: {line.strip()}")
        log.close()
        return "live run on PostgreSQL 15 with postgres_exporter passed" if not errors else "live run failed"
    finally:
        if exp:
            exp.terminate()
            try:
                exp.wait(timeout=5)
            except subprocess.TimeoutExpired:
                exp.kill()
        for ok, d in ((sb_started, standby), (started, data)):
            if ok:
                subprocess.run(as_pg + [f"{PGBIN}/pg_ctl", "-D", d, "-m", "fast", "stop"],
                               capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = os.path.abspath(argv[1])
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    errors = []
    static_checks(doc, errors)
    note = live_checks(path, doc, errors) if not errors else "live run not attempted"
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_pg_queries: {len(doc)} namespaces valid; {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
