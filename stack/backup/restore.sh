#!/usr/bin/env bash
# Restores a backup made by prometheus-snapshot.sh or vm-backup.sh into an
# EMPTY data directory; start the server on that directory afterwards.
#
#   restore.sh prometheus BACKUP_DIR TSDB_DIR
#       copies the snapshot's blocks; start Prometheus with
#       --storage.tsdb.path=TSDB_DIR (the replica being restored stopped)
#   restore.sh victoriametrics SRC DATA_DIR [VMRESTORE]
#       vmrestore -src=SRC -storageDataPath=DATA_DIR; VictoriaMetrics stopped
#
# The end-to-end test (tests/e2e/check.py) runs both once and queries the
# restored servers.
set -euo pipefail

die() { echo "restore: $*" >&2; exit 1; }
empty_dir() { # empty_dir DIR: create it, or insist that it is empty
  mkdir -p "$1"
  [[ -z $(ls -A "$1") ]] || die "$1 is not empty: restore into a fresh directory"
}
kind=${1:-}
case $kind in
  prometheus)
    (($# == 3)) || die "usage: restore.sh prometheus BACKUP_DIR TSDB_DIR"
    src=$2 dest=$3
    [[ -d $src ]] || die "$src is not a directory"
    compgen -G "$src/*/meta.json" >/dev/null || die "$src holds no TSDB block (*/meta.json)"
    empty_dir "$dest"
    cp -a "$src"/. "$dest"/
    echo "restored $(find "$dest" -name meta.json | wc -l) blocks into $dest"
    ;;
  victoriametrics)
    (($# == 3 || $# == 4)) || die "usage: restore.sh victoriametrics SRC DATA_DIR [VMRESTORE]"
    src=$2 dest=$3 vmrestore=${4:-vmrestore}
    command -v "$vmrestore" >/dev/null || die "vmrestore not found (Debian package victoria-metrics)"
    empty_dir "$dest"
    "$vmrestore" -src="$src" -storageDataPath="$dest" -loggerLevel=ERROR || die "vmrestore failed"
    echo "restored $src into $dest"
    ;;
  -h | --help | '') sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown kind '$kind': prometheus or victoriametrics" ;;
esac
