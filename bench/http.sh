#!/usr/bin/env bash
# HTTP scrape throughput with wrk: requests/s and p99 latency for the example
# MPC node's page and for promcxx_bench_http_server's 100- and 10,000-series
# pages, each without and with gzip. Servers bind 127.0.0.1 only and are
# always stopped.
#
#   bench/http.sh BUILD_DIR DURATION_SECONDS OUT_JSON
#
# A missing piece (wrk, the node, the bench server) is skipped with a message
# and recorded as skipped in the JSON; the script still succeeds.
set -euo pipefail

build=${1:?usage: bench/http.sh BUILD_DIR DURATION_SECONDS OUT_JSON}
duration=${2:?duration in seconds}
out=${3:?output JSON file}
connections=4

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
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
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

measure() {  # page-name url
  local page=$1 url=$2 series bytes gzip_bytes
  series=$(curl -fsS --max-time 10 "$url" | grep -cv '^#' || true)
  bytes=$(curl -fsS --max-time 10 -o /dev/null -w '%{size_download}' "$url")
  gzip_bytes=$(curl -fsS --max-time 10 -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$url")
  for encoding in identity gzip; do
    local header=()
    [[ $encoding == gzip ]] && header=(-H 'Accept-Encoding: gzip')
    local report rps p99
    report=$(wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s --latency "${header[@]}" "$url")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$report")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
    echo "bench/http.sh: $page $encoding: $rps requests/s, p99 $p99" >&2
    rows+=("{\"page\": \"$page\", \"encoding\": \"$encoding\", \"sample_lines\": $series, \"body_bytes\": $([[ $encoding == gzip ]] && echo "$gzip_bytes" || echo "$bytes"), \"requests_per_second\": ${rps:-0}, \"p99\": \"${p99:-?}\"}")
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

# promcxx_bench_http_server: exactly 100 and 10,000 counter series.
server=$build/bench/promcxx_bench_http_server
if [[ -x $server ]]; then
  for series in 100 10000; do
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    "$server" --listen 127.0.0.1:0 --series "$series" >"$fifo" &
    pids+=($!)
    port=""
    read -r -t 30 port <"$fifo" || true
    rm -f "$fifo"
    if [[ -n $port ]] && wait_for "http://127.0.0.1:$port/metrics"; then
      measure "bench_server_${series}_series" "http://127.0.0.1:$port/metrics"
    else
      skip "bench_server_${series}_series" "promcxx_bench_http_server did not start"
    fi
  done
else
  skip bench_server "promcxx_bench_http_server is not built (needs include/promcxx/http_server.hpp)"
fi

write_json
