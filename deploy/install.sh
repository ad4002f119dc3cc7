#!/usr/bin/env bash
# Brings up a one-host Dokkaa on this machine and runs the seed example:
#   installs what is missing (Debian packages, npm dependencies), builds, makes the
#   cluster PKI (/etc/dokkaa/pki: a CA, one certificate per part), starts dockerd and a
#   TLS-only etcd (client certificates required, one etcd role per part) if they are not
#   running, starts a conductor, an ambassador and a builder for this host — each with its
#   own certificate — and puts the seed's nginx manifest at /apps/dummy/nginx/manifest.
#   Running it again is harmless: what runs stays, certificates still good are kept.
#
# Usage (as root, from the repository):  bash deploy/install.sh
# Environment: DOKKAA_STATE_DIR (/var/lib/dokkaa), DOKKAA_RUN_DIR (/run/dokkaa),
#   DOKKAA_LOG_DIR (/var/log/dokkaa), DOKKAA_PKI_DIR (/etc/dokkaa/pki),
#   DOKKAA_ETCD (https://127.0.0.1:2379: the etcd started here, TLS only),
#   DOKKAA_BUILDER_LISTEN (127.0.0.1:8080), DOKKAA_HOST_ADDRESS (docker0's gateway),
#   DOKKAA_WEB_LISTEN (127.0.0.1:80), DOKKAA_WEB_TLS_LISTEN (127.0.0.1:443: HTTPS for
#   web services with "tls": "auto", once /config/acme names an ACME server),
#   DOKKAA_SEED=0 to skip the seed example,
#   DOKKAA_SEED_IMAGE=nginx to run the seed with that image (pulled if absent),
#   DOKKAA_CLUSTER_KEY_FILE (/etc/dokkaa/cluster.key: created once, mode 0600, kept after).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${DOKKAA_STATE_DIR:-/var/lib/dokkaa}
RUN_DIR=${DOKKAA_RUN_DIR:-/run/dokkaa}
LOG_DIR=${DOKKAA_LOG_DIR:-/var/log/dokkaa}
ETCD=${DOKKAA_ETCD:-https://127.0.0.1:2379}
PKI_DIR=${DOKKAA_PKI_DIR:-/etc/dokkaa/pki}
BUILDER_LISTEN=${DOKKAA_BUILDER_LISTEN:-127.0.0.1:8080}
HOST_ID=${DOKKAA_HOST_ID:-$(hostname)}
# Published ports bind to the host address. The default, docker0's gateway, is reachable
# from this machine and from its containers (so DNS A records work inside them) but not
# from other machines: a private one-host trial. Set the machine's address to serve others.
HOST_ADDRESS=${DOKKAA_HOST_ADDRESS:-}
WEB_LISTEN=${DOKKAA_WEB_LISTEN:-127.0.0.1:80}
WEB_TLS_LISTEN=${DOKKAA_WEB_TLS_LISTEN:-127.0.0.1:443}
# The key secrets are sealed with (kit/secret-box.ts): the builder seals, conductors open.
# Every process started below reads it from DOKKAA_CLUSTER_KEY_FILE (the builder also gets the flag).
export DOKKAA_CLUSTER_KEY_FILE=${DOKKAA_CLUSTER_KEY_FILE:-/etc/dokkaa/cluster.key}
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}

step() { printf '\n==> %s\n' "$*"; }
die() { echo "install: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (it installs packages and starts dockerd)"
command -v node >/dev/null || die "Node.js 20 or newer is needed (not found)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js 20 or newer is needed (found $(node --version))"

[[ $ETCD =~ ^https://127\.0\.0\.1:[0-9]+$ ]] || die "DOKKAA_ETCD must be https://127.0.0.1:PORT (the TLS etcd this script starts), got $ETCD"

step "Debian packages, dockerd, registry"
DOKKAA_STATE_DIR=$STATE_DIR/services DOKKAA_SERVICES="dockerd registry" "$REPO/test/bed/start-services.sh"

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

if [[ -z $HOST_ADDRESS ]]; then
  HOST_ADDRESS=$(ip -4 -o addr show docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')
  HOST_ADDRESS=${HOST_ADDRESS:-127.0.0.1}
fi
dokkaacfg() { node "$REPO/dist/cfg-cli/main.js" "$@"; }
# Certificate files are named after the host id in lowercase (cfg-cli/pki-plan.ts).
host_file=${HOST_ID,,}
pair() { echo "--$1-cert $PKI_DIR/$2.crt --$1-key $PKI_DIR/$2.key"; }

step "Cluster PKI: $PKI_DIR"
# The CA is made once and kept; each certificate is issued again only when missing, not
# signed by that CA, near expiry, or no longer naming this host's address.
dokkaacfg certs init --pki-dir "$PKI_DIR" --host "$HOST_ID=$HOST_ADDRESS,etcd,builder"

step "etcd: $ETCD (TLS only, client certificates required)"
# An etcd of an older install.sh (plain http, test bed's data dir) may hold the port.
if curl -fsS --max-time 2 "http://${ETCD#https://}/health" >/dev/null 2>&1; then
  die "a plain-http etcd answers on ${ETCD#https://}: stop it first (an older install's: DOKKAA_STATE_DIR=$STATE_DIR/services bash test/bed/stop-services.sh etcd; its data stays in $STATE_DIR/services/etcd-*)"
fi
export ETCDCTL_API=3 ETCDCTL_CACERT=$PKI_DIR/ca.crt ETCDCTL_CERT=$PKI_DIR/dokkaacfg.crt ETCDCTL_KEY=$PKI_DIR/dokkaacfg.key
DOKKAA_STATE_DIR=$STATE_DIR/services DOKKAA_SERVICES=etcd DOKKAA_TEST_ETCD=$ETCD DOKKAA_ETCD_NAME="etcd-$host_file" \
  DOKKAA_ETCD_CA=$ETCDCTL_CACERT DOKKAA_ETCD_SERVER_CERT=$PKI_DIR/etcd-$host_file.crt DOKKAA_ETCD_SERVER_KEY=$PKI_DIR/etcd-$host_file.key \
  DOKKAA_ETCD_CERT=$ETCDCTL_CERT DOKKAA_ETCD_KEY=$ETCDCTL_KEY "$REPO/test/bed/start-services.sh" --no-install
# One etcd role per part (docs/security.md), the admin as root, authentication on.
dokkaacfg roles apply --etcd "$ETCD" --pki-dir "$PKI_DIR" --host "$HOST_ID"

step "Dokkaa processes"
# shellcheck disable=SC2046 # pair prints flag words
start_part conductor --etcd "$ETCD" --etcd-ca "$PKI_DIR/ca.crt" $(pair etcd "conductor-$host_file") $(pair scheduler-etcd scheduler) \
  $(pair agent-tls "conductor-$host_file") --agent-client-ca "$PKI_DIR/ca.crt" \
  --host-id "$HOST_ID" --host-address "$HOST_ADDRESS"
# shellcheck disable=SC2046
start_part ambassador --etcd "$ETCD" --etcd-ca "$PKI_DIR/ca.crt" $(pair etcd "ambassador-$host_file") --web-listen "$WEB_LISTEN" --web-tls-listen "$WEB_TLS_LISTEN"
# shellcheck disable=SC2046
start_part builder --etcd "$ETCD" --etcd-ca "$PKI_DIR/ca.crt" $(pair etcd builder) \
  $(pair tls builder) --agent-ca "$PKI_DIR/ca.crt" $(pair agent builder) \
  --listen "$BUILDER_LISTEN" --password-file "$STATE_DIR/generated_password.txt" --cluster-key-file "$DOKKAA_CLUSTER_KEY_FILE"

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
  etcdctl --endpoints "$ETCD" put /apps/dummy/nginx/manifest "$manifest" >/dev/null  # as the admin (ETCDCTL_CERT)
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
etcdctl:       export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=$ETCD ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY
Status:        etcdctl get /apps/dummy/nginx/status
Scale it:      etcdctl put /apps/dummy/nginx/manifest '{"image": "...", "scale": 3, "services": {"nginx": 80}}'
Certificates:  node $REPO/dist/cfg-cli/main.js certs ls   (in $PKI_DIR; keys mode 0600)
Logs:          $LOG_DIR/{conductor,ambassador,builder}.log, etcd: $STATE_DIR/services/etcd.log
MSG
echo "Console:       https://$BUILDER_LISTEN/console/  (user root, password in $STATE_DIR/generated_password.txt; the certificate is signed by $PKI_DIR/ca.crt)"
echo "dokkaacfg:     node $REPO/dist/cfg-cli/main.js login --url https://$BUILDER_LISTEN --ca $PKI_DIR/ca.crt --password-file $STATE_DIR/generated_password.txt"
echo "Web router:    curl -H 'Host: <app>.dokkaa.local' http://$WEB_LISTEN/   (services with role web)"
echo "Stop Dokkaa:   bash deploy/uninstall.sh   (containers keep running until you delete their manifests)"
