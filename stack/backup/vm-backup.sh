#!/usr/bin/env bash
# Backs up VictoriaMetrics with vmbackup: an instant snapshot through
# /snapshot/create, copied to DEST (fs://, or any vmbackup -dst such as
# s3://bucket/path). Incremental when DEST already holds a backup.
# Restore: restore.sh victoriametrics (README "Backups").
#
#   vm-backup.sh --vm-url URL --data-dir DIR --dst DST [--vmbackup PATH]
#
#   --vm-url     VictoriaMetrics base URL (http://127.0.0.1:8428)
#   --data-dir   its -storageDataPath as seen from here (vmbackup reads the
#                snapshot's files directly: run this on the same host/volume)
#   --dst        fs:///absolute/dir or another vmbackup destination
set -euo pipefail

die() { echo "vm-backup: $*" >&2; exit 1; }
vm_url='' data_dir='' dst='' vmbackup=vmbackup
while (($#)); do
  case $1 in
    --vm-url) vm_url=${2:?}; shift 2 ;;
    --data-dir) data_dir=${2:?}; shift 2 ;;
    --dst) dst=${2:?}; shift 2 ;;
    --vmbackup) vmbackup=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ -n $vm_url && -n $data_dir && -n $dst ]] || die "--vm-url, --data-dir and --dst are required"
command -v "$vmbackup" >/dev/null || die "vmbackup not found (Debian package victoria-metrics)"
if [[ $dst == fs://* ]]; then mkdir -p "${dst#fs://}"; fi
"$vmbackup" -storageDataPath="$data_dir" -snapshot.createURL="$vm_url/snapshot/create" \
  -snapshot.deleteURL="$vm_url/snapshot/delete" -dst="$dst" -loggerLevel=ERROR ||
  die "vmbackup failed"
echo "$dst"
