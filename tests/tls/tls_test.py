#!/usr/bin/python3
"""promcxx::http_server over TLS against real TLS clients (Python's ssl, raw sockets).

usage: tls_test.py TLS_TARGET_BINARY [TEST_NAME...]
Certificates are made by the openssl command line in a temporary directory.
Every server binds 127.0.0.1:0, every wait is bounded, every process is stopped.
"""
import base64
import gzip
import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import certs  # noqa: E402
from tlslib import (client_context, connect, get, refused, sample, scrape, target,  # noqa: E402
                    wait_for)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libcrypt's bcrypt, the same library the server verifies with

BINARY = None
TMP = None
PKI = {}


def make_pki():
    d = TMP
    PKI["ca"] = certs.make_ca(d, "ca")
    PKI["other_ca"] = certs.make_ca(d, "other-ca")
    PKI["server"] = certs.make_cert(d, "server", PKI["ca"], "localhost", "server")
    PKI["server2"] = certs.make_cert(d, "server2", PKI["ca"], "localhost", "server", days=60)
    PKI["server_expired"] = certs.make_cert(d, "server-expired", PKI["ca"], "localhost", "server", days=-1)
    PKI["prometheus"] = certs.make_cert(d, "prometheus", PKI["ca"], "prometheus", "client")
    PKI["by_san"] = certs.make_cert(d, "by-san", PKI["ca"], "someone", "client", dns=["scraper.example"])
    PKI["intruder"] = certs.make_cert(d, "intruder", PKI["ca"], "intruder", "client")
    PKI["foreign"] = certs.make_cert(d, "foreign", PKI["other_ca"], "prometheus", "client")
    PKI["expired"] = certs.make_cert(d, "expired", PKI["ca"], "prometheus", "client", days=-1)


PASSWORD = "correct horse battery staple"


def auth(user="prometheus", password=PASSWORD):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def mtls_target(*extra):
    server, ca = PKI["server"], PKI["ca"]
    return target(BINARY, TMP, "--cert", server[0], "--key", server[1], "--ca", ca[0],
                  "--allow", "prometheus", "--allow", "scraper.example", *extra)


def good_ctx():
    return client_context(PKI["ca"][0], *PKI["prometheus"])


def failures(port, reason):
    _, _, body = scrape(port, good_ctx())
    return sample(body, f'promcxx_tls_handshake_failures_total{{reason="{reason}"}}')


def tls_1_1_context():
    """A client that offers TLS 1.1 only (the server must refuse it)."""
    ctx = good_ctx()
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer it at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


def expect_failure_counted(port, reason, before):
    wait_for(f"failure reason {reason} to be counted",
             lambda: failures(port, reason) == before + 1, 10)


def test_mtls_scrape_keepalive_and_gzip():
    t = mtls_target()
    try:
        conn = connect(t.port, good_ctx())
        status, headers, body = get(conn)
        assert status == 200, status
        first_socket = conn.sock
        assert conn.sock.version() in ("TLSv1.2", "TLSv1.3"), conn.sock.version()
        assert sample(body, 'tls_test_jobs_total{queue="a"}') == 7.0, body
        assert sample(body, "tls_test_temperature_celsius") == 42.5
        # keep-alive over TLS: the same connection answers again
        status, _, _ = get(conn)
        assert status == 200 and conn.sock is first_socket
        status, headers, zipped = get(conn, headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip", headers
        assert sample(gzip.decompress(zipped), 'tls_test_jobs_total{queue="a"}') == 7.0
        assert conn.sock is first_socket
        conn.close()
        # a name allowed through a DNS subjectAltName rather than the CN
        assert scrape(t.port, client_context(PKI["ca"][0], *PKI["by_san"]))[0] == 200
        # TLS 1.2 only, still accepted
        ctx12 = good_ctx()
        ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
        c = connect(t.port, ctx12)
        assert get(c)[0] == 200 and c.sock.version() == "TLSv1.2"
        c.close()
        _, _, body = scrape(t.port, good_ctx())
        assert sample(body, "promcxx_tls_handshakes_total") >= 4
        assert sample(body, "promcxx_tls_last_reload_successful") == 1.0
        assert sample(body, "promcxx_tls_certificate_expiry_timestamp_seconds") == certs.not_after(PKI["server"][0])
    finally:
        t.stop()


def test_refusals_are_clean_and_counted():
    t = mtls_target()
    try:
        port = t.port
        cases = [
            ("no_client_cert", client_context(PKI["ca"][0])),
            ("client_cert_untrusted", client_context(PKI["ca"][0], *PKI["foreign"])),
            ("client_cert_expired", client_context(PKI["ca"][0], *PKI["expired"])),
            ("client_name_not_allowed", client_context(PKI["ca"][0], *PKI["intruder"])),
            # the client distrusts our certificate (wrong CA on its side) and aborts with an alert
            ("peer_alert", client_context(PKI["other_ca"][0], *PKI["prometheus"])),
            ("protocol", tls_1_1_context()),
        ]
        for reason, ctx in cases:
            before = failures(port, reason)
            assert refused(port, ctx), reason
            expect_failure_counted(port, reason, before)
            assert scrape(port, good_ctx())[0] == 200, f"good scraper after {reason}"
    finally:
        t.stop()


def test_plain_http_on_tls_port_gets_a_readable_400():
    t = mtls_target()
    try:
        before = failures(t.port, "not_tls")
        with socket.create_connection(("127.0.0.1", t.port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.0 400 Bad Request\r\n"), answer
        assert b"Client sent an HTTP request to an HTTPS server." in answer, answer
        expect_failure_counted(t.port, "not_tls", before)
    finally:
        t.stop()


def test_stalled_handshakes_do_not_block_scrapes_and_time_out():
    t = mtls_target("--handshake-timeout-ms", "3000")
    try:
        before = failures(t.port, "timeout")
        silent = socket.create_connection(("127.0.0.1", t.port), timeout=5)
        # a TLS record header promising a ClientHello that never comes
        partial = socket.create_connection(("127.0.0.1", t.port), timeout=5)
        partial.sendall(bytes([22, 3, 1, 2, 0, 1]))
        for _ in range(5):
            status, _, body = scrape(t.port, good_ctx())
            assert status == 200 and sample(body, "tls_test_temperature_celsius") == 42.5
        # the stalled handshakes are still open: the scrapes above did not wait for them
        for s in (silent, partial):
            s.setblocking(False)
            try:
                data = s.recv(1)
                raise AssertionError(f"stalled connection answered or closed early: {data!r}")
            except BlockingIOError:
                pass
            s.setblocking(True)
            s.settimeout(15)
        # ... and the server closes them once the handshake timeout passes
        for s in (silent, partial):
            try:
                assert s.recv(1) == b""
            except ConnectionResetError:
                pass
            s.close()
        wait_for("two handshake timeouts counted", lambda: failures(t.port, "timeout") == before + 2, 10)
    finally:
        t.stop()


def test_bcrypt_basic_auth():
    hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 6))
    assert hashed.startswith("$2b$06$"), hashed
    t = mtls_target("--user", "prometheus", "--hash", hashed)
    try:
        ctx = good_ctx()
        conn = connect(t.port, ctx)
        status, headers, _ = get(conn)
        assert status == 401 and "Basic" in headers.get("WWW-Authenticate", ""), (status, headers)
        assert get(conn, headers=auth(password="wrong"))[0] == 401
        assert get(conn, headers=auth(user="nobody"))[0] == 401
        status, _, body = get(conn, headers=auth())
        assert status == 200 and sample(body, "tls_test_temperature_celsius") == 42.5
        assert get(conn, headers=auth())[0] == 200  # from the cache this time; same answer
        assert get(conn, headers=auth(password=PASSWORD + "x"))[0] == 401
        assert get(conn, path="/healthz")[0] == 200  # health stays unauthenticated
        conn.close()
    finally:
        t.stop()


def test_plaintext_password_in_new_config_is_refused():
    server, ca = PKI["server"], PKI["ca"]
    t = None
    try:
        t = target(BINARY, TMP, "--cert", server[0], "--key", server[1], "--user", "prometheus", "--hash", PASSWORD)
        raise AssertionError("a plaintext password in basic_auth_users was accepted")
    except AssertionError as e:
        assert "is not a bcrypt hash" in str(e), e
    finally:
        if t:
            t.stop()


def test_bad_configuration_is_refused_with_the_file_named():
    server = PKI["server"]
    for args, message in [
        (["--cert", server[0], "--key", PKI["prometheus"][1]], "cannot load key_file"),
        (["--cert", os.path.join(TMP, "missing.crt"), "--key", server[1]], "cannot load cert_file"),
        (["--cert", server[0], "--key", server[1], "--ca", os.path.join(TMP, "missing-ca.crt")],
         "cannot load client_ca_file"),
    ]:
        try:
            t = target(BINARY, TMP, *args)
            t.stop()
            raise AssertionError(f"{args} was accepted")
        except AssertionError as e:
            assert message in str(e), (message, str(e))


def test_expired_server_certificate_is_refused_by_the_client():
    server = PKI["server_expired"]
    t = target(BINARY, TMP, "--cert", server[0], "--key", server[1])
    try:
        try:
            scrape(t.port, client_context(PKI["ca"][0]))
            raise AssertionError("a client accepted an expired server certificate")
        except ssl.SSLCertVerificationError as e:
            assert "expired" in str(e), e
        def scraped(series):
            return sample(scrape(t.port, client_context(PKI["ca"][0], verify=False))[2], series)
        # the alert may reach the server after our next connection does
        wait_for("the client's alert to be counted",
                 lambda: scraped('promcxx_tls_handshake_failures_total{reason="peer_alert"}') == 1.0, 10)
        assert scraped("promcxx_tls_certificate_expiry_timestamp_seconds") < time.time()
    finally:
        t.stop()


def test_live_rotation_keeps_connections_and_rejects_bad_files():
    live_crt, live_key = os.path.join(TMP, "live.crt"), os.path.join(TMP, "live.key")
    certs.install(PKI["server"][0], live_crt)
    certs.install(PKI["server"][1], live_key)
    t = target(BINARY, TMP, "--cert", live_crt, "--key", live_key, "--reload-ms", "200")
    ctx = client_context(PKI["ca"][0])
    old_der = open(PKI["server"][0]).read()
    try:
        kept = connect(t.port, ctx)
        assert get(kept)[0] == 200
        kept_cert = kept.sock.getpeercert(binary_form=True)

        def served_cert():
            c = connect(t.port, ctx)
            try:
                get(c)
                return c.sock.getpeercert(binary_form=True)
            finally:
                c.close()
        assert served_cert() == kept_cert
        # rotate: key first, then certificate (a window where they do not match is expected)
        certs.install(PKI["server2"][1], live_key)
        certs.install(PKI["server2"][0], live_crt)
        wait_for("the new certificate on new connections", lambda: served_cert() != kept_cert, 15)
        new_cert = served_cert()
        # the established connection was not dropped and still works
        status, _, body = get(kept)
        assert status == 200 and kept.sock.getpeercert(binary_form=True) == kept_cert
        wait_for("the expiry gauge of the new certificate",
                 lambda: sample(scrape(t.port, ctx)[2], "promcxx_tls_certificate_expiry_timestamp_seconds")
                 == certs.not_after(PKI["server2"][0]))
        assert sample(scrape(t.port, ctx)[2], "promcxx_tls_last_reload_successful") == 1.0

        # a broken certificate file: the old credentials stay, the failure is reported
        failures_before = sample(scrape(t.port, ctx)[2], "promcxx_tls_reload_failures_total")
        with open(live_crt + ".new", "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        os.replace(live_crt + ".new", live_crt)
        wait_for("the failed reload to be reported",
                 lambda: sample(scrape(t.port, ctx)[2], "promcxx_tls_last_reload_successful") == 0.0)
        body = scrape(t.port, ctx)[2]
        assert sample(body, "promcxx_tls_reload_failures_total") >= failures_before + 1
        assert served_cert() == new_cert
        assert t.reload().startswith("failed: cannot load cert_file"), t.reload()
        assert get(kept)[0] == 200

        # repaired: the call reloads at once and succeeds
        certs.install(PKI["server2"][0], live_crt)
        assert t.reload() == "ok"
        assert sample(scrape(t.port, ctx)[2], "promcxx_tls_last_reload_successful") == 1.0
        kept.close()
        assert old_der  # the original file was only copied, never modified
    finally:
        t.stop()


def main():
    global BINARY, TMP
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not shutil.which("openssl"):
        print("SKIP: the openssl command line is not installed (Debian package openssl)")
        return 77
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson's timeout: run the finally blocks
    BINARY = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    TMP = tempfile.mkdtemp(prefix="promcxx-tls-test-")
    failed = 0
    try:
        make_pki()
        tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
        for name, f in tests:
            if wanted and name not in wanted:
                continue
            try:
                f()
                print(f"ok   {name}")
            except Exception as e:  # report every test, then fail
                failed += 1
                print(f"FAIL {name}: {type(e).__name__}: {e}")
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
