#!/usr/bin/python3
"""End-to-end checks against the live loopback stack (run by tests/e2e/run).

Runs inside `stack/local/run --fast -- ...`, which provides STACK_* variables.
Healthy phase: targets, rules, dashboard queries, postgres/etcd metrics,
VictoriaMetrics via remote_write, Watchdog through Alertmanager.
Fault phase: kill node-5, restart node-4 with byzantine faults, signature
failures and a stalled presignature pool; expected alerts must fire in
Prometheus, arrive in Alertmanager (and the webhook sink), and warnings must be
inhibited by their criticals. Each failure names the target, rule or panel.
"""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK = os.environ.get("STACK_SOURCE") or os.path.join(REPO, "stack")
HERE = os.path.dirname(os.path.abspath(__file__))
PROM = os.environ["STACK_PROMETHEUS_URL"]
AM = os.environ["STACK_ALERTMANAGER_URL"]
VM = os.environ["STACK_VM_URL"]
PIDS = os.environ["STACK_PIDS"]
LOGS = os.environ["STACK_LOGS"]
SINK_LOG = os.environ["STACK_SINK_LOG"]
MPC_NODE = os.environ["STACK_MPC_NODE"]
NODE_PORT = int(os.environ["STACK_PORT_NODE"])
T0 = time.monotonic()

# Grafana's built-in variables, chosen for the test's 2 s scrape interval:
# $__rate_interval = max($__interval + scrape, 4 * scrape) rounded up generously.
BUILTINS = {
    "__rate_interval": "30s", "__interval": "10s", "__interval_ms": "10000",
    "__range": "5m", "__range_s": "300", "__range_ms": "300000", "datasource": "prometheus",
}

# Fault phase: which alert (name, severity) must fire for which instance, and why.
DOWN_NODE, FAULTY_NODE = "node-5", "node-4"
FAULT_FLAGS = ["--byzantine-rate", "0.5", "--signature-failure-rate", "0.5", "--stall-presignatures"]
EXPECTED_ALERTS = [
    ("MPCNodeDown", "critical", DOWN_NODE, "node killed"),
    ("MPCByzantineViolationsHigh", "warning", FAULTY_NODE, "byzantine faults"),
    ("MPCByzantineViolationsHigh", "critical", FAULTY_NODE, "byzantine faults"),
    ("MPCDoubleVoteDetected", "critical", FAULTY_NODE, "byzantine faults (double votes)"),
    ("MPCInvalidSignatureViolations", "warning", FAULTY_NODE, "byzantine faults"),
    ("MPCTimeoutViolationsHigh", "warning", FAULTY_NODE, "byzantine faults"),
    ("MPCMalformedMessagesHigh", "warning", FAULTY_NODE, "byzantine faults"),
    ("MPCSignatureFailureRateHigh", "warning", FAULTY_NODE, "signature failures"),
    ("MPCSignatureFailureRateHigh", "critical", FAULTY_NODE, "signature failures"),
    ("MPCPresignaturePoolDepleted", "critical", FAULTY_NODE, "stalled presignature pool"),
    ("MPCPresignaturePoolLow", "warning", FAULTY_NODE, "stalled presignature pool"),
]
# Warnings that the stack's inhibit rules must silence while their critical fires.
EXPECTED_INHIBITED = [
    ("MPCByzantineViolationsHigh", FAULTY_NODE),
    ("MPCSignatureFailureRateHigh", FAULTY_NODE),
    ("MPCPresignaturePoolLow", FAULTY_NODE),  # by MPCPresignaturePoolDepleted
]
# MPCPresignaturePoolLow needs 5 minutes of samples below 20 (max_over_time[5m]):
# the fault phase is bounded by that, plus the capped for: and evaluation.
FAULT_TIMEOUT = 420

results = []  # (ok, name, detail)


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))
    log(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
    return ok


def http_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.load(resp)


def prom_query(expr, base=PROM):
    """Instant query; returns (result list, error string or None)."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        body = http_json(url)
    except urllib.error.HTTPError as exc:
        try:
            body = json.load(exc)
        except ValueError:
            return None, f"HTTP {exc.code}"
        return None, f"{body.get('errorType')}: {body.get('error')}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(exc)
    if body.get("status") != "success":
        return None, f"{body.get('errorType')}: {body.get('error')}"
    data = body["data"]
    if data["resultType"] in ("scalar", "string"):
        return [data["result"]], None
    return data["result"], None


def prom_range(expr, seconds, base=PROM):
    """Range query over the last `seconds` as Grafana draws a panel; returns (result, error)."""
    end = time.time()
    url = base + "/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": expr, "start": end - seconds, "end": end, "step": "4s"})
    try:
        body = http_json(url)
    except urllib.error.HTTPError as exc:
        try:
            body = json.load(exc)
        except ValueError:
            return None, f"HTTP {exc.code}"
        return None, f"{body.get('errorType')}: {body.get('error')}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(exc)
    if body.get("status") != "success":
        return None, f"{body.get('errorType')}: {body.get('error')}"
    return body["data"]["result"], None


def has_numbers(result):
    """True when some sample is a number: NaN (e.g. a quantile of no events) draws nothing."""
    for r in result or []:
        for _, v in r.get("values") or ([r["value"]] if "value" in r else []):
            if v not in ("NaN", "+Inf", "-Inf"):
                return True
    return False


def wait_until(what, fn, timeout, interval=2):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ---------------------------------------------------------------- stack files
def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def stack_alert_rules():
    doc = load_yaml(os.path.join(STACK, "prometheus", "alerts.yml"))
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def load_panel_exceptions():
    """tests/e2e/fault-only-panels.txt: `dashboard | panel title | refId|* | fault|skip | reason`."""
    out = {}
    path = os.path.join(HERE, "fault-only-panels.txt")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 5 or parts[3] not in ("fault", "skip") or not parts[4]:
                raise SystemExit(
                    f"{path}:{n}: expected 'dashboard | panel title | refId or * | fault|skip | reason'")
            out[(parts[0], parts[1], parts[2])] = (parts[3], parts[4])
    return out


def dashboards():
    pattern = os.path.join(STACK, "grafana", "provisioning", "dashboards", "dashboards", "*.json")
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path), json.load(f)


def panels_of(dash):
    def walk(panels):
        for p in panels or []:
            yield p
            yield from walk(p.get("panels"))  # collapsed rows nest their panels
    yield from walk(dash.get("panels"))


# ---------------------------------------------------------- Grafana variables
def label_values(query):
    """Values for a Grafana `label_values(...)` variable query."""
    m = re.fullmatch(r"\s*label_values\(\s*(?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*", query)
    if not m:
        return None
    selector, label = m.group(1), m.group(2)
    params = [("match[]", selector)] if selector else []
    url = f"{PROM}/api/v1/label/{label}/values"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    return http_json(url)["data"]


def template_values(dash, problems):
    """name -> substitution text for the dashboard's template variables."""
    values = {}
    for var in (dash.get("templating") or {}).get("list") or []:
        name, kind = var.get("name"), var.get("type")
        if kind == "datasource":
            values[name] = "prometheus"
            continue
        options = []
        if kind == "query":
            query = var.get("query")
            if isinstance(query, dict):
                query = query.get("query")
            query = substitute(query or "", values)
            options = label_values(query)
            if options is None:
                result, err = prom_query(query)
                options = [] if err else sorted({str(r.get("metric", {})) for r in result})
                problems.append(f"variable ${name}: unsupported query {query!r}")
            if var.get("regex"):
                rx = re.compile(var["regex"].strip("/"))
                options = [o for o in options if rx.search(o)]
        elif kind in ("custom", "interval"):
            options = [o["value"] for o in var.get("options") or [] if o.get("value") != "$__all"]
            if not options and var.get("query"):
                options = [v.strip() for v in str(var["query"]).split(",") if v.strip()]
        elif kind in ("constant", "textbox"):
            options = [str(var.get("query") or "")]
        current = (var.get("current") or {}).get("value")
        if current in ("$__all", ["$__all"]) and var.get("includeAll") and var.get("allValue"):
            values[name] = var["allValue"]  # what Grafana sends for "All", whatever the options
        elif not options:
            problems.append(f"variable ${name} ({kind}) has no values")
            values[name] = ".*"
        elif var.get("multi") or var.get("includeAll"):
            if var.get("includeAll") and var.get("allValue"):
                values[name] = var["allValue"]
            else:
                values[name] = "(" + "|".join(re.escape(o) for o in options) + ")"
        elif isinstance(current, str) and current in options:
            values[name] = current
        else:
            values[name] = options[0]
    return values


def substitute(expr, values):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3) or m.group(4)
        if name in values:
            return values[name]
        if name in BUILTINS:
            return BUILTINS[name]
        return m.group(0)
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(__\w+)|\$(\w+)", repl, expr)


# ---------------------------------------------------------------- healthy phase
def check_targets():
    targets = http_json(PROM + "/api/v1/targets?state=active")["data"]["activeTargets"]
    jobs = {}
    for t in targets:
        jobs.setdefault(t["labels"]["job"], []).append(t)
        check(t["health"] == "up",
              f"target up: job={t['labels']['job']} instance={t['labels']['instance']}",
              f"health={t['health']} url={t['scrapeUrl']} error={t['lastError']!r}")
    want = {"mpc-nodes": 5, "etcd": 3, "postgres": 1, "node-exporter": 1, "alertmanager": 1,
            "prometheus": 1}
    for job, count in want.items():
        check(len(jobs.get(job, [])) == count, f"job {job} has {count} target(s)",
              f"found {len(jobs.get(job, []))}")
    result, err = prom_query('up == 1')
    up = {(r["metric"]["job"], r["metric"]["instance"]) for r in result or []}
    check(not err and len(up) == len(targets), "query up == 1 covers every target",
          err or f"{len(up)} of {len(targets)}: missing "
          + ", ".join(f"{t['labels']['job']}/{t['labels']['instance']}" for t in targets
                      if (t['labels']['job'], t['labels']['instance']) not in up))


def check_rules():
    stack_rules = stack_alert_rules()
    names = {r["alert"] for r in stack_rules}

    def evaluated():
        groups = http_json(PROM + "/api/v1/rules?type=alert")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        if all(not r["lastEvaluation"].startswith("0001") for r in rules):
            return rules
        return None
    rules = wait_until("rules evaluated", evaluated, 30) or \
        [r for g in http_json(PROM + "/api/v1/rules?type=alert")["data"]["groups"] for r in g["rules"]]
    check(len(stack_rules) >= 40, "stack has 40+ alert rules", f"only {len(stack_rules)}")
    check(len(rules) == len(stack_rules), "every stack alert rule is loaded",
          f"Prometheus has {len(rules)}, stack/prometheus/alerts.yml has {len(stack_rules)}")
    for a, sev, _, why in EXPECTED_ALERTS:
        check(any(r["alert"] == a and r.get("labels", {}).get("severity") == sev for r in stack_rules),
              f"fault-phase alert {a} ({sev}) exists in the stack's rules ({why})",
              "renamed or removed in stack/prometheus/alerts.yml? update EXPECTED_ALERTS in tests/e2e/check.py")
    loaded = {r["name"] for r in rules}
    check(loaded == names, "loaded alert names match the stack",
          f"missing {sorted(names - loaded)} extra {sorted(loaded - names)}")
    bad = [f"{r['name']} ({r['labels'].get('severity')}): {r['health']} {r.get('lastError', '')}"
           for r in rules if r["health"] != "ok"]
    check(not bad, f"all {len(rules)} alert rules evaluate without error", "; ".join(bad))


def check_dashboards(exceptions, phase):
    """Every panel query evaluates; returns data unless listed as fault-only/skip."""
    seen = set()
    for fname, dash in dashboards():
        problems = []
        values = template_values(dash, problems)
        for p in problems:
            check(False, f"dashboard {fname}: {p}")
        for panel in panels_of(dash):
            if panel.get("type") == "row":
                continue
            title = panel.get("title", "")
            targets = [t for t in panel.get("targets") or [] if t.get("expr")]
            if phase == "healthy":
                check(bool(targets), f"panel {fname} / {title!r} (id {panel.get('id')}) has queries")
            for t in targets:
                key = (fname, title, t.get("refId"))
                if key not in exceptions:
                    key = (fname, title, "*")
                seen.add(key)
                status, reason = exceptions.get(key, ("data", ""))
                if phase == "fault" and status != "fault":
                    continue
                expr = substitute(t["expr"], values)
                name = f"panel {fname} / {title!r} (id {panel.get('id')}) ref {t.get('refId')}"
                left = re.findall(r"\$\{?\w+|\[\[\w+\]\]", expr)
                if left:
                    check(False, name + " has no unknown variables", f"{left} in {expr!r}")
                    continue
                # Instant targets as Grafana runs them; the others over the time
                # the stack has run (Grafana's default range is longer still).
                if t.get("instant"):
                    result, err = prom_query(expr)
                else:
                    result, err = prom_range(expr, min(time.monotonic() - T0 + 30, 900))
                if err:
                    check(False, name + " evaluates", f"{err} (query {expr!r})")
                elif status == "skip":
                    check(True, name + f" evaluates (no data expected: {reason})")
                elif status == "fault" and phase == "healthy":
                    check(True, name + f" evaluates (data checked in fault phase: {reason})")
                else:
                    check(has_numbers(result), name + " returns data",
                          f"{'only NaN' if result else 'empty result'} for {expr!r}")
    if phase == "healthy":
        for key in sorted(set(exceptions) - seen):
            check(False, f"fault-only-panels.txt entry {' | '.join(key)} names an existing panel query")


def check_postgres_metrics():
    queries = load_yaml(os.path.join(STACK, "postgres-exporter-queries.yaml"))
    for ns, spec in queries.items():
        for col in spec.get("metrics") or []:
            (column, meta), = col.items()
            if str(meta.get("usage", "")).upper() in ("LABEL", "DISCARD"):
                continue
            metric = f"{ns}_{column}"
            result, err = prom_query(f'count({metric}{{job="postgres"}})')
            check(not err and result, f"postgres custom metric {metric} present",
                  err or "no series (query in stack/postgres-exporter-queries.yaml returns no rows?)")
    result, err = prom_query('pg_exporter_user_queries_load_error{job="postgres"}')
    check(not err and result and all(r["value"][1] == "0" for r in result),
          "postgres_exporter loaded stack/postgres-exporter-queries.yaml without error",
          err or str(result))
    result, err = prom_query('pg_up{job="postgres"} == 1')
    check(not err and result, "pg_up == 1", err or "pg_up is not 1")


def check_etcd_metrics():
    names = set()
    for fname, dash in dashboards():
        if "infrastructure" not in fname:
            continue
        for panel in panels_of(dash):
            for t in panel.get("targets") or []:
                names.update(re.findall(r"\b(etcd_[a-zA-Z0-9_]+)", t.get("expr", "")))
    check(names, "infrastructure dashboard uses etcd metrics")
    for metric in sorted(names):
        result, err = prom_query(f'count by (instance) ({metric}{{job="etcd"}})')
        check(not err and len(result or []) == 3, f"etcd metric {metric} present on all 3 members",
              err or f"{len(result or [])} members have it")


def check_victoriametrics():
    external = set((load_yaml(os.path.join(STACK, "prometheus", "prometheus.yml"))
                    .get("global", {}).get("external_labels") or {}).keys())

    def series(base, expr):
        result, err = prom_query(expr, base)
        if err:
            return None
        return {tuple(sorted((k, v) for k, v in r["metric"].items() if k not in external))
                for r in result}
    for expr in ('up', 'mpc_presignature_pool_size', 'etcd_server_has_leader', 'pg_up'):
        want = series(PROM, expr)
        got = wait_until(f"VM {expr}", lambda e=expr: (lambda s: s if s == want else None)(series(VM, e)),
                         60) or series(VM, expr)
        check(want and got == want, f"VictoriaMetrics (remote_write) has the same {expr} series",
              f"Prometheus {len(want or [])} series, VM {len(got or [])}; "
              f"missing in VM: {sorted(want - got) if want and got is not None else want}")


def am_alerts():
    return http_json(AM + "/api/v2/alerts")


def check_watchdog():
    def firing():
        return [a for a in am_alerts() if a["labels"].get("alertname") == "Watchdog"]
    got = wait_until("Watchdog", firing, 60)
    check(got, "Watchdog fires in Prometheus and arrives in Alertmanager")


# ------------------------------------------------------------------ fault phase
def pid_of(node):
    files = glob.glob(os.path.join(PIDS, f"*-{node}.pid"))
    return int(open(files[0]).read()) if files else None


def wait_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def restart_faulty(node):
    index = int(node.split("-")[1])
    pid = pid_of(node)
    os.kill(pid, signal.SIGTERM)
    if not wait_gone(pid):
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid)
    cmd = [MPC_NODE, "--listen", f"127.0.0.1:{NODE_PORT + index - 1}", "--node-id", node,
           "--threshold", "3", "--total-nodes", "5", *FAULT_FLAGS]
    logf = open(os.path.join(LOGS, f"{node}-faulty.log"), "w")
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    # The launcher stops every process with a pid file, so this one too.
    with open(os.path.join(PIDS, f"90-{node}-faulty.pid"), "w") as f:
        f.write(str(proc.pid))
    log(f"restarted {node} with {' '.join(FAULT_FLAGS)} (pid {proc.pid})")
    return proc


def expected_receivers(labels):
    """Receivers the stack's routing tree picks for these labels (amtool decides)."""
    cfg = os.path.join(os.environ["STACK_DIR"], "config", "alertmanager", "alertmanager.yml")
    out = subprocess.run(["amtool", "config", "routes", "test", f"--config.file={cfg}",
                          *(f"{k}={v}" for k, v in labels.items())],
                         capture_output=True, text=True, check=False)
    return {r for r in out.stdout.strip().split(",") if r}


def sink_deliveries():
    """(alertname, severity, node) -> receivers the local webhook sink got it on."""
    got = {}
    if os.path.exists(SINK_LOG):
        with open(SINK_LOG, encoding="utf-8") as f:
            for line in f:
                entry = json.loads(line)
                for al in entry["payload"].get("alerts") or []:
                    lb = al["labels"]
                    k = (lb.get("alertname"), lb.get("severity"), lb.get("instance", "").split(":")[0])
                    got.setdefault(k, set()).add(entry["receiver_path"].strip("/"))
    return got


def check_deliveries(am_seen):
    """Alerts not inhibited reach exactly the receivers their routes name (local sink)."""
    inhibited = {n for n, _ in EXPECTED_INHIBITED}
    want = {}
    for a, s, n, _ in EXPECTED_ALERTS:
        if (a, s, n) in am_seen and not (s == "warning" and a in inhibited):
            want[(a, s, n)] = expected_receivers(
                {"alertname": a, "severity": s, "job": "mpc-nodes", "instance": f"{n}:8080",
                 "node_id": n})

    def complete():
        got = sink_deliveries()
        return got if all(r <= got.get(k, set()) for k, r in want.items()) else None
    got = wait_until("sink deliveries", complete, 30) or sink_deliveries()
    for k, receivers in sorted(want.items()):
        check(receivers and receivers <= got.get(k, set()),
              f"{k[0]} ({k[1]}) for {k[2]} delivered to receiver(s) {','.join(sorted(receivers))}",
              f"sink got it on {sorted(got.get(k, set()))}")


def fault_phase(exceptions):
    names = sorted({a[0] for a in EXPECTED_ALERTS})
    result, _ = prom_query('ALERTS{alertstate="firing", alertname=~"%s"}' % "|".join(names))
    check(not result, "no fault alert fires while the cluster is healthy",
          ", ".join(f"{r['metric']['alertname']}({r['metric'].get('severity')}) on "
                    f"{r['metric'].get('instance')}" for r in result or []))

    pid = pid_of(DOWN_NODE)
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    log(f"killed {DOWN_NODE} (pid {pid})")
    proc = restart_faulty(FAULTY_NODE)
    fault_start = time.monotonic()

    def key(labels):
        return (labels.get("alertname"), labels.get("severity"), labels.get("instance", "").split(":")[0])

    prom_seen, am_seen, inhibited = {}, {}, {}
    want = {(a, s, n) for a, s, n, _ in EXPECTED_ALERTS}
    want_inh = set(EXPECTED_INHIBITED)
    deadline = fault_start + FAULT_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            check(False, f"faulty {FAULTY_NODE} keeps running", f"exited with {proc.returncode}")
            break
        now = time.monotonic() - fault_start
        for a in http_json(PROM + "/api/v1/alerts")["data"]["alerts"]:
            k = key(a["labels"])
            if a["state"] == "firing" and k in want and k not in prom_seen:
                prom_seen[k] = now
                log(f"Prometheus: {k[0]} ({k[1]}) firing for {k[2]} after {now:.0f}s")
        for a in am_alerts():
            k = key(a["labels"])
            if k in want and k not in am_seen:
                am_seen[k] = now
                log(f"Alertmanager: {k[0]} ({k[1]}) for {k[2]} arrived after {now:.0f}s"
                    f" (state {a['status']['state']})")
            if (a["labels"].get("severity") == "warning" and a["status"]["inhibitedBy"]
                    and (k[0], k[2]) in want_inh and (k[0], k[2]) not in inhibited):
                inhibited[(k[0], k[2])] = now
                log(f"Alertmanager: {k[0]} warning on {k[2]} inhibited by {a['status']['inhibitedBy']}")
        if want <= set(prom_seen) and want <= set(am_seen) and want_inh <= set(inhibited):
            break
        time.sleep(2)
    for a, s, n, why in EXPECTED_ALERTS:
        check((a, s, n) in prom_seen, f"{a} ({s}) fires in Prometheus for {n} ({why})",
              f"not firing within {FAULT_TIMEOUT}s")
        check((a, s, n) in am_seen, f"{a} ({s}) for {n} arrives in Alertmanager ({why})",
              f"not in /api/v2/alerts within {FAULT_TIMEOUT}s")
    for a, n in EXPECTED_INHIBITED:
        check((a, n) in inhibited, f"{a} warning on {n} is inhibited by its critical",
              "status.inhibitedBy stayed empty")
    check_deliveries(am_seen)
    check_dashboards(exceptions, "fault")


def main():
    exceptions = load_panel_exceptions()
    # Rate windows in panels ($__rate_interval = 30s) need a few samples first.
    warm = 40 - (time.monotonic() - T0)
    log(f"stack is up; letting {max(warm, 0):.0f}s of samples accumulate")
    if warm > 0:
        time.sleep(warm)
    check_targets()
    check_rules()
    check_postgres_metrics()
    check_etcd_metrics()
    check_dashboards(exceptions, "healthy")
    check_victoriametrics()
    check_watchdog()
    # E2E_PHASES=healthy skips the ~6 min fault phase while developing; CI runs both.
    if "fault" in os.environ.get("E2E_PHASES", "healthy,fault"):
        fault_phase(exceptions)
    else:
        log("fault phase skipped (E2E_PHASES)")
    failed = [r for r in results if not r[0]]
    print()
    if failed:
        print("FAILED checks:")
        for _, name, detail in failed:
            print(f"  {name}: {detail}")
    print(f"checks took {time.monotonic() - T0:.0f}s")
    print(f"e2e: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
