"""Test certificates made with the openssl command line (P-256 keys, short lifetimes).

Every function writes into a directory the caller owns (a mkdtemp) and returns paths.
"""
import os
import subprocess


def _run(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(directory, name):
    """A self-signed CA: returns (cert_path, key_path)."""
    crt, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", crt, "-days", "30", "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return crt, key


def make_cert(directory, name, ca, cn, usage, days=30, dns=None):
    """A leaf certificate signed by ca=(crt, key); usage 'server' or 'client'.

    days=-1 makes a certificate that expired a day ago. Returns (cert_path, key_path).
    """
    crt, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    csr, ext = os.path.join(directory, name + ".csr"), os.path.join(directory, name + ".ext")
    _run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", f"/CN={cn}")
    names = ", ".join(f"DNS:{d}" for d in (dns or [cn]))
    if usage == "server":
        names += ", IP:127.0.0.1"
    with open(ext, "w") as f:
        f.write(f"subjectAltName={names}\n")
        f.write("extendedKeyUsage=" + ("serverAuth" if usage == "server" else "clientAuth") + "\n")
    _run("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
         "-days", str(days), "-extfile", ext, "-out", crt)
    return crt, key


def not_after(cert_path):
    """notAfter of a certificate as Unix seconds (from openssl itself)."""
    out = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-enddate", "-dateopt", "iso_8601"],
                         check=True, capture_output=True, text=True).stdout.strip()
    # notAfter=2026-12-30 15:28:41Z
    import calendar
    import time
    return calendar.timegm(time.strptime(out.split("=", 1)[1], "%Y-%m-%d %H:%M:%SZ"))


def install(src, dst):
    """Replaces dst with a copy of src atomically (write, then rename), as deployment tools do."""
    tmp = dst + ".new"
    with open(src, "rb") as f, open(tmp, "wb") as g:
        g.write(f.read())
    os.replace(tmp, dst)
