#!/usr/bin/env bash
# Stop the services start-services.sh started, by the pids it recorded in the state
# dir — never anything found by name, so a hand-started dockerd or etcd is left alone.
#
# Usage: stop-services.sh [registry] [etcd] [dockerd]   (default: all three)
#
# Environment: DOKKAA_STATE_DIR (/var/lib/dokkaa-bed), as for start-services.sh.
set -euo pipefail

STATE_DIR=${DOKKAA_STATE_DIR:-/var/lib/dokkaa-bed}

services=("$@")
if ((${#services[@]} == 0)); then services=(registry etcd dockerd); fi

binary_of() {
  case $1 in
    dockerd) echo dockerd ;;
    etcd) echo etcd ;;
    registry) echo docker-registry ;;
    *) echo "stop-services: unknown service $1" >&2; return 1 ;;
  esac
}

# Dependents first: the registry and etcd do not need docker, but containers that
# tests left behind may still talk to them while dockerd shuts them down.
ordered=()
for s in registry etcd dockerd; do
  for want in "${services[@]}"; do
    if [[ $want == "$s" ]]; then ordered+=("$s"); break; fi
  done
done
for want in "${services[@]}"; do binary_of "$want" >/dev/null || exit 2; done

# A killed daemon is reparented to pid 1; if that init does not reap, the process
# lingers as a zombie, which kill -0 still reports. A zombie counts as gone.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

status=0
for name in "${ordered[@]}"; do
  pidfile=$STATE_DIR/pids/$name.pid
  if [[ ! -s $pidfile ]]; then
    echo "$name: not started by the bed"
    continue
  fi
  pid=$(<"$pidfile")
  bin=$(binary_of "$name")
  # Guard against a recycled pid: it must still be the binary we started.
  if ! [[ $pid =~ ^[0-9]+$ ]] || ! alive "$pid" ||
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -d' ' -f1) != *"$bin" ]]; then
    echo "$name: already gone (pid $pid)"
    rm -f "$pidfile"
    continue
  fi
  kill -TERM "$pid"
  # dockerd gives each running container 10-15 s to stop; allow for that.
  for ((i = 0; i < 160; i++)); do
    alive "$pid" || break
    sleep 0.25
  done
  if alive "$pid"; then
    echo "$name: pid $pid ignored SIGTERM for 40s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  if alive "$pid"; then
    echo "$name: could not stop pid $pid" >&2
    status=1
  else
    rm -f "$pidfile"
    echo "$name: stopped (pid $pid)"
  fi
done
exit $status
