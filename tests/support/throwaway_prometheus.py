"""A throwaway Prometheus 2.42 for tests: own temp dir, free loopback port,
bounded waits, always stopped (also when the test dies: PR_SET_PDEATHSIG).

    from throwaway_prometheus import ThrowawayPrometheus, wait_for, installed
    if not installed():
        sys.exit(77)  # meson: skipped
    with ThrowawayPrometheus(scrape_configs, extra_args=["--enable-feature=exemplar-storage"]) as prom:
        prom.wait_for_scrapes(jobs=1)
        prom.api("/api/v1/query", query="up")

Import it with tests/support on PYTHONPATH (meson: `env: test_support_env`).
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PROMETHEUS = "/usr/bin/prometheus"


def installed():
    return os.access(PROMETHEUS, os.X_OK)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout):
    """predicate()'s first truthy value; AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the API may not answer yet
            last_error = e
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def die_with_parent():
    """Child setup: the kernel kills the child if the test dies, even by SIGKILL."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop(proc):
    """Terminates a child process, killing it if it does not exit within 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def exit_cleanly_on_sigterm():
    """meson's timeout sends SIGTERM: turn it into SystemExit so `finally` and `with` clean up."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


class ThrowawayPrometheus:
    """Prometheus on 127.0.0.1:<free port> with the given scrape_configs (YAML
    list items, indented by two spaces), storage in a temp dir removed on exit."""

    def __init__(self, scrape_configs, extra_args=(), scrape_interval="1s", ready_timeout=30):
        self.scrape_configs = scrape_configs
        self.extra_args = list(extra_args)
        self.scrape_interval = scrape_interval
        self.ready_timeout = ready_timeout
        self.port = None
        self.tmp = None
        self.proc = None
        self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        """Starts Prometheus and waits until it is ready; cleans up when that fails."""
        self.tmp = tempfile.mkdtemp(prefix="promcxx-prometheus-")
        try:
            config = os.path.join(self.tmp, "prometheus.yml")
            with open(config, "w", encoding="utf-8") as f:
                f.write(f"global:\n  scrape_interval: {self.scrape_interval}\n"
                        f"  scrape_timeout: {self.scrape_interval}\nscrape_configs:\n{self.scrape_configs}")
            self.port = free_port()
            self._log = open(os.path.join(self.tmp, "prometheus.log"), "w", encoding="utf-8")
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.tmp}/data",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn", *self.extra_args],
                stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)

            def ready():
                if self.proc.poll() is not None:
                    raise RuntimeError(f"Prometheus exited: {self.log_tail()}")
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                    return r.status == 200
            wait_for("Prometheus to be ready", ready, self.ready_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        """Stops Prometheus and removes its directory (idempotent)."""
        stop(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def log_tail(self, size=4000):
        if self._log is None or self.tmp is None:
            return ""
        self._log.flush()
        with open(os.path.join(self.tmp, "prometheus.log"), encoding="utf-8", errors="replace") as f:
            return f.read()[-size:]

    def api(self, path, **params):
        """The `data` of a successful API answer; AssertionError otherwise."""
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            doc = json.load(r)
        if doc.get("status") != "success":
            raise AssertionError(f"{path}: {doc}")
        return doc["data"]

    def query(self, q):
        """Result of an instant query: [{"metric": {...}, "value": [t, "v"]}, ...]."""
        return self.api("/api/v1/query", query=q)["result"]

    def targets(self):
        return self.api("/api/v1/targets")["activeTargets"]

    def wait_for_scrapes(self, jobs, timeout=60):
        """Active targets once `jobs` targets have each been scraped at least once."""
        def scraped():
            active = self.targets()
            return (len(active) == jobs and all(t["lastScrape"] != "0001-01-01T00:00:00Z" for t in active)
                    and active)
        return wait_for(f"{jobs} scraped target(s)", scraped, timeout)
