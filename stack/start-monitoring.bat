@echo off
rem Starts the MPC wallet monitoring stack on Windows (Docker Desktop).
rem   start-monitoring.bat   2 Prometheus, 3 Alertmanager, Grafana, VictoriaMetrics, exporters
rem Needs .env (copy .env.example .env) and the files of secrets\README.md,
rem including secrets\web-config.yml (bcrypt hash of the monitoring password:
rem start-monitoring.sh writes it on Linux; README.md, "Windows", shows how).
setlocal EnableExtensions EnableDelayedExpansion
cd /d "%~dp0"

if not "%~1"=="" (
  echo start-monitoring: unknown option %~1 1>&2
  exit /b 1
)

where docker >nul 2>&1 || (echo start-monitoring: docker is not installed 1>&2 & exit /b 1)
docker info >nul 2>&1 || (echo start-monitoring: Docker is not running 1>&2 & exit /b 1)

set "COMPOSE=docker compose"
docker compose version >nul 2>&1 || set "COMPOSE=docker-compose --compatibility"

if not exist .env (
  echo start-monitoring: .env not found: copy .env.example .env 1>&2
  exit /b 1
)
for %%S in (monitoring_password web-config.yml grafana_admin_password grafana_secret_key postgres_password smtp_password slack_webhook_url pagerduty_routing_key pagerduty_security_routing_key heartbeat_api_key) do (
  if not exist "secrets\%%S" (
    echo start-monitoring: secrets\%%S is missing - see secrets\README.md; no default passwords are shipped 1>&2
    exit /b 1
  )
)
rem Mutual TLS to the MPC nodes: multi-host/make-certs.sh secrets/tls node-1 ... node-5 (in WSL; README.md).
for %%S in (ca.pem prometheus.pem prometheus-key.pem) do (
  if not exist "secrets\tls\%%S" (
    echo start-monitoring: secrets\tls\%%S is missing - create it with multi-host/make-certs.sh, see README.md 1>&2
    exit /b 1
  )
)

rem Docker Desktop cannot propagate host mounts (rslave): mount the root read-only only.
set "NODE_EXPORTER_ROOT_MOUNT=ro"

docker network inspect mpc-internal >nul 2>&1
if errorlevel 1 (
  echo start-monitoring: creating network mpc-internal
  docker network create mpc-internal >nul || exit /b 1
)

%COMPOSE% -f docker-compose.monitoring.yml config -q || exit /b 1
%COMPOSE% -f docker-compose.monitoring.yml up -d || exit /b 1

set "CONTAINERS=mpc-prometheus-1 mpc-prometheus-2 mpc-alertmanager-1 mpc-alertmanager-2 mpc-alertmanager-3 mpc-grafana mpc-postgres-exporter mpc-cadvisor mpc-node-exporter mpc-blackbox-exporter mpc-victoriametrics"
echo start-monitoring: waiting up to 180s for the containers to become healthy
for /l %%I in (1,1,36) do (
  set "PENDING="
  for %%C in (%CONTAINERS%) do (
    set "STATUS=missing"
    for /f "usebackq delims=" %%S in (`docker inspect --format "{{.State.Health.Status}}" %%C 2^>nul`) do set "STATUS=%%S"
    if not "!STATUS!"=="healthy" set "PENDING=!PENDING! %%C:!STATUS!"
  )
  if not defined PENDING goto healthy
  timeout /t 5 /nobreak >nul
)
echo start-monitoring: not healthy after 180s:!PENDING! 1>&2
exit /b 1

:healthy
echo start-monitoring: all containers healthy
echo Grafana         http://localhost:3000
echo Prometheus      http://localhost:9090 and :9091 (user monitor)
echo Alertmanager    http://localhost:9093, :9095, :9096
echo VictoriaMetrics http://localhost:8428
echo cAdvisor        http://localhost:8088
exit /b 0
