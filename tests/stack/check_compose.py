#!/usr/bin/python3
"""Checks stack/docker-compose.monitoring.yml with the real docker-compose 1.29.

`docker-compose config` needs no engine. The stack is copied to a temporary
directory with .env.example as .env and placeholder secrets (never in the
repo), then the rendered config must honour the seed and the review
(issue 15):
- mutual TLS to the MPC nodes: both Prometheus replicas get the CA, client
  certificate and key the mpc-nodes job names (/run/secrets/tls_*) as
  secrets from secrets/tls/ (issue 16);
- HA: prometheus-1/2 (distinct PROMETHEUS_REPLICA, one config), alertmanager-1..3
  peered with each other, VictoriaMetrics always on with -dedup.minScrapeInterval
  and a relabel config dropping the replica label; remote_write only to a
  service that always runs (no profile);
- node-exporter in the host's network and PID namespaces (defect 2), the
  root mount configurable for Docker Desktop (defect 9);
- only services that need it join mpc-internal, and each of them requires
  basic auth (--web.config.file) and exposes no lifecycle/admin/probe
  endpoint without it (defect 3);
- secrets only as files: no password/secret/key values in environment
  variables, Grafana secret_key and admin password from *__FILE (defect 9);
- read_only, cap_drop ALL, no-new-privileges, non-root user (documented
  exceptions), postgres-exporter as mpc_monitor with TLS to the database and
  a health check that runs no queries (defect 9);
- resource limits, healthchecks, loopback-only ports, 30-day retention,
  pinned images, mounted files that exist.

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
    "prometheus-1": ("2.0", "2G"),
    "prometheus-2": ("2.0", "2G"),
    "grafana": ("1.0", "1G"),
    "postgres-exporter": ("0.5", "256M"),
    "cadvisor": ("1.0", "512M"),
    "node-exporter": ("0.5", "256M"),
    "alertmanager-1": ("0.5", "256M"),
    "alertmanager-2": ("0.5", "256M"),
    "alertmanager-3": ("0.5", "256M"),
    "blackbox-exporter": ("0.25", "128M"),
    "victoriametrics": ("1.0", "1G"),
}
PORTS = {
    "prometheus-1": "127.0.0.1:9090:9090/tcp",
    "prometheus-2": "127.0.0.1:9091:9090/tcp",
    "alertmanager-1": "127.0.0.1:9093:9093/tcp",
    "grafana": "127.0.0.1:3000:3000/tcp",
    "cadvisor": "127.0.0.1:8088:8080/tcp",
    "victoriametrics": "127.0.0.1:8428:8428/tcp",
}
# Exactly these reach the application network, and each must require auth.
MPC_NETWORK = {"prometheus-1", "prometheus-2", "postgres-exporter", "blackbox-exporter"}
# Services that may run as root, and why.
ROOT_OK = {"cadvisor": "reads every container's cgroups (privileged)",
           "victoriametrics": "image runs as root and owns its data volume"}
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|ROUTING_KEY|WEBHOOK", re.I)


def compose(stack, *args):
    return subprocess.run(["docker-compose", "--env-file", os.path.join(stack, ".env"), "-f",
                           os.path.join(stack, "docker-compose.monitoring.yml"), *args],
                          capture_output=True, text=True, timeout=120)


def command_of(svc):
    cmd = svc.get("command") or []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


def check_services(stack, cfg, errors):
    services = cfg.get("services", {})
    if set(services) != set(LIMITS):
        errors.append(f"services {sorted(services)} != {sorted(LIMITS)}")
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
        for p in svc.get("ports", []):
            if not str(p).startswith("127.0.0.1:"):
                errors.append(f"{where}: port {p} must bind to 127.0.0.1")
        if name in PORTS and PORTS[name] not in [str(p) for p in svc.get("ports", [])]:
            errors.append(f"{where}: expected port {PORTS[name]}, got {svc.get('ports')}")
        nets = set(svc.get("networks", {}))
        if name == "node-exporter":
            if svc.get("network_mode") != "host" or svc.get("pid") != "host":
                errors.append(f"{where}: needs network_mode: host and pid: host, or node_network_* "
                              "describe the container, not the host (defect 2)")
        elif "monitoring" not in nets:
            errors.append(f"{where}: must join the monitoring network")
        if ("mpc-internal" in nets) != (name in MPC_NETWORK):
            errors.append(f"{where}: on mpc-internal={'mpc-internal' in nets}, expected "
                          f"{name in MPC_NETWORK}: the application network reaches only what must scrape/probe")
        cmd = command_of(svc)
        if name in MPC_NETWORK and not any(c.startswith("--web.config.file=") for c in cmd):
            errors.append(f"{where}: reachable from mpc-internal, so it must require basic auth "
                          "(--web.config.file) (defect 3)")
        for v in svc.get("volumes", []):
            src = str(v).split(":")[0]
            if src.startswith(stack) and not os.path.exists(src):
                errors.append(f"{where}: mounts {src}, which does not exist")
        if svc.get("restart") != "unless-stopped":
            errors.append(f"{where}: restart must be unless-stopped")
        if svc.get("read_only") is not True:
            errors.append(f"{where}: read_only: true missing (defect 9)")
        if "no-new-privileges:true" not in (svc.get("security_opt") or []):
            errors.append(f"{where}: security_opt no-new-privileges:true missing (defect 9)")
        if name != "cadvisor" and "ALL" not in (svc.get("cap_drop") or []):
            errors.append(f"{where}: cap_drop: [ALL] missing (defect 9)")
        user = str(svc.get("user", ""))
        if name not in ROOT_OK and (not user or user.split(":")[0] in ("0", "root")):
            errors.append(f"{where}: must run as a non-root user (defect 9)")
        env = svc.get("environment") or {}
        for key, value in env.items():
            if SECRET_WORDS.search(key) and not key.endswith("_FILE"):
                errors.append(f"{where}: secret in environment variable {key}={value!r}; use a secrets "
                              "file (defect 9)")
    return services


def check_multi_host(stack, errors):
    """multi-host/: the central override swaps the targets and drops the local
    agents; the per-host agent needs its listen address and binds only there."""
    res = subprocess.run(["docker-compose", "--env-file", os.path.join(stack, ".env"), "-f",
                          os.path.join(stack, "docker-compose.monitoring.yml"), "-f",
                          os.path.join(stack, "multi-host", "docker-compose.central.yml"), "config"],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        errors.append(f"multi-host central config failed: {res.stderr.strip()}")
        return
    services = yaml.safe_load(res.stdout)["services"]
    for n in ("prometheus-1", "prometheus-2"):
        vols = [str(v) for v in services[n].get("volumes", [])]
        for want in (os.path.join(stack, "multi-host", "targets") + ":/etc/prometheus/targets:ro",
                     os.path.join(stack, "multi-host", "prometheus.yml") + ":/etc/prometheus/prometheus.yml:ro"):
            if want not in vols:
                errors.append(f"multi-host: {n} must mount {want}, got {vols}")
        mounted = {x if isinstance(x, str) else x.get("source") for x in services[n].get("secrets") or []}
        if not {"tls_ca", "tls_prometheus_cert", "tls_prometheus_key", "monitoring_password"} <= mounted:
            errors.append(f"multi-host: {n} needs the CA, its client certificate and key, got {sorted(mounted)}")
    for n in ("node-exporter", "cadvisor"):
        if services[n].get("profiles") != ["single-host"]:
            errors.append(f"multi-host: the central host must not start its own {n} (profile single-host)")
    agent = os.path.join(stack, "multi-host", "docker-compose.agent.yml")
    res = subprocess.run(["docker-compose", "-f", agent, "config", "-q"], capture_output=True, text=True,
                         timeout=120, env={k: v for k, v in os.environ.items() if k != "AGENT_LISTEN_IP"})
    if res.returncode == 0 or "AGENT_LISTEN_IP" not in res.stderr:
        errors.append("multi-host agent must refuse to start without AGENT_LISTEN_IP")
    res = subprocess.run(["docker-compose", "-f", agent, "config"], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, AGENT_LISTEN_IP="10.20.30.40"))
    if res.returncode != 0:
        errors.append(f"multi-host agent config failed: {res.stderr.strip()}")
        return
    agents = yaml.safe_load(res.stdout)["services"]
    ne = agents.get("node-exporter", {})
    if ne.get("network_mode") != "host" or ne.get("pid") != "host":
        errors.append("multi-host agent: node-exporter needs host network and PID namespace")
    if "--web.listen-address=10.20.30.40:9100" not in command_of(ne):
        errors.append("multi-host agent: node-exporter must listen on AGENT_LISTEN_IP only")
    if "--web.config.file=/etc/node-exporter/web-config.yml" not in command_of(ne):
        errors.append("multi-host agent: node-exporter must serve TLS (--web.config.file)")
    with open(os.path.join(stack, "multi-host", "node-exporter-web.yml")) as f:
        web = yaml.safe_load(f).get("tls_server_config") or {}
    if web.get("client_auth_type") != "RequireAndVerifyClientCert" or not web.get("client_ca_file"):
        errors.append("multi-host/node-exporter-web.yml must require client certificates from the CA")
    for n, svc in agents.items():
        for p in svc.get("ports", []):
            if not str(p).startswith("10.20.30.40:"):
                errors.append(f"multi-host agent {n}: port {p} must bind to AGENT_LISTEN_IP only")
        if svc.get("read_only") is not True or "no-new-privileges:true" not in (svc.get("security_opt") or []):
            errors.append(f"multi-host agent {n}: read_only and no-new-privileges")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = os.path.abspath(argv[1])
    errors = []
    tmp = tempfile.mkdtemp(prefix="compose-check-")
    try:
        stack = os.path.join(tmp, "stack")
        shutil.copytree(src, stack, ignore=shutil.ignore_patterns("local", ".env"))
        with open(os.path.join(stack, ".env.example")) as f:
            env_text = f.read()
        # Any value left empty for the user is filled, so the file renders.
        with open(os.path.join(stack, ".env"), "w") as f:
            f.write(re.sub(r"^(\w+)=$", r"\1=test-only", env_text, flags=re.M))
        with open(os.path.join(stack, "docker-compose.monitoring.yml")) as f:
            declared = yaml.safe_load(f).get("secrets") or {}
        with open(os.path.join(stack, "multi-host", "docker-compose.central.yml")) as f:
            declared = {**declared, **(yaml.safe_load(f).get("secrets") or {})}
        for spec in declared.values():
            path = os.path.join(stack, spec["file"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("test-only\n")

        res = compose(stack, "config")
        if res.returncode != 0:
            errors.append(f"config failed: {res.stderr.strip()}")
            raise SystemExit
        cfg = yaml.safe_load(res.stdout)
        services = check_services(stack, cfg, errors)

        # HA: two replicas of one config, distinct replica labels.
        replicas = {n: str((services.get(n, {}).get("environment") or {}).get("PROMETHEUS_REPLICA"))
                    for n in ("prometheus-1", "prometheus-2")}
        if len(set(replicas.values())) != 2 or "None" in replicas.values():
            errors.append(f"prometheus replicas need distinct PROMETHEUS_REPLICA, got {replicas}")
        for n in ("prometheus-1", "prometheus-2"):
            cmd = command_of(services.get(n, {}))
            for flag in ("--storage.tsdb.retention.time=30d", "--enable-feature=expand-external-labels",
                         "--enable-feature=native-histograms",
                         "--config.file=/etc/prometheus/prometheus.yml"):
                if flag not in cmd:
                    errors.append(f"{n}: needs {flag}")
        # Mutual TLS: every /run/secrets file of the mpc-nodes tls_config is a
        # secret of both replicas, read from secrets/tls/.
        with open(os.path.join(stack, "prometheus", "prometheus.yml")) as f:
            node_job = next((j for j in yaml.safe_load(f)["scrape_configs"] if j["job_name"] == "mpc-nodes"), {})
        tls_secrets = {v[len("/run/secrets/"):] for v in (node_job.get("tls_config") or {}).values()
                       if str(v).startswith("/run/secrets/")}
        if len(tls_secrets) != 3:
            errors.append(f"prometheus.yml: mpc-nodes must read CA, certificate and key from compose secrets, "
                          f"got {node_job.get('tls_config')}")
        for n in ("prometheus-1", "prometheus-2"):
            mounted = {str(x.get("source") if isinstance(x, dict) else x)
                       for x in services.get(n, {}).get("secrets") or []}
            if not tls_secrets <= mounted:
                errors.append(f"{n}: must mount the mpc-nodes TLS secrets {sorted(tls_secrets)}, got {sorted(mounted)}")
        for name in tls_secrets:
            spec = (cfg.get("secrets") or {}).get(name) or {}
            if not str(spec.get("file", "")).startswith(os.path.join(stack, "secrets", "tls") + os.sep):
                errors.append(f"secret {name} must come from secrets/tls/ (make-certs.sh), got {spec.get('file')}")
        for i in (1, 2, 3):
            cmd = command_of(services.get(f"alertmanager-{i}", {}))
            peers = {c.split("=", 1)[1] for c in cmd if c.startswith("--cluster.peer=")}
            if peers != {f"alertmanager-{j}:9094" for j in (1, 2, 3)}:
                errors.append(f"alertmanager-{i}: must peer with alertmanager-1..3:9094, got {sorted(peers)}")
        vm = services.get("victoriametrics", {})
        vm_cmd = command_of(vm)
        if vm.get("profiles"):
            errors.append("victoriametrics must always run: Prometheus remote_writes to it (defect 7)")
        if not any(c.startswith("-dedup.minScrapeInterval=") for c in vm_cmd):
            errors.append("victoriametrics needs -dedup.minScrapeInterval (HA replicas write twice)")
        relabel = [c.split("=", 1)[1] for c in vm_cmd if c.startswith("-relabelConfig=")]
        rl_path = os.path.join(stack, "victoriametrics", "relabel.yml")
        if relabel != ["/etc/victoriametrics/relabel.yml"] or not os.path.exists(rl_path):
            errors.append("victoriametrics needs -relabelConfig=/etc/victoriametrics/relabel.yml")
        else:
            with open(rl_path) as f:
                rules = yaml.safe_load(f)
            if not any(r.get("action") == "labeldrop" and re.fullmatch(r.get("regex", ""), "replica")
                       for r in rules):
                errors.append("victoriametrics/relabel.yml must drop the replica label before dedup")
        with open(os.path.join(stack, "prometheus", "prometheus.yml")) as f:
            prom = yaml.safe_load(f)
        always = {n for n, s in services.items() if not s.get("profiles")}
        for rw in prom.get("remote_write") or []:
            host = re.match(r"https?://([^:/]+)", rw["url"]).group(1)
            if host not in always:
                errors.append(f"remote_write to {host}, which is not a service that always runs (defect 7)")

        # Secrets: Grafana and postgres-exporter read files; no default passwords.
        graf = services.get("grafana", {}).get("environment") or {}
        for key in ("GF_SECURITY_ADMIN_PASSWORD__FILE", "GF_SECURITY_SECRET_KEY__FILE"):
            if not str(graf.get(key, "")).startswith("/run/secrets/"):
                errors.append(f"grafana: {key} must point at a compose secret (defect 9)")
        if str(graf.get("GF_SECURITY_COOKIE_SECURE")) != "true":
            errors.append("grafana: cookies must be secure by default (defect 9)")
        pg = services.get("postgres-exporter", {})
        pg_env = pg.get("environment") or {}
        if pg_env.get("DATA_SOURCE_USER") != "mpc_monitor":
            errors.append(f"postgres-exporter: user {pg_env.get('DATA_SOURCE_USER')!r}, README promises "
                          "mpc_monitor (pg_monitor) (defect 9)")
        if "sslmode=disable" in str(pg_env.get("DATA_SOURCE_URI")):
            errors.append("postgres-exporter: sslmode=disable by default (defect 9)")
        if "/metrics" in " ".join(map(str, pg.get("healthcheck", {}).get("test", []))):
            errors.append("postgres-exporter: healthcheck on /metrics runs every custom query (defect 9)")
        for spec in (cfg.get("secrets") or {}).values():
            if not str(spec.get("file", "")).startswith(os.path.join(stack, "secrets") + os.sep):
                errors.append(f"secret file {spec.get('file')} must live under secrets/ (git-ignored)")
        ignore = os.path.join(src, "secrets", ".gitignore")
        if not os.path.exists(ignore) or "*" not in open(ignore).read().split():
            errors.append("stack/secrets/.gitignore must ignore every secret file")

        # Docker Desktop: the root mount option can drop rslave.
        with open(os.path.join(stack, ".env"), "a") as f:
            f.write("\nNODE_EXPORTER_ROOT_MOUNT=ro\n")
        res = compose(stack, "config")
        vols = yaml.safe_load(res.stdout)["services"]["node-exporter"]["volumes"] if res.returncode == 0 else []
        if [str(v) for v in vols] != ["/:/host:ro"]:
            errors.append(f"NODE_EXPORTER_ROOT_MOUNT=ro must give /:/host:ro, got {vols}")
        with open(os.path.join(stack, "start-monitoring.bat"), encoding="utf-8") as f:
            if "NODE_EXPORTER_ROOT_MOUNT=ro" not in f.read():
                errors.append("start-monitoring.bat must set NODE_EXPORTER_ROOT_MOUNT=ro (Docker Desktop)")

        check_multi_host(stack, errors)

        net = cfg.get("networks", {}).get("mpc-internal", {})
        if not net.get("external") or net.get("name") != "mpc-internal":
            errors.append("network mpc-internal must be external, named mpc-internal")
    except SystemExit:
        pass
    finally:
        shutil.rmtree(tmp)

    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_compose: config valid, {len(LIMITS)} services checked (HA, networks, auth, secrets, hardening)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
