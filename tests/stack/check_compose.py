#!/usr/bin/python3
"""Checks stack/docker-compose.monitoring.yml with the real docker-compose 1.29.

`docker-compose config` needs no engine. With .env.example copied to a
temporary directory as .env (never into the repo):
1. as shipped (empty passwords) config must FAIL, naming the required
   variable: no default passwords, fail fast;
2. with the required values filled in, `config -q` passes, with and without
   the scale-out profile;
3. the rendered config honours the seed and our rules: resource limits,
   healthchecks, networks, loopback-only ports, 30-day retention, pinned
   images, mounted files that exist.

usage: check_compose.py STACK_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

# Seed limits (cpus, memory); the rest are ours.
LIMITS = {
    "prometheus": ("2.0", "2G"),
    "grafana": ("1.0", "1G"),
    "postgres-exporter": ("0.5", "256M"),
    "cadvisor": ("1.0", "512M"),
    "node-exporter": ("0.5", "256M"),
    "alertmanager": ("0.5", "256M"),
    "blackbox-exporter": ("0.25", "128M"),
    "victoriametrics": ("1.0", "1G"),
}
PORTS = {
    "prometheus": "127.0.0.1:9090:9090/tcp",
    "alertmanager": "127.0.0.1:9093:9093/tcp",
    "grafana": "127.0.0.1:3000:3000/tcp",
    "postgres-exporter": "127.0.0.1:9187:9187/tcp",
    "cadvisor": "127.0.0.1:8088:8080/tcp",
    "node-exporter": "127.0.0.1:9100:9100/tcp",
    "victoriametrics": "127.0.0.1:8428:8428/tcp",
}
NEEDS_MPC_NETWORK = {"prometheus", "postgres-exporter", "blackbox-exporter"}


def compose(stack, env_file, *args):
    return subprocess.run(["docker-compose", "--env-file", env_file, "-f",
                           os.path.join(stack, "docker-compose.monitoring.yml"), *args],
                          capture_output=True, text=True, timeout=120)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stack = os.path.abspath(argv[1])
    errors = []
    tmp = tempfile.mkdtemp(prefix="compose-check-")
    try:
        env_file = os.path.join(tmp, ".env")
        shutil.copy(os.path.join(stack, ".env.example"), env_file)

        res = compose(stack, env_file, "config", "-q")
        if res.returncode == 0 or "GRAFANA_ADMIN_PASSWORD" not in res.stderr:
            errors.append("with .env.example as is, config must fail naming GRAFANA_ADMIN_PASSWORD "
                          f"(rc={res.returncode}, stderr={res.stderr.strip()[-300:]!r})")

        with open(env_file) as f:
            text = f.read()
        for var in ("GRAFANA_ADMIN_PASSWORD", "POSTGRES_PASSWORD"):
            text, n = re.subn(rf"^{var}=$", f"{var}=test-only-{var.lower()}", text, flags=re.M)
            if n != 1:
                errors.append(f".env.example must have exactly one empty `{var}=` line")
        with open(env_file, "w") as f:
            f.write(text)

        for profile in ([], ["--profile", "scale-out"]):
            res = compose(stack, env_file, *profile, "config", "-q")
            if res.returncode != 0:
                errors.append(f"config -q {' '.join(profile)} failed: {res.stderr.strip()}")

        res = compose(stack, env_file, "config")
        if res.returncode != 0:
            errors.append(f"config failed: {res.stderr.strip()}")
            raise SystemExit
        cfg = yaml.safe_load(res.stdout)
        services = cfg.get("services", {})
        want = set(LIMITS)
        if set(services) != want:
            errors.append(f"services {sorted(services)} != {sorted(want)}")
        for name, svc in services.items():
            where = f"service {name}"
            image = svc.get("image", "")
            if not re.search(r":v?\d+\.\d+\.\d+$", image):
                errors.append(f"{where}: image {image!r} must be pinned to a version")
            if "healthcheck" not in svc or not svc["healthcheck"].get("test"):
                errors.append(f"{where}: missing healthcheck")
            lim = svc.get("deploy", {}).get("resources", {}).get("limits", {})
            got = (str(float(lim.get("cpus", 0))), str(lim.get("memory")))
            if name in LIMITS and got != LIMITS[name]:
                errors.append(f"{where}: limits {got} != {LIMITS[name]}")
            ports = svc.get("ports", [])
            for p in ports:
                if not str(p).startswith("127.0.0.1:"):
                    errors.append(f"{where}: port {p} must bind to 127.0.0.1")
            if name in PORTS and PORTS[name] not in [str(p) for p in ports]:
                errors.append(f"{where}: expected port {PORTS[name]}, got {ports}")
            nets = set(svc.get("networks", {}))
            if "monitoring" not in nets:
                errors.append(f"{where}: must join the monitoring network")
            if name in NEEDS_MPC_NETWORK and "mpc-internal" not in nets:
                errors.append(f"{where}: must join mpc-internal to reach the MPC stack")
            for v in svc.get("volumes", []):
                src = str(v).split(":")[0]
                if src.startswith(stack) and not os.path.exists(src):
                    errors.append(f"{where}: mounts {src}, which does not exist")
            if svc.get("restart") != "unless-stopped":
                errors.append(f"{where}: restart must be unless-stopped")
        prom = services.get("prometheus", {})
        if "--storage.tsdb.retention.time=30d" not in prom.get("command", []):
            errors.append("prometheus: needs --storage.tsdb.retention.time=30d (30-day retention)")
        if services.get("victoriametrics", {}).get("profiles") != ["scale-out"]:
            errors.append("victoriametrics must only run with the scale-out profile")
        net = cfg.get("networks", {}).get("mpc-internal", {})
        if not net.get("external") or net.get("name") != "mpc-internal":
            errors.append("network mpc-internal must be external, named mpc-internal")
        graf_env = services.get("grafana", {}).get("environment", {})
        if graf_env.get("GF_SECURITY_ADMIN_PASSWORD") != "test-only-grafana_admin_password":
            errors.append("grafana must take its admin password from GRAFANA_ADMIN_PASSWORD")
    except SystemExit:
        pass
    finally:
        shutil.rmtree(tmp)

    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_compose: config valid, {len(LIMITS)} services checked, required variables fail fast")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
