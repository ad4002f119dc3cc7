#!/usr/bin/env bash
# Brings up a one-host Dokkaa on this machine and runs the seed example:
#   installs what is missing (Debian packages, npm dependencies), builds, starts
#   etcd and dockerd if they are not running, starts a conductor, an ambassador and
#   a builder for this host, and puts the seed's nginx manifest at
#   /apps/dummy/nginx/manifest. Running it again is harmless: what runs stays.
#
# Usage (as root, from the repository):  bash deploy/install.sh
# Environment: DOKKAA_STATE_DIR (/var/lib/dokkaa), DOKKAA_RUN_DIR (/run/dokkaa),
#   DOKKAA_LOG_DIR (/var/log/dokkaa), DOKKAA_ETCD (http://127.0.0.1:2379),
#   DOKKAA_BUILDER_LISTEN (127.0.0.1:8080), DOKKAA_HOST_ADDRESS (docker0's gateway),
#   DOKKAA_WEB_LISTEN (127.0.0.1:80), DOKKAA_SEED=0 to skip the seed example,
#   DOKKAA_SEED_IMAGE=nginx to run the seed with that image (pulled if absent),
#   DOKKAA_CLUSTER_KEY_FILE (/etc/dokkaa/cluster.key: created once, mode 0600, kept after).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${DOKKAA_STATE_DIR:-/var/lib/dokkaa}
RUN_DIR=${DOKKAA_RUN_DIR:-/run/dokkaa}
LOG_DIR=${DOKKAA_LOG_DIR:-/var/log/dokkaa}
ETCD=${DOKKAA_ETCD:-http://127.0.0.1:2379}
BUILDER_LISTEN=${DOKKAA_BUILDER_LISTEN:-127.0.0.1:8080}
HOST_ID=${DOKKAA_HOST_ID:-$(hostname)}
# Published ports bind to the host address. The default, docker0's gateway, is reachable
# from this machine and from its containers (so DNS A records work inside them) but not
# from other machines: a private one-host trial. Set the machine's address to serve others.
HOST_ADDRESS=${DOKKAA_HOST_ADDRESS:-}
WEB_LISTEN=${DOKKAA_WEB_LISTEN:-127.0.0.1:80}
# The key secrets are sealed with (kit/secret-box.ts): the builder seals, conductors open.
# Every process started below reads it from DOKKAA_CLUSTER_KEY_FILE (the builder also gets the flag).
export DOKKAA_CLUSTER_KEY_FILE=${DOKKAA_CLUSTER_KEY_FILE:-/etc/dokkaa/cluster.key}
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
export ETCDCTL_API=3

step() { printf '\n==> %s\n' "$*"; }
die() { echo "install: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (it installs packages and starts dockerd)"
command -v node >/dev/null || die "Node.js 20 or newer is needed (not found)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js 20 or newer is needed (found $(node --version))"

step "Debian packages, etcd, dockerd"
DOKKAA_STATE_DIR=$STATE_DIR/services DOKKAA_TEST_ETCD=$ETCD "$REPO/test/bed/start-services.sh"

step "npm dependencies and build"
cd "$REPO"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "node_modules: up to date"
fi
npm run --silent build
echo "built into $REPO/dist"

mkdir -p "$RUN_DIR" "$LOG_DIR" "$STATE_DIR"

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Starts one Dokkaa process in its own session, unless the one recorded in its pid file runs.
start_part() { # name args...
  local name=$1 pidfile=$RUN_DIR/$1.pid logfile=$LOG_DIR/$1.log
  shift
  if alive "$pidfile"; then
    echo "$name: already running (pid $(cat "$pidfile"), log $logfile)"
    return
  fi
  local before
  before=$(stat -c %s "$logfile" 2>/dev/null || echo 0)
  setsid node "$REPO/dist/$name/main.js" "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  sleep 0.5
  alive "$pidfile" || { tail -n 20 "$logfile" >&2; die "$name exited at start; see $logfile"; }
  echo "$name: started (pid $(cat "$pidfile"), log $logfile)"
  # The builder's own words: the console URL and where the root password is.
  if [[ $name == builder ]]; then tail -c +$((before + 1)) "$logfile" | grep -h '^dokkaa-builder:' || true; fi
}

step "Cluster key: $DOKKAA_CLUSTER_KEY_FILE"
# Made once and never replaced: the secrets in etcd are sealed under it. Other hosts of
# the cluster need this same file (scp it, mode 0600), not a new one.
if [[ -s $DOKKAA_CLUSTER_KEY_FILE ]]; then
  echo "kept (it exists)"
else
  mkdir -p "$(dirname "$DOKKAA_CLUSTER_KEY_FILE")"
  (umask 077 && head -c 32 /dev/urandom | base64 >"$DOKKAA_CLUSTER_KEY_FILE.tmp" && mv "$DOKKAA_CLUSTER_KEY_FILE.tmp" "$DOKKAA_CLUSTER_KEY_FILE")
  echo "created: 32 random bytes in base64, mode 0600"
fi
# The builder and conductors refuse a key others may read.
chmod 600 "$DOKKAA_CLUSTER_KEY_FILE"

step "Dokkaa processes"
if [[ -z $HOST_ADDRESS ]]; then
  HOST_ADDRESS=$(ip -4 -o addr show docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')
  HOST_ADDRESS=${HOST_ADDRESS:-127.0.0.1}
fi
start_part conductor --etcd "$ETCD" --host-id "$HOST_ID" --host-address "$HOST_ADDRESS"
start_part ambassador --etcd "$ETCD" --web-listen "$WEB_LISTEN"
start_part builder --etcd "$ETCD" --listen "$BUILDER_LISTEN" --password-file "$STATE_DIR/generated_password.txt" --cluster-key-file "$DOKKAA_CLUSTER_KEY_FILE"

if [[ ${DOKKAA_SEED:-1} != 0 ]]; then
  step "Seed example: /apps/dummy/nginx/manifest"
  manifest=$(cat "$REPO/examples/nginx.json")
  # The seed names Docker Hub's nginx. Use it when it is here (or when asked to with
  # DOKKAA_SEED_IMAGE=nginx on a connected machine: the conductor pulls it); otherwise
  # stand in with busybox httpd, so an offline machine makes no attempt to reach a registry.
  if [[ -n ${DOKKAA_SEED_IMAGE:-} ]]; then
    manifest="{\"image\": \"$DOKKAA_SEED_IMAGE\", \"scale\": 1, \"services\": {\"nginx\": 80}}"
  elif ! docker image inspect nginx >/dev/null 2>&1; then
    "$REPO/test/bed/make-images.sh" >/dev/null
    docker tag dokkaa/busybox:test dokkaa/httpd:seed
    manifest='{"image": "dokkaa/httpd:seed", "scale": 1, "services": {"nginx": 80}}'
    echo "image nginx is not on this machine; the seed uses dokkaa/httpd:seed (busybox httpd) instead (DOKKAA_SEED_IMAGE=nginx to pull it)"
  fi
  etcdctl --endpoints "$ETCD" put /apps/dummy/nginx/manifest "$manifest" >/dev/null
  echo "put: $manifest"
  for _ in $(seq 1 120); do
    if [[ $(docker inspect -f '{{.State.Running}}' dummy---nginx 2>/dev/null) == true ]]; then break; fi
    sleep 0.25
  done
  docker ps --filter name=dummy---nginx --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'
  [[ $(docker inspect -f '{{.State.Running}}' dummy---nginx 2>/dev/null) == true ]] \
    || die "dummy---nginx is not running after 30 s; see $LOG_DIR/conductor.log and: etcdctl get /apps/dummy/nginx/status"
fi

step "Done"
cat <<MSG
See it:        docker ps --filter label=io.dokkaa.app
Status:        ETCDCTL_API=3 etcdctl --endpoints $ETCD get /apps/dummy/nginx/status
Scale it:      ETCDCTL_API=3 etcdctl --endpoints $ETCD put /apps/dummy/nginx/manifest '{"image": "...", "scale": 3, "services": {"nginx": 80}}'
Logs:          $LOG_DIR/{conductor,ambassador,builder}.log
MSG
echo "Console:       http://$BUILDER_LISTEN/console/  (user root, password in $STATE_DIR/generated_password.txt)"
echo "Web router:    curl -H 'Host: <app>.dokkaa.local' http://$WEB_LISTEN/   (services with role web)"
echo "Stop Dokkaa:   bash deploy/uninstall.sh   (containers keep running until you delete their manifests)"
