@echo off
rem Starts the MPC wallet monitoring stack on Windows (Docker Desktop).
rem   start-monitoring.bat              Prometheus, Alertmanager, Grafana, exporters
rem   start-monitoring.bat --scale-out  ... plus VictoriaMetrics
setlocal EnableExtensions EnableDelayedExpansion
cd /d "%~dp0"

set "PROFILE="
if /i "%~1"=="--scale-out" set "PROFILE=--profile scale-out"
if not "%~1"=="" if /i not "%~1"=="--scale-out" (
  echo start-monitoring: unknown option %~1 1>&2
  exit /b 1
)

where docker >nul 2>&1 || (echo start-monitoring: docker is not installed 1>&2 & exit /b 1)
docker info >nul 2>&1 || (echo start-monitoring: Docker is not running 1>&2 & exit /b 1)

set "COMPOSE=docker compose"
docker compose version >nul 2>&1 || set "COMPOSE=docker-compose --compatibility"

if not exist .env (
  echo start-monitoring: .env not found: copy .env.example .env and set GRAFANA_ADMIN_PASSWORD and POSTGRES_PASSWORD 1>&2
  exit /b 1
)
for %%V in (GRAFANA_ADMIN_PASSWORD POSTGRES_PASSWORD) do (
  set "VAL="
  for /f "usebackq tokens=1,* delims==" %%A in (".env") do if /i "%%A"=="%%V" set "VAL=%%B"
  if "!VAL!"=="" (
    echo start-monitoring: set %%V in .env - no default passwords are shipped 1>&2
    exit /b 1
  )
)

docker network inspect mpc-internal >nul 2>&1
if errorlevel 1 (
  echo start-monitoring: creating network mpc-internal
  docker network create mpc-internal >nul || exit /b 1
)

%COMPOSE% -f docker-compose.monitoring.yml %PROFILE% config -q || exit /b 1
%COMPOSE% -f docker-compose.monitoring.yml %PROFILE% up -d || exit /b 1

set "CONTAINERS=mpc-prometheus mpc-alertmanager mpc-grafana mpc-postgres-exporter mpc-cadvisor mpc-node-exporter mpc-blackbox-exporter"
if defined PROFILE set "CONTAINERS=%CONTAINERS% mpc-victoriametrics"
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
echo Grafana       http://localhost:3000
echo Prometheus    http://localhost:9090
echo Alertmanager  http://localhost:9093
echo cAdvisor      http://localhost:8088
exit /b 0
