#!/usr/bin/python3
"""Behaviour of stack/start-monitoring.sh against a fake `docker` CLI.

There is no Docker engine here, so a fake `docker` on PATH records every call
and answers like the real one; `docker compose ... config -q` is passed on to
the real docker-compose 1.29, so the compose file is validated for real. The
stack is copied to a temporary directory so no .env is written into the repo.

usage: check_start_script.py STACK_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

FAKE_DOCKER = r"""#!/bin/bash
# Fake docker CLI: logs calls, answers from files in $FAKE_STATE.
echo "docker $*" >> "$FAKE_STATE/calls"
case "$1" in
  info) exit 0 ;;
  network)
    case "$2" in
      inspect) [[ -f "$FAKE_STATE/network" ]] ;;
      create) touch "$FAKE_STATE/network" ;;
    esac ;;
  compose)
    shift
    [[ "$1" == version ]] && exit 0
    for a in "$@"; do
      if [[ "$a" == config ]]; then exec docker-compose "$@"; fi
    done
    exit 0 ;;
  inspect)
    name=${*: -1}
    if [[ -f "$FAKE_STATE/unhealthy-$name" ]]; then echo starting; else echo healthy; fi ;;
  *) echo "fake docker: unexpected $*" >&2; exit 2 ;;
esac
"""


class Case:
    def __init__(self, stack):
        self.tmp = tempfile.mkdtemp(prefix="start-monitoring-")
        self.dir = os.path.join(self.tmp, "stack")
        shutil.copytree(stack, self.dir, ignore=shutil.ignore_patterns("local", ".env", "web-config.yml",
                                                                  "tls", *SECRET_FILES))
        self.state = os.path.join(self.tmp, "state")
        os.mkdir(self.state)
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        with open(os.path.join(bindir, "docker"), "w") as f:
            f.write(FAKE_DOCKER)
        os.chmod(os.path.join(bindir, "docker"), 0o755)
        self.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
                        FAKE_STATE=self.state, HEALTH_TIMEOUT="20")

    def write_env(self, extra=""):
        with open(os.path.join(self.dir, ".env.example")) as f:
            text = f.read()
        with open(os.path.join(self.dir, ".env"), "w") as f:
            f.write(text + extra)

    def run(self, *args, **env):
        res = subprocess.run([os.path.join(self.dir, "start-monitoring.sh"), *args],
                             capture_output=True, text=True, timeout=120, env=dict(self.env, **env))
        calls = ""
        if os.path.exists(os.path.join(self.state, "calls")):
            with open(os.path.join(self.state, "calls")) as f:
                calls = f.read()
        return res.returncode, res.stdout + res.stderr, calls

    def make_certs(self):
        """secrets/tls/ as the README says: the stack's make-certs.sh for node-1..node-5."""
        subprocess.run([os.path.join(self.dir, "multi-host", "make-certs.sh"),
                        os.path.join(self.dir, "secrets", "tls"), *(f"node-{i}" for i in range(1, 6))],
                       check=True, capture_output=True, timeout=60)

    def close(self):
        shutil.rmtree(self.tmp)


SECRET_FILES = ["monitoring_password", "grafana_admin_password", "grafana_secret_key", "postgres_password",
                "smtp_password", "slack_webhook_url", "pagerduty_routing_key",
                "pagerduty_security_routing_key", "heartbeat_api_key"]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack = os.path.abspath(argv[1])
    failures = []

    def expect(name, cond, detail):
        if not cond:
            failures.append(f"{name}: {detail}")

    c = Case(stack)
    try:
        rc, out, calls = c.run()
        expect("no .env", rc == 1 and ".env not found" in out, f"rc={rc} out={out!r}")
        expect("no .env", "compose" not in calls.replace("compose version", ""),
               "must not start anything without .env")

        c.write_env()
        rc, out, calls = c.run()
        expect("no secrets", rc == 1 and all(f"secrets/{n}" in out for n in SECRET_FILES),
               f"must name every missing secrets file: rc={rc} out={out!r}")
        expect("no secrets", "up -d" not in calls, "must not start without secrets")

        rc, out, _ = c.run("--help")
        expect("help", rc == 0 and "--no-wait" in out and "HEALTH_TIMEOUT" in out and "secrets" in out,
               f"rc={rc} out={out!r}")

        secrets = os.path.join(c.dir, "secrets")
        for name in SECRET_FILES:
            with open(os.path.join(secrets, name), "w") as f:
                f.write("test only 'quoted' $pass\n" if name == "monitoring_password" else "x")
        rc, out, _ = c.run("--bogus")
        expect("unknown option", rc == 1 and "unknown option" in out, f"rc={rc} out={out!r}")

        # Mutual TLS to the MPC nodes: no start without the CA and client certificate.
        rc, out, calls = c.run()
        tls_files = ("ca.pem", "prometheus.pem", "prometheus-key.pem")
        expect("no TLS files", rc == 1 and all(f"secrets/tls/{n}" in out for n in tls_files)
               and "make-certs.sh" in out, f"must name every missing TLS file and make-certs.sh: rc={rc} out={out!r}")
        expect("no TLS files", "up -d" not in calls, "must not start without the TLS files")
        c.make_certs()
        if os.path.exists(os.path.join(c.state, "calls")):
            os.remove(os.path.join(c.state, "calls"))

        rc, out, calls = c.run()
        expect("first start", rc == 0, f"rc={rc} out={out!r}")
        expect("first start", "docker network create mpc-internal" in calls,
               "must create the missing mpc-internal network")
        expect("first start", "compose -f docker-compose.monitoring.yml up -d" in calls,
               f"must run compose up -d, calls:\n{calls}")
        expect("first start", "config -q" in calls, "must validate the compose file first")
        for name in ("mpc-grafana", "mpc-prometheus-1", "mpc-prometheus-2", "mpc-alertmanager-1",
                     "mpc-alertmanager-2", "mpc-alertmanager-3", "mpc-victoriametrics"):
            expect("first start", f"inspect --format {{{{.State.Health.Status}}}} {name}" in calls,
                   f"must wait for {name}'s health check")
        web = os.path.join(secrets, "web-config.yml")
        text = open(web).read() if os.path.exists(web) else ""
        expect("first start", "basic_auth_users:" in text and "  monitor: $2" in text,
               f"must write secrets/web-config.yml with a bcrypt hash, got {text!r}")
        expect("first start", os.path.exists(web) and (os.stat(web).st_mode & 0o077) == 0,
               "secrets/web-config.yml must not be readable by others")

        os.remove(os.path.join(c.state, "calls"))
        rc, out, calls = c.run()
        expect("second start", rc == 0, f"rc={rc} out={out!r}")
        expect("second start", "network create" not in calls, "network exists now: must not recreate it")

        open(os.path.join(c.state, "unhealthy-mpc-alertmanager-2"), "w").close()
        rc, out, _ = c.run(HEALTH_TIMEOUT="0")
        expect("unhealthy", rc == 1 and "mpc-alertmanager-2:starting" in out, f"rc={rc} out={out!r}")
        rc, out, _ = c.run("--no-wait")
        expect("no-wait", rc == 0, f"rc={rc} out={out!r}")
    finally:
        c.close()

    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print("check_start_script: 9 scenarios behave as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
