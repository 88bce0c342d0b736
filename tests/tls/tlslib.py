"""Shared helpers of the TLS tests: start the target, TLS clients, scrapes, bounded waits."""
import ctypes
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time


def die_with_parent():
    """Child setup: the kernel kills the child if the test dies, even by SIGKILL."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class fatal(AssertionError):
    """Raised inside a wait_for predicate to stop waiting at once."""


def wait_for(what, predicate, timeout=15):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except fatal:
            raise
        except Exception as e:  # not there yet
            last_error = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error!r})")


class target:
    """tls_target running with the given arguments; stop() always kills it."""

    def __init__(self, binary, tmp, *args):
        self.port_file = os.path.join(tmp, f"port-{time.monotonic_ns()}")
        self.proc = subprocess.Popen([binary, self.port_file, *args], preexec_fn=die_with_parent,
                                     stderr=subprocess.PIPE, text=True)

        def port():
            if self.proc.poll() is not None:
                raise fatal(f"tls_target exited: {self.proc.stderr.read()}")
            with open(self.port_file) as f:
                return int(f.read())
        self.port = wait_for("the target's port file", port, 15)

    def reload(self):
        """SIGUSR1: the target calls reload_tls(); returns the line it wrote."""
        path = self.port_file + ".reload"
        before = open(path).read().count("\n") if os.path.exists(path) else 0
        self.proc.send_signal(signal.SIGUSR1)
        wait_for("the reload result", lambda: os.path.exists(path) and open(path).read().count("\n") > before, 10)
        return open(path).read().splitlines()[-1]

    def stop(self):
        """Stops the target; a non-zero exit (a sanitizer report, a crash) fails the test."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.returncode != 0:
            raise AssertionError(f"tls_target exited with {self.proc.returncode}: {self.proc.stderr.read()[-4000:]}")


def client_context(ca, cert=None, key=None, verify=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def get(conn, path="/metrics", headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def connect(port, ctx, timeout=5):
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)


def scrape(port, ctx, headers=None):
    conn = connect(port, ctx)
    try:
        return get(conn, headers=headers)
    finally:
        conn.close()


def sample(body, series):
    """Value of the sample line `series value` in a text exposition, or None."""
    for line in body.decode().splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


def refused(port, ctx):
    """True when a scrape with ctx gets no HTTP answer (handshake or first read fails)."""
    try:
        status, _, _ = scrape(port, ctx)
    except (ssl.SSLError, ConnectionError, OSError, http.client.HTTPException):
        return True
    raise AssertionError(f"expected the TLS handshake to be refused, got HTTP {status}")
