#!/usr/bin/env bash
# The remote half of `dokkaacfg up/down --provider=ssh`: dokkaacfg sends this file
# over ssh (`bash -s -- <step> args`) and runs one step at a time on the host.
#
#   check                      Debian? systemd? node? -> key=value lines
#   packages                   apt-get install what is missing; Node 20 if node < 20
#   build                      npm ci and npm run build in /opt/dokkaa
#   configure ENV64 ETCDENV64  write /etc/dokkaa/{env,etcd.env} (base64 given) and the
#                              units from /opt/dokkaa/deploy to /etc/systemd/system
#   start PARTS...             etcd docker conductor ambassador builder: with systemd
#                              `systemctl enable --now dokkaa-<part>`; without it the
#                              unit's ExecStart under setsid, pid in /run/dokkaa
#   restart PARTS...           conductor ambassador builder: stop and start again (systemd:
#                              `systemctl restart`), e.g. onto new certificates
#   stop                       disable/stop every dokkaa-* unit, or kill the recorded pids
#   remove KEEP_HOME           remove the units, /etc/dokkaa, /var/lib/dokkaa,
#                              /var/log/dokkaa, /run/dokkaa and (unless KEEP_HOME=1)
#                              /opt/dokkaa — nothing else
set -euo pipefail

HOME_DIR=/opt/dokkaa
ETC=/etc/dokkaa
UNITS=/etc/systemd/system
RUN=/run/dokkaa
LOGS=/var/log/dokkaa
PARTS_ALL=(builder ambassador conductor etcd)
PACKAGES=(docker.io etcd-server etcd-client curl ca-certificates xz-utils tar iproute2)
NODE_URL=${DOKKAA_NODE_URL:-https://nodejs.org/dist/v20.19.4/node-v20.19.4-linux-x64.tar.xz}

die() { echo "dokkaa-ssh: $*" >&2; exit 1; }
# systemd as init (not merely installed): `is-system-running` says running or degraded.
has_systemd() {
  [[ -d /run/systemd/system ]] || return 1
  case $(systemctl is-system-running 2>/dev/null) in running | degraded | starting) return 0 ;; *) return 1 ;; esac
}
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

step_check() {
  [[ $(id -u) == 0 ]] || die "log in as root (or a user whose commands run as root)"
  # shellcheck disable=SC1091
  . /etc/os-release
  [[ ${ID:-} == debian ]] || die "not Debian (ID=${ID:-unknown}); dokkaacfg --provider=ssh supports Debian 12"
  echo "os=debian-${VERSION_ID:-?}"
  if has_systemd; then echo "init=systemd"; else echo "init=none"; fi
  echo "node=$(node_major)"
  echo "docker=$(command -v dockerd >/dev/null && echo yes || echo no)"
}

step_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "installed: ${missing[*]}"
  else
    echo "packages: already installed"
  fi
  # Debian 12 ships Node 18; Dokkaa needs 20.
  if (($(node_major) < 20)); then
    curl -fsSL "$NODE_URL" | tar -xJ -C /usr/local --strip-components=1
    echo "node: $(node --version) in /usr/local"
  fi
}

step_build() {
  cd "$HOME_DIR"
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent build
  echo "built in $HOME_DIR/dist"
}

step_configure() {
  mkdir -p "$ETC" /var/lib/dokkaa
  echo "$1" | base64 -d >"$ETC/env.new"
  # The docker bridge address is where containers find the ambassador.
  local bridge
  bridge=$(ip -4 -o addr show docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')
  sed -i "s|^DOKKAA_AMBASSADOR_ADDRESS=auto$|DOKKAA_AMBASSADOR_ADDRESS=${bridge:-172.17.0.1}|" "$ETC/env.new"
  local ns
  ns=$(awk '/^nameserver/ && $2 !~ /^127\./ {print $2; exit}' /etc/resolv.conf 2>/dev/null || true)
  sed -i "s|^DOKKAA_DNS_UPSTREAM=auto$|DOKKAA_DNS_UPSTREAM=${ns:-none}|" "$ETC/env.new"
  mv "$ETC/env.new" "$ETC/env"
  if [[ -n ${2:-} ]]; then echo "$2" | base64 -d >"$ETC/etcd.env"; fi
  local u
  for u in etcd conductor ambassador builder; do
    install -m 0644 "$HOME_DIR/deploy/dokkaa-$u.service" "$UNITS/dokkaa-$u.service"
  done
  if has_systemd; then systemctl daemon-reload; fi
  echo "configured: $ETC/env${2:+, $ETC/etcd.env}, units in $UNITS"
}

alive() { # pidfile
  [[ -f $1 ]] || return 1
  local pid
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

# Without systemd: the unit's own EnvironmentFile and ExecStart, so there is one
# definition of how a part starts. A missing dist/ build falls back to the sources
# through tsx (a checkout that was not built).
start_plain() { # part
  local part=$1 unit=$UNITS/dokkaa-$1.service pidfile=$RUN/$1.pid log=$LOGS/$1.log
  mkdir -p "$RUN" "$LOGS"
  if alive "$pidfile"; then echo "$part: already running (pid $(cat "$pidfile"))"; return; fi
  [[ -f $unit ]] || die "$unit is missing; run configure first"
  local exec envfile
  # ${VAR} becomes "${VAR}": like systemd, always exactly one argument, even when empty.
  exec=$(sed -n 's/^ExecStart=//p' "$unit" | sed -E 's/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/"${\1}"/g')
  envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
  (
    set -a
    # shellcheck disable=SC1090
    . "$envfile"
    set +a
    eval "set -- $exec"
    local args=() a
    for a in "$@"; do
      if [[ $a == */dist/*/main.js && ! -f $a ]]; then
        local src=${a/\/dist\//\/}
        args+=(--import tsx "${src%.js}.ts")
      else
        args+=("$a")
      fi
    done
    cd "$HOME_DIR" 2>/dev/null || cd /
    setsid "${args[@]}" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  )
  sleep 1
  alive "$pidfile" || { tail -n 20 "$log" >&2; die "$part exited at start; see $log"; }
  echo "$part: started (pid $(cat "$pidfile"), log $log)"
}

# The engine's own answer (curl, not the docker CLI, whose API version may differ).
docker_up() { curl -sf --max-time 5 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; }

start_docker() {
  if docker_up; then echo "docker: running"; return; fi
  if has_systemd; then systemctl enable --now docker; return; fi
  mkdir -p "$RUN" "$LOGS"
  setsid dockerd >>"$LOGS/dockerd.log" 2>&1 </dev/null &
  echo $! >"$RUN/dockerd.pid"
  for _ in $(seq 1 60); do docker_up && { echo "docker: started"; return; }; sleep 0.5; done
  die "dockerd did not start; see $LOGS/dockerd.log"
}

step_start() {
  local part
  for part in "$@"; do
    if [[ $part == docker ]]; then start_docker; continue; fi
    if has_systemd; then
      systemctl enable --now "dokkaa-$part"
      echo "$part: enabled and started (systemd)"
    else
      start_plain "$part"
    fi
  done
}

# Stops one part started without systemd (TERM, then KILL after 20 s), by its recorded pid.
stop_plain() { # part
  local pidfile=$RUN/$1.pid pid
  alive "$pidfile" || return 0
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "$1: stopped (pid $pid)"
}

step_restart() {
  local part
  for part in "$@"; do
    case $part in conductor | ambassador | builder) ;; *) die "restart: $part is not conductor, ambassador or builder" ;; esac
    if has_systemd; then
      systemctl restart "dokkaa-$part"
      echo "$part: restarted (systemd)"
    else
      stop_plain "$part"
      start_plain "$part"
    fi
  done
}

step_stop() {
  local part
  if has_systemd; then
    for part in "${PARTS_ALL[@]}"; do
      if [[ -f $UNITS/dokkaa-$part.service ]]; then systemctl disable --now "dokkaa-$part" 2>/dev/null || true; echo "$part: stopped and disabled"; fi
    done
    return
  fi
  for part in "${PARTS_ALL[@]}" dockerd; do stop_plain "$part"; done
}

step_remove() {
  local keep_home=${1:-0} part
  for part in "${PARTS_ALL[@]}"; do rm -f "$UNITS/dokkaa-$part.service"; done
  if has_systemd; then systemctl daemon-reload; fi
  rm -rf "$ETC" /var/lib/dokkaa "$LOGS" "$RUN"
  if [[ $keep_home == 1 ]]; then
    echo "kept $HOME_DIR (not installed by dokkaacfg)"
  elif mountpoint -q "$HOME_DIR"; then
    echo "kept $HOME_DIR (a mount point)"
  else
    rm -rf "$HOME_DIR"
  fi
  echo "removed: units, $ETC, /var/lib/dokkaa, $LOGS, $RUN$([[ $keep_home == 1 ]] || echo ", $HOME_DIR")"
}

cmd=${1:-}
shift || true
case $cmd in
  check | packages | build | configure | start | restart | stop | remove) "step_$cmd" "$@" ;;
  *) die "unknown step '$cmd'" ;;
esac
