#!/usr/bin/env bash
# Backs up a Prometheus replica: TSDB snapshot through the admin API (hard
# links inside the data directory, no downtime), copied out, then removed
# from the data directory. Restore: restore.sh prometheus (README "Backups").
#
#   prometheus-snapshot.sh --url URL --dest DIR (--data-dir DIR | --container NAME)
#                          [--user USER --password-file FILE]
#
#   --url             Prometheus base URL (http://127.0.0.1:9090)
#   --dest            where the backup goes: DIR/prometheus-<snapshot name>/
#   --data-dir        Prometheus' --storage.tsdb.path as seen from here, or
#   --container       the container running it (docker cp /prometheus/snapshots/...)
#   --user, --password-file   basic auth (the stack: monitor, secrets/monitoring_password)
# Prints the backup directory on success.
set -euo pipefail

die() { echo "prometheus-snapshot: $*" >&2; exit 1; }
url='' dest='' data_dir='' container='' user='' password_file=''
while (($#)); do
  case $1 in
    --url) url=${2:?}; shift 2 ;;
    --dest) dest=${2:?}; shift 2 ;;
    --data-dir) data_dir=${2:?}; shift 2 ;;
    --container) container=${2:?}; shift 2 ;;
    --user) user=${2:?}; shift 2 ;;
    --password-file) password_file=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ -n $url && -n $dest ]] || die "--url and --dest are required"
[[ -n $data_dir || -n $container ]] || die "--data-dir or --container is required"
auth=()
if [[ -n $user ]]; then
  [[ -r $password_file ]] || die "--password-file '$password_file' not readable"
  # curl reads the credentials from a file descriptor: never on the command line.
  auth=(--netrc-file <(printf 'machine %s login %s password %s\n' \
    "$(sed -E 's#^[a-z]+://([^:/]+).*#\1#' <<<"$url")" "$user" "$(<"$password_file")"))
fi

reply=$(curl -fsS --max-time 300 -X POST "${auth[@]}" "$url/api/v1/admin/tsdb/snapshot") ||
  die "snapshot request failed (admin API enabled? credentials?)"
name=$(sed -nE 's/.*"name":"([^"]+)".*/\1/p' <<<"$reply")
[[ -n $name ]] || die "unexpected answer: $reply"
target="$dest/prometheus-$name"
mkdir -p "$dest"
if [[ -n $container ]]; then
  docker cp "$container:/prometheus/snapshots/$name" "$target" || die "docker cp failed"
  docker exec "$container" rm -rf "/prometheus/snapshots/$name" || true
else
  [[ -d "$data_dir/snapshots/$name" ]] || die "snapshot $name not found under $data_dir/snapshots"
  cp -a "$data_dir/snapshots/$name" "$target"
  rm -rf "${data_dir:?}/snapshots/$name"
fi
[[ -n $(ls -A "$target") ]] || die "snapshot $name is empty (no data yet?)"
echo "$target"
