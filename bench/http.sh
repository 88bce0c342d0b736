#!/usr/bin/env bash
# HTTP scrape throughput with wrk: requests/s and p99 latency for the example
# MPC node's page and for promcxx_bench_http_server's 100- and 10,000-series
# pages, each without and with gzip, in the same run:
#   - promcxx over plain HTTP,
#   - promcxx over HTTPS (TLS keep-alive: wrk reuses its connections, so this is
#     the cost of encryption, not of handshakes; self-signed certificate made here
#     with openssl),
#   - client_golang's promhttp serving the same series (same names, labels and
#     values), built here offline from Debian's golang-go and
#     golang-github-prometheus-client-golang-dev in GOPATH mode (GO111MODULE=off,
#     GOPROXY=off: nothing is downloaded).
# Servers bind 127.0.0.1 only and are always stopped. It asserts nothing: it reports.
#
#   bench/http.sh BUILD_DIR DURATION_SECONDS OUT_JSON
#
# A missing piece (wrk, the node, the bench server, go, openssl) is skipped with a
# message and recorded as skipped in the JSON; the script still succeeds.
set -euo pipefail

build=${1:?usage: bench/http.sh BUILD_DIR DURATION_SECONDS OUT_JSON}
duration=${2:?duration in seconds}
out=${3:?output JSON file}
connections=4

pids=()
work=$(mktemp -d "${TMPDIR:-/tmp}/promcxx-bench-http.XXXXXX")
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

rows=()
skip() {  # name reason
  echo "bench/http.sh: skipping $1: $2" >&2
  rows+=("{\"page\": \"$1\", \"skipped\": \"$2\"}")
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # url: bounded wait until the server answers
  for _ in $(seq 1 100); do
    curl -kfsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

measure() {  # page-name url [server]
  local base=$1 url=$2 server=${3:-promcxx} series bytes gzip_bytes page=$1
  # Unique page names keep bench/report.py's one-row-per-page table readable.
  [[ $url == https:* ]] && page="$base (https)"
  [[ $server != promcxx ]] && page="$base ($server)"
  series=$(curl -kfsS --max-time 10 "$url" | grep -cv '^#' || true)
  bytes=$(curl -kfsS --max-time 10 -o /dev/null -w '%{size_download}' "$url")
  gzip_bytes=$(curl -kfsS --max-time 10 -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$url")
  for encoding in identity gzip; do
    local header=()
    [[ $encoding == gzip ]] && header=(-H 'Accept-Encoding: gzip')
    local report rps p99
    report=$(wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s --latency "${header[@]}" "$url")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$report")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
    echo "bench/http.sh: $page $server ${url%%:*} $encoding: $rps requests/s, p99 $p99" >&2
    rows+=("{\"page\": \"$page\", \"base_page\": \"$base\", \"server\": \"$server\", \"scheme\": \"${url%%:*}\", \"encoding\": \"$encoding\", \"sample_lines\": $series, \"body_bytes\": $([[ $encoding == gzip ]] && echo "$gzip_bytes" || echo "$bytes"), \"requests_per_second\": ${rps:-0}, \"p99\": \"${p99:-?}\"}")
  done
}

write_json() {
  {
    echo "{\"wrk\": \"-t1 -c$connections -d${duration}s\", \"pages\": ["
    local first=1
    for row in "${rows[@]}"; do
      [[ $first == 1 ]] || echo ","
      first=0
      printf '  %s' "$row"
    done
    echo
    echo "]}"
  } >"$out"
  # Same-run ratios: promcxx (http, https) over client_golang, per page and encoding.
  /usr/bin/python3 - "$out" <<'PY' >&2 || true
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["pages"] if "requests_per_second" in r]
go = {(r["base_page"], r["encoding"]): r for r in rows if r["server"] == "client_golang"}
for r in rows:
    g = go.get((r["base_page"], r["encoding"]))
    if r["server"] == "promcxx" and g and g["requests_per_second"]:
        print(f"bench/http.sh: {r['base_page']} {r['encoding']}: promcxx {r['scheme']} {r['requests_per_second']:.0f} req/s "
              f"(p99 {r['p99']}) vs client_golang http {g['requests_per_second']:.0f} req/s (p99 {g['p99']}): "
              f"{r['requests_per_second'] / g['requests_per_second']:.2f}x")
PY
}

if ! command -v wrk >/dev/null; then
  skip all "wrk is not installed (Debian package wrk)"
  write_json
  exit 0
fi

# The example node: its natural page (a few hundred sample lines).
node=$build/examples/mpc_node
[[ -x $node ]] || node=$(dirname "$build")/build/examples/mpc_node
if [[ -x $node ]]; then
  port=$(free_port)
  "$node" --listen "127.0.0.1:$port" --node-id node-1 --threshold 3 --total-nodes 5 >/dev/null 2>&1 &
  pids+=($!)
  if wait_for "http://127.0.0.1:$port/metrics"; then
    measure mpc_node "http://127.0.0.1:$port/metrics"
  else
    skip mpc_node "mpc_node did not answer on 127.0.0.1:$port within 10 s"
  fi
else
  skip mpc_node "examples/mpc_node is not built yet (examples helper); build it and rerun"
fi

start() {  # sets port: runs "$@" (which prints its port first) in the background
  local fifo
  fifo=$(mktemp -u "$work/fifo.XXXXXX")
  mkfifo "$fifo"
  "$@" >"$fifo" &
  pids+=($!)
  port=""
  read -r -t 30 port <"$fifo" || true
  rm -f "$fifo"
}

# A self-signed certificate for the HTTPS rows (wrk does not verify it).
tls_args=()
if command -v openssl >/dev/null &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
    -out "$work/cert.pem" -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
  tls_args=(--cert "$work/cert.pem" --key "$work/key.pem")
fi

# client_golang's promhttp with the same series, built offline (GOPATH mode, Debian's sources).
go_server=""
if command -v go >/dev/null && [[ -d /usr/share/gocode/src/github.com/prometheus/client_golang ]]; then
  mkdir -p "$work/go"
  cat >"$work/go/main.go" <<'GO'
// The promcxx bench page (N/100 counter families x 100 instance_id values, value v+1)
// served by client_golang's promhttp handler (gzip when accepted, as Prometheus asks).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address")
	series := flag.Int("series", 10000, "counter series (a multiple of 100)")
	flag.Parse()
	reg := prometheus.NewRegistry()
	for f := 0; f < *series/100; f++ {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: fmt.Sprintf("bench_counter_%03d_total", f), Help: "Benchmark counter family."},
			[]string{"instance_id"})
		reg.MustRegister(c)
		for v := 0; v < 100; v++ {
			c.WithLabelValues(fmt.Sprintf("instance-%03d", v)).Add(float64(v + 1))
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	fmt.Fprintln(os.Stderr, http.Serve(ln, mux))
}
GO
  if (cd "$work/go" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' GOCACHE="$work/go/cache" \
    go build -o "$work/go/promhttp_bench" main.go) >"$work/go/build.log" 2>&1; then
    go_server=$work/go/promhttp_bench
  else
    skip client_golang "go build failed offline: $(tail -1 "$work/go/build.log" | tr -d '"')"
  fi
else
  skip client_golang "golang-go or golang-github-prometheus-client-golang-dev is not installed"
fi

# promcxx_bench_http_server: exactly 100 and 10,000 counter series (plus its own self-metrics).
server=$build/bench/promcxx_bench_http_server
for series in 100 10000; do
  page="bench_server_${series}_series"
  if [[ -x $server ]]; then
    start "$server" --listen 127.0.0.1:0 --series "$series"
    if [[ -n $port ]] && wait_for "http://127.0.0.1:$port/metrics"; then
      measure "$page" "http://127.0.0.1:$port/metrics" promcxx
    else
      skip "$page" "promcxx_bench_http_server did not start"
    fi
    if [[ ${#tls_args[@]} -gt 0 ]]; then
      start "$server" --listen 127.0.0.1:0 --series "$series" "${tls_args[@]}"
      if [[ -n $port ]] && wait_for "https://127.0.0.1:$port/metrics"; then
        measure "$page" "https://127.0.0.1:$port/metrics" promcxx
      else
        skip "${page}_https" "promcxx_bench_http_server did not serve HTTPS (built without OpenSSL?)"
      fi
    else
      skip "${page}_https" "openssl could not make a certificate"
    fi
  else
    skip "$page" "promcxx_bench_http_server is not built (needs include/promcxx/http_server.hpp)"
  fi
  if [[ -n $go_server ]]; then
    start "$go_server" -listen 127.0.0.1:0 -series "$series"
    if [[ -n $port ]] && wait_for "http://127.0.0.1:$port/metrics"; then
      measure "$page" "http://127.0.0.1:$port/metrics" client_golang
    else
      skip "${page}_client_golang" "the promhttp server did not start"
    fi
  fi
  # Servers of this page are done: stop them so the next page has the CPUs to itself.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
done

write_json
