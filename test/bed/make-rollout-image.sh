#!/usr/bin/env bash
# Builds dokkaa/busybox:rollout, the image of the zero-downtime deploy tests and of the
# rollout benchmark, on top of dokkaa/busybox:test (make-images.sh builds that first and
# then calls this script). What it serves, and what a test controls through env vars:
#
#   /               $VERSION (default v1): which version answered
#   /host.txt       "instance <hostname>": which instance answered
#   /healthz        200 "ok" while the file /www/healthz exists, else 404. Absent from the
#                   start with HEALTHY=0 (a version that never turns healthy). A test makes
#                   a running instance fail with `docker exec <id> rm /www/healthz`; if it
#                   also creates /tmp/stay-unhealthy, a restart of the same container stays
#                   unhealthy too (a new container does not have that file).
#   /cgi-bin/slow   answers "slow $VERSION" after 3 s (/cgi-bin/slow?N: after N s); the path
#                   is the one busybox httpd's CGI had, which the tests still use.
#   anything else   404 "not found"
#
# The server is dokkaa-web (dokkaa-web.c, compiled here statically: needs gcc and libc6-dev),
# one process with an epoll loop: a slow request is a timer, not a process, and a listen
# backlog of 4096 keeps a busy machine from dropping connection attempts, so the backend
# has far more capacity than a test's load (busybox httpd, forked per connection, saturated
# near 300 connections/s). Every answer is text/plain with "Connection: close". It is PID 1
# (after the dokkaa-serve entrypoint sets /www up and execs it) and handles SIGTERM, SIGINT
# and SIGQUIT itself: it prints "got SIGTERM with N slow requests in flight", stops
# accepting connections, answers every one already accepted, prints "stopped after SIGTERM,
# nothing in flight" and exits 0. With IGNORE_TERM=1 it prints "ignoring SIGTERM" and keeps
# serving, so only SIGKILL ends it (exit code 137). LOG_REQUESTS=1 logs every request's URL
# and answer on stderr ("url:/healthz", "response:404"), so a test can count health checks
# in the logs.
#
# Idempotent like make-images.sh: the recipe (this script, dokkaa-web.c and the base
# image's id) is kept in the image's Comment; a matching image is kept.
set -euo pipefail

export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
BASE=dokkaa/busybox:test
IMAGE=dokkaa/busybox:rollout

die() { echo "make-rollout-image: $*" >&2; exit 1; }

WEB_C=$(dirname "${BASH_SOURCE[0]}")/dokkaa-web.c

base_id=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null) || die "$BASE is missing (run test/bed/make-images.sh)"
recipe=$( (sha256sum "${BASH_SOURCE[0]}" "$WEB_C" | cut -d' ' -f1; echo "$base_id") | sha256sum | cut -c1-16)

work=$(mktemp -d /tmp/dokkaa-rollout-image.XXXXXX)
cid=""
cleanup() {
  if [[ -n $cid ]]; then docker rm -f "$cid" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

build() {
  local have old
  have=$(docker image inspect -f '{{.Comment}}' "$IMAGE" 2>/dev/null || true)
  old=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  if [[ $have == "dokkaa-bed recipe $recipe" ]]; then
    echo "$IMAGE: up to date"
    return
  fi
  mkdir -p "$work/usr/local/bin" "$work/www"
  command -v gcc >/dev/null || die "gcc not found (apt-get install gcc libc6-dev; start-services.sh installs them)"
  gcc -static -O2 -s -o "$work/usr/local/bin/dokkaa-web" "$WEB_C" ||
    die "cannot build a static dokkaa-web (apt-get install libc6-dev)"
  # The entrypoint: sets /www up, then execs the server, which becomes PID 1 and so receives
  # docker stop's SIGTERM (and writes to PID 1's stdout and stderr, the container's log).
  cat >"$work/usr/local/bin/dokkaa-serve" <<'EOF'
#!/bin/sh
export VERSION="${VERSION:-v1}"
echo "$VERSION" > /www/index.html
echo "instance $(hostname)" > /www/host.txt
rm -f /www/healthz
if [ "${HEALTHY:-1}" != 0 ] && [ ! -e /tmp/stay-unhealthy ]; then echo ok > /www/healthz; fi
exec dokkaa-web 80
EOF
  chmod 755 "$work/usr/local/bin/dokkaa-serve"
  cid=$(docker create "$BASE")
  docker cp "$work/." "$cid:/"
  docker commit \
    --change 'CMD ["/usr/local/bin/dokkaa-serve"]' \
    --change 'ENV VERSION=v1' \
    --message "dokkaa-bed recipe $recipe" \
    "$cid" "$IMAGE" >/dev/null
  docker rm -f "$cid" >/dev/null
  cid=""
  if [[ -n $old ]]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
  echo "$IMAGE: built"
}

# Runs containers and checks what the tests rely on: the version, /healthz, the slow
# handler, a graceful SIGTERM that lets a slow request in flight finish, and IGNORE_TERM.
check() {
  local ip page logs code slow_out slow_pid
  cid=$(docker run -d --label dokkaa-bed=check -e VERSION=check7 "$IMAGE")
  ip=$(container_ip "$cid")
  page=$(first_page "$ip")
  [[ $page == check7 ]] || die "check: / served '$page' instead of 'check7'"
  [[ $(curl -fsS --max-time 2 "http://$ip/healthz") == ok ]] || die "check: /healthz is not ok"
  [[ $(curl -fsS --max-time 10 "http://$ip/cgi-bin/slow?1") == "slow check7" ]] || die "check: /cgi-bin/slow?1 did not answer 'slow check7'"
  docker exec "$cid" rm /www/healthz
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$ip/healthz")
  [[ $code == 404 ]] || die "check: /healthz answered $code after rm, not 404"
  # A slow request in flight when SIGTERM arrives is still answered.
  slow_out="$work/slow.out"
  curl -sS --max-time 10 "http://$ip/cgi-bin/slow?2" >"$slow_out" 2>&1 &
  slow_pid=$!
  sleep 0.5
  docker stop -t 10 "$cid" >/dev/null
  wait "$slow_pid" || true
  code=$(docker inspect -f '{{.State.ExitCode}}' "$cid")
  logs=$(docker logs "$cid" 2>&1)
  [[ $code == 0 && $logs == *"got SIGTERM with 1 slow requests in flight"* && $logs == *"stopped after SIGTERM"* ]] ||
    die "check: docker stop gave exit code $code, logs: $logs"
  [[ $(cat "$slow_out") == "slow check7" ]] || die "check: the slow request in flight at SIGTERM got '$(cat "$slow_out")'"
  docker rm -f "$cid" >/dev/null
  cid=""

  cid=$(docker run -d --label dokkaa-bed=check -e IGNORE_TERM=1 "$IMAGE")
  page=$(first_page "$(container_ip "$cid")")
  [[ $page == v1 ]] || die "check: / served '$page' instead of 'v1' (the default VERSION)"
  docker stop -t 2 "$cid" >/dev/null
  code=$(docker inspect -f '{{.State.ExitCode}}' "$cid")
  logs=$(docker logs "$cid" 2>&1)
  [[ $code == 137 && $logs == *"ignoring SIGTERM"* ]] || die "check: with IGNORE_TERM=1, docker stop gave exit code $code, logs: $logs"
  docker rm -f "$cid" >/dev/null
  cid=""
  echo "check: $IMAGE serves \$VERSION, /healthz, /cgi-bin/slow, drains on SIGTERM and ignores it with IGNORE_TERM=1"
}

container_ip() {
  docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" | awk '{print $1}'
}

# The first answer of / (the server needs a moment to start).
first_page() {
  local page="" i
  for ((i = 0; i < 40; i++)); do
    page=$(curl -fsS --max-time 2 "http://$1/" 2>/dev/null || true)
    [[ -n $page ]] && break
    sleep 0.25
  done
  echo "$page"
}

docker info >/dev/null 2>&1 || die "docker is not answering (run test/bed/start-services.sh)"
build
check
