#!/usr/bin/env bash
# Certificates for the multi-host layout: a private CA, a server certificate
# per MPC host (its MPC node and node_exporter serve HTTPS with it) and a
# client certificate for the central Prometheus (mutual TLS: the agents
# answer only clients the CA signed).
#
#   make-certs.sh OUTDIR HOST [HOST...]
#
# HOST is the name (or IP address) Prometheus scrapes, as in targets/*.json;
# NAME=SANS instead writes NAME.pem for the given subjectAltName list (e.g.
# node-1=IP:127.0.0.1,DNS:node-1: the local launcher's nodes share one address).
# Writes into OUTDIR (created, mode 700): ca.pem + ca-key.pem (keep the key
# offline), HOST.pem + HOST-key.pem per host, prometheus.pem +
# prometheus-key.pem. An existing CA is reused, so adding a host later keeps
# the others valid. Certificates last 397 days (CERT_DAYS overrides); rerun before they expire
# (TLSCertificateExpiringSoon watches them through the MPC nodes' own expiry gauge;
# a host's node_exporter serves the same certificate).
# Keys are EC P-256, readable by their owner and group 65534 (the containers'
# user) only.
set -euo pipefail

die() { echo "make-certs: $*" >&2; exit 1; }
(($# >= 2)) || die "usage: make-certs.sh OUTDIR HOST [HOST...]"
out=$1; shift
command -v openssl >/dev/null || die "openssl not found"
umask 077
mkdir -p "$out"
days=${CERT_DAYS:-397}
if ! [[ $days =~ ^[0-9]+$ ]] || ((days == 0)); then die "CERT_DAYS must be a positive number of days"; fi

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
share_key() { # the containers run as 65534: let that group read the key, nobody else
  chmod 640 "$1"
  chgrp 65534 "$1" 2>/dev/null || true
}

if [[ ! -s $out/ca.pem ]]; then
  key "$out/ca-key.pem"
  openssl req -x509 -new -key "$out/ca-key.pem" -sha256 -days 3650 -subj "/CN=mpc-monitoring CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.pem" 2>/dev/null || die "cannot create the CA"
  echo "make-certs: new CA $out/ca.pem"
fi
chmod 644 "$out/ca.pem"

sign() { # sign NAME SUBJECT_ALT_NAMES EXTENDED_KEY_USAGE
  local name=$1 san=$2 eku=$3 ext
  key "$out/$name-key.pem"
  ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$eku" "${san:+subjectAltName=$san}" >"$ext"
  openssl req -new -key "$out/$name-key.pem" -subj "/CN=$name" -out "$out/$name.csr" 2>/dev/null
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" -CAcreateserial \
    -days "$days" -sha256 -extfile "$ext" -out "$out/$name.pem" 2>/dev/null || die "cannot sign $name"
  rm -f "$ext" "$out/$name.csr"
  chmod 644 "$out/$name.pem"
  share_key "$out/$name-key.pem"
}

for host in "$@"; do
  if [[ $host == *=* ]]; then san=${host#*=}; host=${host%%=*}
  elif [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san="IP:$host"; else san="DNS:$host"; fi
  [[ -n $host && $host != */* ]] || die "bad host name '$host'"
  sign "$host" "$san" serverAuth
  echo "make-certs: $out/$host.pem (server, $san)"
done
sign prometheus "" clientAuth
echo "make-certs: $out/prometheus.pem (client certificate of the central Prometheus)"
