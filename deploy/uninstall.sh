#!/usr/bin/env bash
# Stops the Dokkaa processes deploy/install.sh started (by their recorded pids), and
# only those. Containers keep running (static stability): delete their manifests
# first if you want them gone. etcd and dockerd are left as they are.
set -euo pipefail
RUN_DIR=${DOKKAA_RUN_DIR:-/run/dokkaa}
for name in builder ambassador conductor; do
  pidfile=$RUN_DIR/$name.pid
  [[ -f $pidfile ]] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    echo "$name: stopped (pid $pid)"
  fi
  rm -f "$pidfile"
done
