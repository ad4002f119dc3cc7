#!/usr/bin/env bash
# Start the services the integration tests need — dockerd, etcd, a local image
# registry — but only those not already answering, so it is safe to run again and
# again. What it starts is recorded by pid in the state dir, so stop-services.sh
# stops exactly that and never a daemon somebody else started.
#
# Usage: start-services.sh [--install-only | --no-install]
#
# Environment (all optional):
#   DOKKAA_STATE_DIR      pids, logs, etcd data, registry storage  (/var/lib/dokkaa-bed)
#   DOCKER_HOST           engine to check/start, unix:// only for starting
#                                                          (unix:///var/run/docker.sock)
#   DOKKAA_DOCKERD_ARGS   extra dockerd flags, e.g. "--bip=10.99.0.1/24"
#   DOKKAA_TEST_ETCD      etcd client URL to check/start   (http://127.0.0.1:23790: the
#                         installed Dokkaa's own etcd, TLS-only, holds 127.0.0.1:2379)
#   DOKKAA_TEST_REGISTRY  registry host:port to check/start (127.0.0.1:5000)
#   DOKKAA_STARTED_FILE   if set, the name of every service started now is appended
#                         to it (.ci/run uses it to stop only what it started)
#   DOKKAA_SERVICES       which to check/start, of "dockerd etcd registry" (all three)
#   An https:// DOKKAA_TEST_ETCD is started TLS-only with client-certificate auth
#   (deploy/install.sh's etcd), and needs the PEM files:
#   DOKKAA_ETCD_CA        the CA clients' and peers' certificates must chain to
#   DOKKAA_ETCD_SERVER_CERT, DOKKAA_ETCD_SERVER_KEY  etcd's own (server and peer) pair
#   DOKKAA_ETCD_CERT, DOKKAA_ETCD_KEY  a client pair with etcd's root role, for the
#                         health check and space reclaim below (the admin's)
#   DOKKAA_ETCD_NAME      the member's name (dokkaa-bed)
set -euo pipefail

STATE_DIR=${DOKKAA_STATE_DIR:-/var/lib/dokkaa-bed}
DOCKER_URL=${DOCKER_HOST:-unix:///var/run/docker.sock}
ETCD_URL=${DOKKAA_TEST_ETCD:-http://127.0.0.1:23790}
REGISTRY_ADDR=${DOKKAA_TEST_REGISTRY:-127.0.0.1:5000}
SERVICES=" ${DOKKAA_SERVICES:-dockerd etcd registry} "
ETCD_NAME=${DOKKAA_ETCD_NAME:-dokkaa-bed}
# The docker CLI may be newer than the 20.10 daemon (API 1.41); pin the API so any
# CLI version talks to it.
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}

PACKAGES=(docker.io etcd-server etcd-client busybox-static dnsutils docker-registry gcc libc6-dev
  iproute2 iptables curl ca-certificates util-linux tar chromium openssh-server apache2-utils openssl pebble)

mode=${1:-all}
case $mode in
  all | --install-only | --no-install) ;;
  *) echo "usage: $0 [--install-only | --no-install]" >&2; exit 2 ;;
esac

log() { echo "$*"; }
die() { echo "start-services: $*" >&2; exit 1; }

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "packages: already installed"
    return
  fi
  log "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Without systemd the packages' postinst cannot start their services; that is
  # fine, this script starts them itself.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- bookkeeping ---------------------------------------------------------------

pid_file() { echo "$STATE_DIR/pids/$1.pid"; }

record_started() { # name pid
  echo "$2" >"$(pid_file "$1")"
  if [[ -n ${DOKKAA_STARTED_FILE:-} ]]; then echo "$1" >>"$DOKKAA_STARTED_FILE"; fi
  log "$1: started (pid $2)"
}

# Start a daemon in its own session (so a Ctrl-C or a CI job's process-group kill
# does not take it down behind our back) and return its pid in $spawned_pid.
# In a non-interactive bash the child is not a group leader, so setsid does not
# fork again and $! is the daemon's own pid.
spawn() { # logfile cmd...
  local logfile=$1
  shift
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  spawned_pid=$!
}

# kill -0 also succeeds for a zombie (a daemon that died while we still are its
# parent), so look at the process state instead.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

wait_ready() { # name pid logfile timeout-seconds check-function
  local name=$1 pid=$2 logfile=$3 timeout=$4 check=$5 waited=0
  until "$check"; do
    if ! alive "$pid"; then
      echo "$name exited while starting; last lines of $logfile:" >&2
      tail -n 30 "$logfile" >&2 || true
      rm -f "$(pid_file "$name")"
      die "$name failed to start"
    fi
    if ((waited >= timeout * 4)); then
      tail -n 30 "$logfile" >&2 || true
      die "$name (pid $pid) not ready after ${timeout}s; see $logfile (left running, recorded in $(pid_file "$name"))"
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
}

# --- dockerd -------------------------------------------------------------------

docker_sock=""
if [[ $DOCKER_URL == unix://* ]]; then docker_sock=${DOCKER_URL#unix://}; fi

docker_ok() {
  if [[ -n $docker_sock ]]; then
    curl -fsS --max-time 5 --unix-socket "$docker_sock" http://localhost/_ping >/dev/null 2>&1
  else
    DOCKER_HOST=$DOCKER_URL docker info >/dev/null 2>&1
  fi
}

start_dockerd() {
  if docker_ok; then log "dockerd: already running"; return; fi
  [[ -n $docker_sock ]] || die "docker at $DOCKER_URL is not answering and only unix:// engines can be started here"
  command -v dockerd >/dev/null || die "dockerd is not installed"
  local dir=$STATE_DIR/dockerd logfile=$STATE_DIR/dockerd.log
  mkdir -p "$dir" "$(dirname "$docker_sock")"
  local args=(--host "unix://$docker_sock" --pidfile "$dir/docker.pid")
  # A second engine (own socket) must not share the default engine's state.
  if [[ $docker_sock != /var/run/docker.sock && $docker_sock != /run/docker.sock ]]; then
    args+=(--data-root "$dir/data" --exec-root "$dir/exec")
  fi
  # shellcheck disable=SC2206 # word splitting of the extra flags is intended
  args+=(${DOKKAA_DOCKERD_ARGS:-})
  echo "--- $(date -Is) dockerd ${args[*]}" >>"$logfile"
  spawn "$logfile" dockerd "${args[@]}"
  record_started dockerd "$spawned_pid"
  wait_ready dockerd "$spawned_pid" "$logfile" 60 docker_ok
}

# --- etcd ----------------------------------------------------------------------

# TLS: the client flags curl and etcdctl use (empty for a plain http etcd).
ETCD_CURL_TLS=()
ETCDCTL_TLS=()
if [[ $ETCD_URL == https://* ]]; then
  for v in DOKKAA_ETCD_CA DOKKAA_ETCD_SERVER_CERT DOKKAA_ETCD_SERVER_KEY DOKKAA_ETCD_CERT DOKKAA_ETCD_KEY; do
    [[ -n ${!v:-} ]] || die "$v is needed for an https:// etcd ($ETCD_URL)"
  done
  ETCD_CURL_TLS=(--cacert "$DOKKAA_ETCD_CA" --cert "$DOKKAA_ETCD_CERT" --key "$DOKKAA_ETCD_KEY")
  ETCDCTL_TLS=(--cacert "$DOKKAA_ETCD_CA" --cert "$DOKKAA_ETCD_CERT" --key "$DOKKAA_ETCD_KEY")
fi

etcd_ok() {
  curl -fsS --max-time 3 "${ETCD_CURL_TLS[@]}" "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'
}

# An etcd that has used up its space quota (alarm NOSPACE: every write refused with
# "database space exceeded") is given its space back: history compacted to the current
# revision, the database defragmented, the alarm disarmed. The keys themselves stay.
reclaim_etcd_space() {
  local ctl=(env ETCDCTL_API=3 etcdctl --endpoints "$ETCD_URL" "${ETCDCTL_TLS[@]}" --dial-timeout=1s) alarms rev
  alarms=$("${ctl[@]}" --command-timeout=2s alarm list 2>/dev/null) || return 0
  [[ $alarms == *NOSPACE* ]] || return 0
  rev=$("${ctl[@]}" endpoint status -w json 2>/dev/null | grep -o '"revision":[0-9]*' | head -1 | cut -d: -f2) || return 0
  log "etcd: out of space (alarm NOSPACE); compacting to revision $rev, defragmenting, disarming"
  # --physical: wait until the space is really free, or the defrag below finds nothing to give back.
  "${ctl[@]}" --command-timeout=300s compact --physical "$rev" >/dev/null 2>&1 || true
  "${ctl[@]}" --command-timeout=300s defrag >/dev/null || { log "etcd: defrag failed"; return 0; }
  "${ctl[@]}" alarm disarm >/dev/null || true
}

start_etcd() {
  # Before the health check: etcd reports itself unhealthy while an alarm is raised.
  reclaim_etcd_space
  if etcd_ok; then log "etcd: already running"; return; fi
  command -v etcd >/dev/null || die "etcd is not installed"
  [[ $ETCD_URL =~ ^(https?)://([^:/]+):([0-9]+)/?$ ]] || die "DOKKAA_TEST_ETCD must look like http(s)://HOST:PORT, got $ETCD_URL"
  local scheme=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]} port=${BASH_REMATCH[3]}
  local peer="$scheme://$host:$((port + 1))" client="$scheme://$host:$port" tls=()
  if [[ $scheme == https ]]; then
    # Clients and the peer port alike: TLS only, and a certificate from the cluster CA required.
    tls=(--client-cert-auth --trusted-ca-file "$DOKKAA_ETCD_CA" --cert-file "$DOKKAA_ETCD_SERVER_CERT" --key-file "$DOKKAA_ETCD_SERVER_KEY"
      --peer-client-cert-auth --peer-trusted-ca-file "$DOKKAA_ETCD_CA" --peer-cert-file "$DOKKAA_ETCD_SERVER_CERT" --peer-key-file "$DOKKAA_ETCD_SERVER_KEY")
  fi
  local logfile=$STATE_DIR/etcd.log
  mkdir -p "$STATE_DIR/etcd-$port"
  echo "--- $(date -Is) etcd on $client" >>"$logfile"
  spawn "$logfile" etcd --name "$ETCD_NAME" --data-dir "$STATE_DIR/etcd-$port/data" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$ETCD_NAME=$peer" --initial-cluster-state new \
    --auto-compaction-mode revision --auto-compaction-retention 10000 --quota-backend-bytes 8589934592 "${tls[@]}"
  record_started etcd "$spawned_pid"
  # A data dir that ran out of space before comes back with its alarm raised: reclaimed here.
  wait_ready etcd "$spawned_pid" "$logfile" 60 etcd_reclaimed_ok
}

etcd_reclaimed_ok() {
  reclaim_etcd_space
  etcd_ok
}

# --- registry ------------------------------------------------------------------

registry_ok() {
  curl -fsS --max-time 3 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1
}

start_registry() {
  if registry_ok; then log "registry: already running"; return; fi
  command -v docker-registry >/dev/null || die "docker-registry is not installed"
  local dir=$STATE_DIR/registry logfile=$STATE_DIR/registry.log
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
# Written by test/bed/start-services.sh: a throwaway registry for pull-path tests.
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  echo "--- $(date -Is) docker-registry on $REGISTRY_ADDR" >>"$logfile"
  spawn "$logfile" docker-registry serve "$dir/config.yml"
  record_started registry "$spawned_pid"
  wait_ready registry "$spawned_pid" "$logfile" 30 registry_ok
}

# --- main ----------------------------------------------------------------------

[[ $mode == --no-install ]] || install_packages
[[ $mode == --install-only ]] && exit 0

mkdir -p "$STATE_DIR/pids"
[[ $SERVICES != *" dockerd "* ]] || start_dockerd
[[ $SERVICES != *" etcd "* ]] || start_etcd
[[ $SERVICES != *" registry "* ]] || start_registry
