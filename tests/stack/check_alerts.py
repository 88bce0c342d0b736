#!/usr/bin/python3
"""Style and coverage checks for the alert rules (alerts.yml, slo.yml).

promtool proves the rules parse and behave; this proves the house rules:
CamelCase names, severity, summary/description/runbook_url, `for:`, label
values of mpc_* metrics from the team contract, a runbook heading per alert
in stack/README.md, and that alerts_test.yml has, for every alert, a case
where each severity fires and a case where it stays silent.

It also requires an alert on each signal of REQUIRED_SIGNALS (issue 15:
failed notifications, Prometheus -> Alertmanager, remote write, clock, OOM,
container restarts, replication lag, etcd gRPC, rule/TSDB/WAL/target sync), and
a runbook_url built from the `runbooks` external label (defect 8), not a
fixed repository URL.

usage: check_alerts.py --rules FILE... --tests FILE... --readme README_MD
"""
import argparse
import re
import sys

import yaml

SEVERITIES = {"critical", "warning", "info"}
RUNBOOK_BASE = "{{ $externalLabels.runbooks }}#"
# Metric -> why an alert on it is required.
REQUIRED_SIGNALS = {
    "alertmanager_notifications_failed_total": "receivers failing (defect 1)",
    "prometheus_notifications_errors_total": "Prometheus cannot reach Alertmanager (defect 1)",
    "prometheus_notifications_alertmanagers_discovered": "Prometheus has no Alertmanager (defect 1)",
    "prometheus_remote_storage_highest_timestamp_in_seconds": "remote write lag (defect 7)",
    "prometheus_remote_storage_samples_failed_total": "remote write failures (defect 7)",
    "alertmanager_cluster_members": "Alertmanager HA cluster split",
    "node_timex_offset_seconds": "clock skew",
    "node_timex_sync_status": "clock not synchronising",
    "node_vmstat_oom_kill": "OOM kills on the host",
    "container_oom_events_total": "OOM kills in containers",
    "container_start_time_seconds": "container restarts",
    "mpcdb_standby_replay_lag_seconds": "PostgreSQL replication lag",
    "grpc_server_handled_total": "etcd gRPC errors",
    "prometheus_rule_evaluation_failures_total": "rule evaluation failures",
    "prometheus_tsdb_compactions_failed_total": "TSDB compactions",
    "prometheus_tsdb_wal_corruptions_total": "WAL corruption",
    "prometheus_target_sync_failed_total": "target sync failures",
    "prometheus_sd_file_read_errors_total": "unreadable targets files",
    "container_last_seen": "vanished containers (defect 5)",
}
# The only alert allowed without `for:` and without a silent case.
ALWAYS_FIRING = {"Watchdog"}
# Label values promised by the team contract (.notes/CONTRACT.md).
CONTRACT_LABELS = {
    "mpc_transactions_total": {"state": {"pending", "approved", "signed", "broadcast",
                                         "confirmed", "failed", "rejected"}},
    "mpc_votes_total": {"result": {"approve", "reject", "timeout"}},
    "mpc_byzantine_violations_total": {"type": {"double_vote", "invalid_signature",
                                                "timeout", "malformed_message"}},
    "mpc_signatures_total": {"protocol": {"cggmp24", "frost"},
                             "result": {"success", "failure"}},
    "mpc_network_errors_total": {"type": {"connection_refused", "connection_reset",
                                          "timeout", "message_decode"}},
    "mpc_signature_duration_seconds_bucket": {"protocol": {"cggmp24", "frost"}},
}
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')


def check_rule(rule, errors):
    name = rule.get("alert", "<recording rule>")
    where = f"alert {name}"
    if "alert" not in rule:
        if not re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", rule.get("record", "")):
            errors.append(f"recording rule {rule.get('record')!r}: name must be level:metric:operations")
        return
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", name):
        errors.append(f"{where}: name must be CamelCase")
    sev = rule.get("labels", {}).get("severity")
    if sev not in SEVERITIES:
        errors.append(f"{where}: severity {sev!r} not in {sorted(SEVERITIES)}")
    ann = rule.get("annotations", {})
    summary = ann.get("summary", "")
    if not summary:
        errors.append(f"{where}: missing summary")
    elif "{{" in summary or not summary[0].isupper() or not summary.endswith("."):
        errors.append(f"{where}: summary must be a plain sentence with a capital "
                      f"letter and a full stop, no template: {summary!r}")
    if "{{" not in ann.get("description", ""):
        errors.append(f"{where}: description must be templated ($labels/$value)")
    url = ann.get("runbook_url", "")
    if url != RUNBOOK_BASE + name.lower():
        errors.append(f"{where}: runbook_url must be {RUNBOOK_BASE}{name.lower()}, got {url!r}")
    if name not in ALWAYS_FIRING and "for" not in rule:
        errors.append(f"{where}: missing `for:`")
    for metric, selector in re.findall(r"(mpc_\w+)\{([^}]*)\}", rule["expr"]):
        allowed = CONTRACT_LABELS.get(metric, {})
        for label, op, value in MATCHER.findall(selector):
            if label not in allowed:
                continue
            values = value.split("|") if op in ("=~", "!~") else [value]
            bad = [v for v in values if v not in allowed[label]]
            if bad:
                errors.append(f"{where}: {metric}{{{label}}} value(s) {bad} not in the contract")


def readme_anchors(path):
    anchors = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#+\s+(.*?)\s*$", line)
            if m:
                # GitHub: lowercase, drop punctuation except - and _, spaces -> -
                text = re.sub(r"[^\w\- ]", "", m.group(1).lower())
                anchors.add(text.replace(" ", "-"))
    return anchors


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", action="append", required=True)
    ap.add_argument("--tests", action="append", required=True)
    ap.add_argument("--readme", required=True)
    args = ap.parse_args(argv[1:])
    readme_path = args.readme
    errors = []
    severities = {}
    exprs = []
    for path in args.rules:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for group in doc["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule and path.endswith("alerts.yml"):
                    errors.append(f"{path}: only alerting rules belong here (recording rules: slo.yml)")
                check_rule(rule, errors)
                if "alert" in rule:
                    exprs.append(rule["expr"])
                    sevs = severities.setdefault(rule["alert"], [])
                    sev = rule.get("labels", {}).get("severity")
                    if sev in sevs:
                        errors.append(f"alert {rule['alert']}: two rules with severity {sev}")
                    sevs.append(sev)
    for metric, why in REQUIRED_SIGNALS.items():
        if not any(re.search(rf"\b{metric}\b", e) for e in exprs):
            errors.append(f"no alert watches {metric}: {why}")

    anchors = readme_anchors(readme_path)
    for name in severities:
        if name.lower() not in anchors:
            errors.append(f"alert {name}: no runbook heading '{name}' in {readme_path}")

    tests = {"tests": []}
    for test_path in args.tests:
        with open(test_path, encoding="utf-8") as f:
            tests["tests"] += yaml.safe_load(f).get("tests", [])
    fired = {}    # alertname -> severities seen firing
    silent = set()
    for test in tests.get("tests", []):
        for case in test.get("alert_rule_test", []):
            exp = case.get("exp_alerts") or []
            if exp:
                for alert in exp:
                    fired.setdefault(case["alertname"], set()).add(
                        alert.get("exp_labels", {}).get("severity"))
                    if set(alert.get("exp_annotations", {})) != {"summary", "description",
                                                                 "runbook_url"}:
                        errors.append(f"test {test.get('name')}: {case['alertname']} must "
                                      "assert summary, description and runbook_url")
            else:
                silent.add(case["alertname"])
    for name, sevs in severities.items():
        missing = set(sevs) - fired.get(name, set())
        if missing:
            errors.append(f"alert {name}: no test case where severity {sorted(missing)} fires")
        if name not in ALWAYS_FIRING and name not in silent:
            errors.append(f"alert {name}: no test case where it stays silent")
    for name in set(fired) | silent:
        if name not in severities:
            errors.append(f"test refers to unknown alert {name}")

    rules = sum(len(v) for v in severities.values())
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"check_alerts: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_alerts: {len(severities)} alerts ({rules} rules) follow the style and are tested")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
