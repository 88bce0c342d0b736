#!/usr/bin/python3
"""Derive loopback copies of the stack's Prometheus and Alertmanager configs.

The checked-in files under stack/ describe the container deployment
(node-1:8080, etcd-1:2379, ...). This tool rewrites them for one machine so
there is never a hand-kept second copy:

* every in-network host:port named by --map becomes 127.0.0.1:<port>; the
  original address is kept as the `instance` label so alert texts, dashboards
  and recording of `instance` look exactly as in the container deployment;
* targets named by --skip (e.g. cAdvisor) are dropped and reported, and a job
  left without targets is dropped; any other unknown host:port is an error, so
  a new target in the stack cannot be silently ignored here;
* rule_files and file_sd paths are resolved against the config's directory
  and the files are copied (rewritten) into the output directory;
* Alertmanager receivers are replaced by one webhook per receiver pointing at
  a local sink (routes, names and inhibit rules stay as they are);
* every /run/secrets/NAME file of a job's tls_config (the MPC nodes are
  scraped over HTTPS with a client certificate) becomes the PATH given by
  --secret NAME=PATH; an unmapped one is an error naming the flag. `scheme`
  and `tls_config` stay as they are;
* --fast (for the end-to-end test) shortens scrape/evaluation intervals,
  caps every alert `for:` at --max-for (same expressions, same names) and
  shortens Alertmanager group timings.

Usage: localize.py --stack DIR --out DIR --map HOST:PORT=LOCAL ... [--skip HOST:PORT=REASON ...]
"""

import argparse
import glob
import json
import os
import re
import sys

import yaml

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(text):
    """Prometheus duration (e.g. 1h30m, 5m, 10s) in seconds."""
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * UNITS[u] for n, u in parts)


def fmt_duration(seconds):
    return f"{int(seconds)}s" if seconds >= 1 else f"{int(seconds * 1000)}ms"


class Localizer:
    def __init__(self, mapping, skips):
        self.mapping = mapping  # "host:port" -> "127.0.0.1:port"
        self.skips = skips  # "host:port" -> reason
        self.report = []  # human-readable lines about what was dropped

    def target(self, where, addr):
        """Local address for an in-network one, or None when it is skipped."""
        if addr in self.mapping:
            return self.mapping[addr]
        if addr in self.skips:
            self.report.append(f"skipped {where} target {addr}: {self.skips[addr]}")
            return None
        raise SystemExit(
            f"localize: {where}: target {addr} has no loopback mapping; "
            "add it to stack/local/run (--map or --skip)")

    def text(self, value):
        """Rewrite every mapped host:port inside a string (URLs, relabel replacements)."""
        for addr, local in self.mapping.items():
            value = re.sub(r"(?<![\w.-])" + re.escape(addr) + r"(?![\w])", local, value)
        return value

    def groups(self, where, groups):
        """Split target groups so each local target keeps its original address as `instance`."""
        out = []
        for group in groups or []:
            labels = dict(group.get("labels") or {})
            for addr in group.get("targets") or []:
                local = self.target(where, addr)
                if local is None:
                    continue
                out.append({"targets": [local], "labels": {"instance": addr, **labels}})
        return out


def resolve(base_dir, pattern):
    path = pattern if os.path.isabs(pattern) else os.path.join(base_dir, pattern)
    return sorted(glob.glob(path))


def cap_for(rule_groups, max_for):
    """Cap every `for:` at max_for seconds; count the rules touched."""
    changed = 0
    for group in rule_groups.get("groups") or []:
        for rule in group.get("rules") or []:
            if "for" in rule and parse_duration(rule["for"]) > max_for:
                rule["for"] = fmt_duration(max_for)
                changed += 1
    return changed


def localize_prometheus(args, loc):
    src = os.path.join(args.stack, "prometheus", "prometheus.yml")
    base = os.path.dirname(src)
    with open(src, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    out_dir = os.path.join(args.out, "prometheus")
    os.makedirs(os.path.join(out_dir, "rules"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "targets"), exist_ok=True)

    glob_cfg = cfg.setdefault("global", {})
    if args.fast:
        glob_cfg["scrape_interval"] = args.scrape_interval
        glob_cfg["evaluation_interval"] = args.scrape_interval
        glob_cfg["scrape_timeout"] = args.scrape_interval

    rule_paths = []
    rule_count = 0
    for pattern in cfg.get("rule_files") or []:
        files = resolve(base, pattern)
        if not files:
            raise SystemExit(f"localize: rule_files entry {pattern!r} matches no file under {base}")
        for path in files:
            with open(path, encoding="utf-8") as f:
                rules = yaml.safe_load(f)
            if args.fast:
                loc.report.append(
                    f"fast mode: {cap_for(rules, parse_duration(args.max_for))} alert `for:` "
                    f"durations in {os.path.basename(path)} capped at {args.max_for}")
                for group in rules.get("groups") or []:
                    if group.pop("interval", None):  # evaluate with the fast global interval
                        loc.report.append(f"fast mode: group {group['name']} evaluated every "
                                          f"{args.scrape_interval}")
            rule_count += sum(len(g.get("rules") or []) for g in rules.get("groups") or [])
            dest = os.path.join(out_dir, "rules", os.path.basename(path))
            with open(dest, "w", encoding="utf-8") as f:
                yaml.safe_dump(rules, f, sort_keys=False)
            rule_paths.append(dest)
    cfg["rule_files"] = rule_paths

    for am in (cfg.get("alerting") or {}).get("alertmanagers") or []:
        for sc in am.get("static_configs") or []:
            sc["targets"] = [t for t in (loc.target("alerting", a) for a in sc.get("targets") or []) if t]

    for rw in cfg.get("remote_write") or []:
        rw["url"] = loc.text(rw["url"])

    secrets = pairs(args.secret, "secret", "NAME=PATH")
    jobs = []
    for job in cfg.get("scrape_configs") or []:
        name = job["job_name"]
        where = f"job {name}"
        if job.get("tls_config"):
            job["tls_config"] = local_secrets(where, job["tls_config"], secrets)
            loc.report.append(f"job {name}: {job.get('scheme', 'http')} with its tls_config files "
                              "from --secret")
        if args.fast:
            job.pop("scrape_interval", None)
            job.pop("scrape_timeout", None)
        static = loc.groups(where, job.get("static_configs"))
        had_static = bool(job.get("static_configs"))
        if had_static:
            job["static_configs"] = static
        new_sd = []
        for sd in job.get("file_sd_configs") or []:
            files = []
            for pattern in sd.get("files") or []:
                matches = resolve(base, pattern)
                if not matches:
                    raise SystemExit(f"localize: {where}: file_sd {pattern!r} matches no file")
                for path in matches:
                    with open(path, encoding="utf-8") as f:
                        groups = json.load(f)
                    dest = os.path.join(out_dir, "targets", f"{name}-{os.path.basename(path)}")
                    with open(dest, "w", encoding="utf-8") as f:
                        json.dump(loc.groups(where, groups), f, indent=1)
                    files.append(dest)
            new_sd.append({**sd, "files": files})
        if new_sd:
            job["file_sd_configs"] = new_sd
        if job.pop("basic_auth", None):
            loc.report.append(f"job {name}: basic_auth dropped (the loopback exporters run without "
                              "--web.config.file; tests/stack/check_web_auth.py proves the auth)")
        for rc in job.get("relabel_configs") or []:
            if "replacement" in rc:
                rc["replacement"] = loc.text(str(rc["replacement"]))
        if had_static and not static and not new_sd:
            loc.report.append(f"dropped job {name}: no target can run on this machine")
            continue
        jobs.append(job)
    cfg["scrape_configs"] = jobs

    dest = os.path.join(out_dir, "prometheus.yml")
    with open(dest, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    loc.report.append(f"prometheus: {len(jobs)} jobs, {rule_count} rules -> {dest}")


def local_secrets(where, tls, secrets):
    """tls_config with each /run/secrets/NAME path replaced by --secret NAME's file."""
    out = {}
    for key, value in tls.items():
        if isinstance(value, str) and value.startswith("/run/secrets/"):
            secret = value[len("/run/secrets/"):]
            if secret not in secrets:
                raise SystemExit(f"localize: {where}: tls_config {key} is {value}; "
                                 f"give it with --secret {secret}=PATH")
            value = secrets[secret]
        out[key] = value
    return out


def localize_alertmanager(args, loc):
    src = os.path.join(args.stack, "alertmanager", "alertmanager.yml")
    with open(src, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    # Receiver-specific globals (SMTP, Slack, PagerDuty URLs, secrets files) are
    # meaningless once every receiver is the local sink.
    cfg["global"] = {k: v for k, v in (cfg.get("global") or {}).items() if k == "resolve_timeout"}
    receivers = []
    for rcv in cfg.get("receivers") or []:
        if not any(k.endswith("_configs") for k in rcv):
            receivers.append({"name": rcv["name"]})  # a deliberate blackhole stays one
            continue
        receivers.append({
            "name": rcv["name"],
            "webhook_configs": [{"url": f"{args.sink_url}/{rcv['name']}", "send_resolved": True}],
        })
    cfg["receivers"] = receivers
    cfg.pop("templates", None)  # templates only shape texts of the replaced receivers
    if args.fast:
        # Children inherit the root's short timings unless they override them.
        def inherit(route):
            for child in route.get("routes") or []:
                child.pop("group_wait", None)
                child.pop("group_interval", None)
                inherit(child)

        cfg["route"].update(group_wait="1s", group_interval="2s", repeat_interval="1h")
        inherit(cfg["route"])
    os.makedirs(os.path.join(args.out, "alertmanager"), exist_ok=True)
    dest = os.path.join(args.out, "alertmanager", "alertmanager.yml")
    with open(dest, "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    loc.report.append(
        f"alertmanager: {len(receivers)} receivers -> webhook sink {args.sink_url} -> {dest}")


def pairs(values, what, form="HOST:PORT=VALUE"):
    out = {}
    for item in values or []:
        key, sep, val = item.partition("=")
        if not sep:
            raise SystemExit(f"localize: --{what} expects {form}, got {item!r}")
        out[key] = val
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stack", required=True, help="the stack/ directory")
    ap.add_argument("--out", required=True, help="output directory (temp dir)")
    ap.add_argument("--map", action="append", help="HOST:PORT=127.0.0.1:PORT")
    ap.add_argument("--skip", action="append", help="HOST:PORT=reason it cannot run here")
    ap.add_argument("--sink-url", required=True, help="base URL of the local webhook sink")
    ap.add_argument("--secret", action="append", help="NAME=PATH for /run/secrets/NAME in a tls_config")
    ap.add_argument("--fast", action="store_true", help="short intervals and for: (e2e test)")
    ap.add_argument("--scrape-interval", default="2s")
    ap.add_argument("--max-for", default="10s")
    args = ap.parse_args()
    loc = Localizer(pairs(args.map, "map"), pairs(args.skip, "skip"))
    localize_prometheus(args, loc)
    localize_alertmanager(args, loc)
    for line in dict.fromkeys(loc.report):  # de-duplicated, in order
        print(line)


if __name__ == "__main__":
    sys.exit(main())
