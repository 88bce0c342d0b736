#!/usr/bin/python3
"""Structural and metric-name checks for the Grafana dashboards and alerts.

There is no Grafana here, so the dashboards are checked against the rules in
CONVENTIONS.md / stack-facts.md: valid JSON model, unique panel ids and
dashboard uids, gridPos inside 24 columns without overlaps, one `datasource`
variable, panel datasource `${datasource}` (or the provisioned uid), targets
and a unit on every panel, a title and description, at least the seed's
panel counts, `rate/irate(...[$__rate_interval])`, `_total` only inside
rate/irate/increase. Every PromQL expression is parsed by `promtool check
rules` (as a recording rule with the Grafana variables substituted), and
every metric name used by a dashboard or alert must exist in mpc_node's
exposition or in the exporters' list (tests/stack/exporter-metrics.txt).
mpc_node runs as the local stack runs it: HTTPS with a client certificate
(its promcxx_tls_* gauges feed the certificate alerts) and
--native-histograms (the heatmap of signature-performance.json).

Issue 15 (defects 2 and 10): in a dashboard with a `node` variable every
query follows $node (cluster-wide constants excepted); stat/gauge panels
showing a status (up, pg_up, etcd leader) say DOWN instead of "No data"
(noValue); `[$__range]` queries are instant; quantiles of the rare DKG
ceremony use a window of an hour or more; the `device` variable and the host
network alerts leave out virtual interfaces (veth, docker, br-, lo); the
"SLO" row of signature-performance.json shows the error budget left.

usage: check_dashboards.py --stack DIR --exporter-metrics FILE
                           (--exposition FILE | --mpc-node EXE)
"""
import argparse
import glob
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

# Seed (SETUP_SUMMARY.md) minimum panel counts.
SEED_PANELS = {
    "mpc-cluster-overview.json": 10,
    "byzantine-consensus.json": 11,
    "signature-performance.json": 11,
    "infrastructure.json": 16,
    "network-monitoring.json": 11,
}
# Infrastructure: panels per row section, in order.
SEED_ROWS = {"infrastructure.json": [("etcd", 6), ("postgresql", 6), ("container", 4)]}
DATASOURCE_VAR = "${datasource}"
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan"}
COUNTER_FUNCS = {"rate", "irate", "increase"}
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
NUMBER = re.compile(r"(?<![\w:])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)")


def strip_expr(expr):
    """Removes strings, label selectors, ranges and label lists of clauses."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"`[^`]*`", '""', e)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    # Clause and label list go entirely: `sum by (le) (x)` -> `sum (x)`.
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    return NUMBER.sub(" 0 ", e)


def metric_names(expr):
    """Metric names in a PromQL expression, with the function enclosing each."""
    e = strip_expr(expr)
    out = []
    stack = []  # innermost-last function names (None for plain parentheses)
    i = 0
    while i < len(e):
        c = e[i]
        if c == "(":
            stack.append(None)
            i += 1
        elif c == ")":
            if stack:
                stack.pop()
            i += 1
        else:
            m = IDENT.match(e, i)
            if m and (i == 0 or not (e[i - 1].isalnum() or e[i - 1] in "_$")):
                word = m.group(0)
                j = m.end()
                while j < len(e) and e[j] == " ":
                    j += 1
                if j < len(e) and e[j] == "(":
                    stack.append(word.lower())
                    i = j + 1
                    continue
                if word.lower() not in KEYWORDS:
                    enclosing = next((f for f in reversed(stack) if f), None)
                    out.append((word, enclosing))
                i = m.end()
            else:
                i += 1
    return out


def grafana_to_promql(expr):
    """Substitutes Grafana's variables so promtool can parse the expression."""
    e = expr.replace("$__rate_interval", "1m").replace("$__range", "1h").replace("$__interval", "1m")
    return re.sub(r"\$\{?(\w+)\}?", ".*", e)


def exposition_names(text):
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE ") or line.startswith("# HELP "):
            parts = line.split()
            if len(parts) >= 3:
                names.add(parts[2])
        elif line and not line.startswith("#"):
            m = IDENT.match(line)
            if m:
                names.add(m.group(0))
    return names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape_mpc_node(exe, wanted, stack):
    """Starts mpc_node on 127.0.0.1 as the local stack runs it (HTTPS with a
    client certificate, --native-histograms) and scrapes it until the mpc_*
    names used appear (labelled children exist only after their first event)
    or 10 s pass. Returns (names, note); a build without OpenSSL 3 is scraped
    over plain HTTP and its promcxx_tls_* names are taken on trust (note says so)."""
    with tempfile.TemporaryDirectory() as tmp:
        certs = os.path.join(tmp, "certs")
        subprocess.run([os.path.join(stack, "multi-host", "make-certs.sh"), certs, "node-1=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        tls = ["--tls-cert", os.path.join(certs, "node-1.pem"), "--tls-key", os.path.join(certs, "node-1-key.pem"),
               "--tls-client-ca", os.path.join(certs, "ca.pem")]
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        ctx.load_cert_chain(os.path.join(certs, "prometheus.pem"), os.path.join(certs, "prometheus-key.pem"))
        names = scrape_once(exe, wanted, tls, "https", ctx)
        if names is not None:
            return names, ""
        names = scrape_once(exe, wanted - {w for w in wanted if w.startswith("promcxx_tls_")}, [], "http", None)
        return names | {w for w in wanted if w.startswith("promcxx_tls_")}, \
            " (built without OpenSSL 3: promcxx_tls_* not verified)"


def scrape_once(exe, wanted, extra, scheme, ctx):
    """Names mpc_node serves with `extra` flags, or None when it refuses them as usage (no TLS build)."""
    port = free_port()
    proc = subprocess.Popen([exe, "--listen", f"127.0.0.1:{port}", "--node-id", "node-1",
                             "--threshold", "3", "--total-nodes", "5", "--native-histograms", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    names = set()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                if proc.returncode == 2 and extra:
                    return None
                raise RuntimeError(f"mpc_node exited with {proc.returncode}: "
                                   f"{proc.stderr.read().decode(errors='replace')[-1000:]}")
            try:
                with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/metrics", timeout=2, context=ctx) as r:
                    names = exposition_names(r.read().decode())
                if wanted <= names:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        if not names:
            raise RuntimeError(f"mpc_node served no /metrics on {scheme}://127.0.0.1:{port} within 10 s")
        return names
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load_list(path):
    with open(path, encoding="utf-8") as f:
        return {line.split("#", 1)[0].strip() for line in f} - {""}


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def overlaps(a, b):
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


# Metrics that are the same for every node: a panel on them alone may ignore $node.
CLUSTER_WIDE = {"mpc_consensus_threshold"}
STATUS_METRICS = re.compile(r"\b(up|pg_up|etcd_server_has_leader|probe_success)\b")
RARE_EVENTS = {"mpc_dkg_duration_seconds_bucket", "mpc_dkg_duration_seconds_sum", "mpc_dkg_duration_seconds_count"}
VIRTUAL_DEVICES = ["lo", "veth1a2b3c", "docker0", "br-0123abcd"]


def duration_seconds(text):
    m = re.fullmatch(r"(\d+)([smhd])", text)
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)] if m else None


def device_filter_ok(expr):
    """True when the expression's device!~"..." matcher drops every virtual interface."""
    m = re.search(r'device\s*!~\s*"([^"]*)"', expr)
    return bool(m) and all(re.fullmatch(m.group(1), d) for d in VIRTUAL_DEVICES) and not re.fullmatch(
        m.group(1), "eth0")


def check_dashboard_rules(name, model, panels, err):
    """Issue 15, defect 10 (and 2 for the device variable)."""
    tvars = {v.get("name"): v for v in model.get("templating", {}).get("list", [])}
    if "device" in tvars:
        q = tvars["device"].get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        if not device_filter_ok(q):
            err(f"variable $device must leave out virtual interfaces {VIRTUAL_DEVICES} (host network), "
                f"query {q!r}")
    for p in panels:
        if p.get("type") == "row":
            continue
        title = p.get("title")
        targets = [t for t in p.get("targets") or [] if t.get("expr")]
        for t in targets:
            expr = t["expr"]
            metrics = {m for m, _ in metric_names(expr)}
            if "node" in tvars and "$node" not in expr and not metrics <= CLUSTER_WIDE \
                    and not all(":" in m for m in metrics) \
                    and any(m.startswith(("mpc_", "process_")) or m == "up" for m in metrics) \
                    and ("mpc-nodes" in expr or any(m.startswith(("mpc_", "process_")) for m in metrics)):
                err(f"panel {title!r} {t.get('refId')}: ignores $node: {expr!r}")
            if "$__range" in expr and not t.get("instant"):
                err(f"panel {title!r} {t.get('refId')}: [$__range] query must be instant (one value for "
                    "the whole range), or it is recomputed at every step")
            if metrics & RARE_EVENTS:
                for rng in re.findall(r"\[([^\]]+)\]", expr):
                    secs = duration_seconds(rng)
                    if rng != "$__range" and (secs is None or secs < 3600):
                        err(f"panel {title!r} {t.get('refId')}: DKG is rare; a window of [{rng}] is "
                            "mostly empty, use 1h or more")
        if p.get("type") in ("stat", "gauge") and any(STATUS_METRICS.search(t["expr"]) for t in targets):
            if not ((p.get("fieldConfig") or {}).get("defaults") or {}).get("noValue"):
                err(f"panel {title!r}: a status panel needs fieldConfig.defaults.noValue (e.g. DOWN), "
                    "or a dead exporter shows \"No data\"")
    if name == "signature-performance.json":
        rows = [p for p in model.get("panels", []) if p.get("type") == "row" and p.get("title") == "SLO"]
        slo_exprs = " ".join(t.get("expr", "") for r in rows for p in [r] + (r.get("panels") or [])
                             for t in p.get("targets") or [])
        top = sorted(model.get("panels", []), key=lambda q: (q["gridPos"]["y"], q["gridPos"]["x"]))
        if rows:
            after = top[top.index(rows[0]) + 1:]
            for q in after:
                if q.get("type") == "row":
                    break
                slo_exprs += " " + " ".join(t.get("expr", "") for t in q.get("targets") or [])
        if "mpc:signatures_error_budget_remaining:ratio30d" not in slo_exprs:
            err("needs a row titled SLO with a panel on mpc:signatures_error_budget_remaining:ratio30d")


def check_dashboard(path, model, ds_uids, errors, exprs):
    name = os.path.basename(path)
    err = lambda msg: errors.append(f"{name}: {msg}")
    uid = model.get("uid", "")
    if not (isinstance(uid, str) and 8 <= len(uid) <= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", uid)):
        err(f"uid {uid!r} must be 8-40 characters of [A-Za-z0-9_-]")
    if not model.get("title"):
        err("missing title")
    if not isinstance(model.get("schemaVersion"), int):
        err("schemaVersion must be an integer")
    if model.get("id") not in (None,):
        err("dashboard `id` must be null/absent in provisioned JSON")

    tvars = model.get("templating", {}).get("list", [])
    ds_vars = [v for v in tvars if v.get("type") == "datasource"]
    if len(ds_vars) != 1 or ds_vars[0].get("name") != "datasource" or ds_vars[0].get("query") != "prometheus":
        err("needs exactly one template variable `datasource` of type datasource, query prometheus")
    for v in tvars:
        if v.get("type") == "query":
            if v.get("refresh") != 2:
                err(f"query variable {v.get('name')} must use refresh: 2 (on time range change)")
            if (v.get("datasource") or {}).get("uid") != DATASOURCE_VAR:
                err(f"query variable {v.get('name')} must use datasource ${{datasource}}")
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            m = re.fullmatch(r"label_values\((.*),\s*\w+\)", q) or re.fullmatch(r"label_values\((\w+)\)", q)
            if not m:
                err(f"query variable {v.get('name')}: unsupported query {q!r}")
            else:
                exprs.append((f"{name} variable {v.get('name')}", m.group(1), False))

    ids = set()
    boxes = []
    panels = list(walk_panels(model.get("panels", [])))
    for p in panels:
        pid = p.get("id")
        title = p.get("title") or f"panel id {pid}"
        perr = lambda msg, t=title: err(f"panel {t!r}: {msg}")
        if not isinstance(pid, int):
            perr("id must be an integer")
        elif pid in ids:
            perr(f"duplicate panel id {pid}")
        ids.add(pid)
        g = p.get("gridPos") or {}
        if not all(isinstance(g.get(k), int) for k in "xywh"):
            perr("gridPos needs integer x, y, w, h")
            continue
        if g["x"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > 24:
            perr(f"gridPos {g} outside the 24-column grid")
        for other_title, other in boxes:
            if overlaps(g, other):
                perr(f"gridPos overlaps panel {other_title!r}")
        boxes.append((title, g))
        if p.get("type") == "row":
            continue
        if not p.get("title"):
            perr("missing title")
        if not p.get("description"):
            perr("missing description")
        if (p.get("datasource") or {}).get("uid") not in ds_uids:
            perr(f"datasource uid must be one of {sorted(ds_uids)}")
        unit = ((p.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
        if not unit:
            perr("fieldConfig.defaults.unit missing")
        targets = p.get("targets") or []
        if not targets:
            perr("no targets")
        refids = [t.get("refId") for t in targets]
        if len(set(refids)) != len(refids) or None in refids:
            perr("targets need unique refIds")
        for t in targets:
            expr = t.get("expr", "")
            if not expr.strip():
                perr(f"target {t.get('refId')} has no expr")
                continue
            if "datasource" in t and t["datasource"].get("uid") not in ds_uids:
                perr(f"target {t.get('refId')} datasource must be ${{datasource}}")
            exprs.append((f"{name} panel {title!r} {t.get('refId')}", expr, True))

    check_dashboard_rules(name, model, panels, err)
    non_rows = [p for p in panels if p.get("type") != "row"]
    want = SEED_PANELS.get(name)
    if want is None:
        err("unexpected dashboard file (add it to SEED_PANELS)")
    elif len(non_rows) < want:
        err(f"{len(non_rows)} panels, the seed has {want}")
    if name in SEED_ROWS:
        top = sorted(model.get("panels", []), key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"]))
        sections = []
        for p in top:
            if p.get("type") == "row":
                sections.append([p.get("title", "").lower(), len(p.get("panels", []))])
            elif sections:
                sections[-1][1] += 1
        expected = SEED_ROWS[name]
        if len(sections) != len(expected):
            err(f"{len(sections)} row sections, expected {len(expected)}")
        for (title, count), (want_title, want_count) in zip(sections, expected):
            if want_title not in title or count < want_count:
                err(f"row {title!r} has {count} panels, expected a {want_title!r} row with {want_count}+")
    return model.get("uid")


def check_expr(where, expr, known, from_dashboard, errors, used):
    for metric, enclosing in metric_names(expr):
        used.add(metric)
        if metric not in known:
            errors.append(f"{where}: metric {metric} is exported by neither mpc_node nor "
                          "the exporters list")
        if from_dashboard and metric.endswith("_total") and enclosing not in COUNTER_FUNCS:
            errors.append(f"{where}: {metric} used outside rate/irate/increase")
    if from_dashboard:
        rare = {m for m, _ in metric_names(expr)} & RARE_EVENTS
        for fn, rng in re.findall(r"\b(rate|irate)\s*\([^\[]*\[([^\]]*)\]", expr):
            if rng != "$__rate_interval" and not (rare and (duration_seconds(rng) or 0) >= 3600):
                errors.append(f"{where}: {fn}() must use [$__rate_interval], not [{rng}]")


def promtool_parse(exprs, errors):
    """Lets the real PromQL parser judge every expression."""
    rules = [{"record": f"check:expr_{i}", "expr": grafana_to_promql(e)} for i, (_, e, _) in enumerate(exprs)]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": rules}]}, f)
        path = f.name
    try:
        res = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True, timeout=60)
        if res.returncode != 0:
            out = res.stdout + res.stderr
            for i, (where, _, _) in enumerate(exprs):
                out = out.replace(f"check:expr_{i}\"", f"{where}\"")
            errors.append("promtool cannot parse some expressions:\n" + out)
    finally:
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", required=True, help="the stack/ directory")
    ap.add_argument("--exporter-metrics", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--exposition", help="a text exposition of mpc_node")
    src.add_argument("--mpc-node", help="the mpc_node executable to start and scrape")
    args = ap.parse_args()

    errors = []
    ds_file = os.path.join(args.stack, "grafana/provisioning/datasources/prometheus.yml")
    with open(ds_file, encoding="utf-8") as f:
        ds = yaml.safe_load(f)
    default = [d for d in ds.get("datasources", []) if d.get("isDefault")]
    if len(default) != 1 or default[0].get("uid") != "prometheus" or default[0].get("type") != "prometheus":
        errors.append(f"{ds_file}: the default datasource must be type prometheus with uid `prometheus`")
    ds_uids = {DATASOURCE_VAR} | {d.get("uid") for d in default}

    prov_file = os.path.join(args.stack, "grafana/provisioning/dashboards/dashboard.yml")
    with open(prov_file, encoding="utf-8") as f:
        prov = yaml.safe_load(f)
    for p in prov.get("providers", []):
        opts = p.get("options", {})
        if opts.get("foldersFromFilesStructure") and (p.get("folder") or p.get("folderUid")):
            errors.append(f"{prov_file}: folder must be empty with foldersFromFilesStructure")
        if opts.get("path") != "/etc/grafana/provisioning/dashboards/dashboards":
            errors.append(f"{prov_file}: path must be where compose mounts the dashboards")

    exprs = []
    uids = {}
    files = sorted(glob.glob(os.path.join(args.stack, "grafana/provisioning/dashboards/dashboards/*.json")))
    for name in SEED_PANELS:
        if not any(os.path.basename(f) == name for f in files):
            errors.append(f"missing dashboard {name}")
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                model = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            errors.append(f"{path}: invalid JSON: {e}")
            continue
        uid = check_dashboard(path, model, ds_uids, errors, exprs)
        if uid in uids:
            errors.append(f"{path}: uid {uid} also used by {uids[uid]}")
        uids[uid] = path

    recorded = set()
    for rule_file in ("alerts.yml", "slo.yml"):
        with open(os.path.join(args.stack, "prometheus", rule_file), encoding="utf-8") as f:
            alerts = yaml.safe_load(f)
        for g in alerts["groups"]:
            for r in g["rules"]:
                exprs.append((f"{rule_file} {r.get('alert') or r.get('record')}", r["expr"], False))
                if r.get("record"):
                    recorded.add(r["record"])
                if rule_file == "alerts.yml" and "node_network_" in r["expr"] and not device_filter_ok(r["expr"]):
                    errors.append(f"alerts.yml {r.get('alert')}: host network alerts must leave out "
                                  f"virtual interfaces {VIRTUAL_DEVICES}")

    exporters = load_list(args.exporter_metrics) | recorded
    used_mpc = {m for _, e, _ in exprs for m, _ in metric_names(e) if m not in exporters}
    if args.exposition:
        with open(args.exposition, encoding="utf-8") as f:
            node_names = exposition_names(f.read())
        source = args.exposition
    else:
        try:
            node_names, note = scrape_mpc_node(args.mpc_node, used_mpc, args.stack)
        except (RuntimeError, subprocess.SubprocessError) as e:
            print(f"check_dashboards: {e}", file=sys.stderr)
            return 1
        source = args.mpc_node + note
    known = exporters | node_names
    used = set()
    for where, expr, from_dashboard in exprs:
        check_expr(where, expr, known, from_dashboard, errors, used)
    promtool_parse(exprs, errors)

    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"check_dashboards: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_dashboards: {len(files)} dashboards, {len(exprs)} expressions, {len(used)} metric "
          f"names, all known (mpc_node names from {source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
