#!/usr/bin/env bash
# Starts the MPC wallet monitoring stack and waits until every container is
# healthy. Run from anywhere; it works in the directory holding this script.
#
#   ./start-monitoring.sh               Prometheus, Alertmanager, Grafana, exporters
#   ./start-monitoring.sh --scale-out   ... plus VictoriaMetrics (remote_write target)
#   ./start-monitoring.sh --no-wait     do not wait for the health checks
#
# Environment: HEALTH_TIMEOUT (seconds to wait for health, default 180).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
cd "$here"

readonly compose_file=docker-compose.monitoring.yml
readonly network=mpc-internal
readonly required_vars=(GRAFANA_ADMIN_PASSWORD POSTGRES_PASSWORD)
health_timeout=${HEALTH_TIMEOUT:-180}
scale_out=false
wait_health=true

die() {
  echo "start-monitoring: $*" >&2
  exit 1
}

usage() {
  sed -n '2,9p' "$self" | sed 's/^# \{0,1\}//'
}

for arg in "$@"; do
  case "$arg" in
    --scale-out) scale_out=true ;;
    --no-wait) wait_health=false ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option '$arg' (see --help)" ;;
  esac
done
[[ "$health_timeout" =~ ^[0-9]+$ ]] || die "HEALTH_TIMEOUT must be a number of seconds, got '$health_timeout'"

# 1. Docker and a compose implementation.
command -v docker >/dev/null 2>&1 || die "docker is not installed (https://docs.docker.com/engine/install/)"
docker info >/dev/null 2>&1 || die "cannot talk to the Docker daemon: is it running, and may this user use it?"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  # --compatibility: docker-compose 1.x applies deploy.resources.limits only with it.
  compose=(docker-compose --compatibility)
else
  die "neither 'docker compose' nor 'docker-compose' is available"
fi

# 2. .env with every required value set (compose would also refuse, later).
[[ -f .env ]] || die ".env not found: cp .env.example .env and fill in ${required_vars[*]}"
env_value() {
  # Last assignment wins, as in compose; surrounding quotes are dropped.
  local v
  v=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" .env | tail -n 1)
  v=${v%\"}; v=${v#\"}; v=${v%\'}; v=${v#\'}
  printf '%s' "$v"
}
missing=()
for var in "${required_vars[@]}"; do
  [[ -n "$(env_value "$var")" ]] || missing+=("$var")
done
((${#missing[@]} == 0)) || die "set ${missing[*]} in .env (no default passwords are shipped)"
if [[ "$(env_value GRAFANA_BIND)" == "0.0.0.0" ]]; then
  echo "start-monitoring: warning: GRAFANA_BIND=0.0.0.0 exposes Grafana on every interface; prefer a TLS reverse proxy" >&2
fi

# 3. The network shared with the main MPC stack.
if ! docker network inspect "$network" >/dev/null 2>&1; then
  echo "start-monitoring: network $network not found (is the main MPC stack up?); creating it"
  docker network create "$network" >/dev/null || die "could not create network $network"
fi

# 4. Validate, then start.
profile=()
$scale_out && profile=(--profile scale-out)
"${compose[@]}" -f "$compose_file" "${profile[@]}" config -q || die "$compose_file does not validate"
"${compose[@]}" -f "$compose_file" "${profile[@]}" up -d || die "docker compose up failed"

# 5. Wait for the health checks of our containers.
containers=(mpc-prometheus mpc-alertmanager mpc-grafana mpc-postgres-exporter mpc-cadvisor
  mpc-node-exporter mpc-blackbox-exporter)
$scale_out && containers+=(mpc-victoriametrics)
if $wait_health; then
  echo "start-monitoring: waiting up to ${health_timeout}s for ${#containers[@]} containers to become healthy"
  deadline=$((SECONDS + health_timeout))
  while :; do
    pending=()
    for c in "${containers[@]}"; do
      status=$(docker inspect --format '{{.State.Health.Status}}' "$c" 2>/dev/null || echo missing)
      [[ "$status" == healthy ]] || pending+=("$c:$status")
    done
    ((${#pending[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      die "not healthy after ${health_timeout}s: ${pending[*]} (docker logs <name> shows why)"
    fi
    sleep 5
  done
  echo "start-monitoring: all containers healthy"
fi

cat <<EOF
Grafana       http://localhost:3000   (user $(env_value GRAFANA_ADMIN_USER | sed 's/^$/admin/'))
Prometheus    http://localhost:9090   (targets: /targets, alerts: /alerts)
Alertmanager  http://localhost:9093
cAdvisor      http://localhost:8088
EOF
$scale_out && echo "VictoriaMetrics http://localhost:8428"
exit 0
